// ExecuteCodeBlock (AutoGPT's blocks/code_executor.py) on E2B's HTTP APIs directly, as the e2b and
// @e2b/code-interpreter SDKs call them: create a sandbox (POST /sandboxes), run the setup commands through the
// sandbox's envd process service (Connect protocol, port 49983), run the code on its code-interpreter endpoint
// (POST /execute on port 49999, streamed JSON lines), and kill the sandbox (DELETE /sandboxes/{id}).
// PROVIDER_BASE_URL_E2B overrides the API; PROVIDER_BASE_URL_E2B_SANDBOX the sandboxes' per-port hosts.
import { Type } from "@sinclair/typebox";
import type { HttpResponse } from "../../infra/http/client.js";
import { CredentialsField, requireCredentials } from "../credentials.js";
import { Dict, inputs, outputs, StringEnum } from "../fields.js";
import { type Block, type BlockContext, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { providerClient, providerDetail } from "./common.js";

const E2B_API = "https://api.e2b.app";
const E2B_DOMAIN = "e2b.app";
/** The code-interpreter template the SDK starts when none is named. */
const DEFAULT_TEMPLATE = "code-interpreter-v1";
const JUPYTER_PORT = 49999;
const ENVD_PORT = 49983;
/** What requests add over the code's own time limit, for the sandbox to answer. */
const REQUEST_SLACK_MS = 30_000;

const LANGUAGES = ["python", "js", "bash", "r", "java"] as const;

/** A sandbox as POST /sandboxes describes it. */
interface Sandbox {
  sandboxID: string;
  domain?: string | null;
  envdAccessToken?: string | null;
}

/** One line of the code interpreter's stream. */
type OutputLine = { type?: string } & Record<string, unknown>;

/** The result formats e2b_code_interpreter's Result.formats() lists, in its order. */
const RESULT_FORMATS = [
  "text",
  "html",
  "markdown",
  "svg",
  "png",
  "jpeg",
  "pdf",
  "latex",
  "json",
  "javascript",
  "data",
  "chart",
] as const;

/** AutoGPT's process_execution_results: each result's present formats plus `extra` and `is_main_result`. */
function processResults(lines: OutputLine[]): { main?: Record<string, unknown>; results: Record<string, unknown>[] } {
  const results = lines.map((line) => {
    const result: Record<string, unknown> = {};
    for (const format of RESULT_FORMATS) if (line[format]) result[format] = line[format];
    if (line.extra !== undefined && line.extra !== null) result.extra = line.extra;
    result.is_main_result = line.is_main_result === true;
    return result;
  });
  const found = results.find((r) => r.is_main_result);
  if (!found) return { results };
  const { is_main_result: _, ...main } = found;
  return { main, results };
}

/** A Connect protocol envelope: flags, a big-endian length, the JSON message. */
function envelope(message: unknown, flags = 0): Buffer {
  const payload = Buffer.from(JSON.stringify(message), "utf8");
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** The messages of a Connect server stream, and its end-of-stream error if any. */
function readEnvelopes(body: Buffer): {
  messages: Array<Record<string, unknown>>;
  error?: { code?: string; message?: string };
} {
  const messages: Array<Record<string, unknown>> = [];
  let error: { code?: string; message?: string } | undefined;
  for (let at = 0; at + 5 <= body.length; ) {
    const flags = body.readUInt8(at);
    const length = body.readUInt32BE(at + 1);
    const payload = body.subarray(at + 5, at + 5 + length).toString("utf8");
    at += 5 + length;
    const parsed = payload ? (JSON.parse(payload) as Record<string, unknown>) : {};
    if (flags & 0x02) error = parsed.error as typeof error;
    else messages.push(parsed);
  }
  return { messages, error };
}

/** The SDK's exception for a failed sandbox request (extract_exception / format_exception). */
function sandboxError(response: HttpResponse): Error {
  const text = response.text();
  if (response.status === 404) return new Error(`Sandbox not found: ${text}`);
  if (response.status === 502) {
    return new Error(
      `${text}: This error is likely due to sandbox timeout. You can modify the sandbox timeout by passing 'timeout' when starting the sandbox or calling '.set_timeout' on the sandbox with the desired timeout.`,
    );
  }
  return new Error(`${response.status}: ${text}`);
}

class E2bSession {
  private readonly api;
  private sandbox?: Sandbox;

  constructor(
    private readonly ctx: BlockContext,
    private readonly apiKey: string,
  ) {
    this.api = providerClient(ctx, "e2b", E2B_API);
  }

  private get headers() {
    return { "x-api-key": this.apiKey, "content-type": "application/json" };
  }

  async create(template: string, timeoutSeconds: number): Promise<void> {
    const response = await this.api.request({
      url: "/sandboxes",
      method: "POST",
      headers: this.headers,
      json: {
        templateID: template || DEFAULT_TEMPLATE,
        timeout: timeoutSeconds,
        secure: true,
        allow_internet_access: true,
        autoPause: false,
      },
    });
    if (!response.ok) {
      throw new Error(
        `Creating the E2B sandbox failed: E2B answered HTTP ${response.status}: ${providerDetail(response)}`,
      );
    }
    const sandbox = response.json<Sandbox>();
    if (!sandbox.sandboxID) throw new Error("Sandbox not created");
    this.sandbox = sandbox;
  }

  /**
   * A client for one port of the sandbox: `https://<port>-<id>.<domain>` unless the operator points "e2b_sandbox"
   * somewhere (a local E2B), which then learns the sandbox and port from E2B's routing headers.
   */
  private port(port: number) {
    const sandbox = this.sandbox as Sandbox;
    const http = providerClient(
      this.ctx,
      "e2b_sandbox",
      `https://${port}-${sandbox.sandboxID}.${sandbox.domain || E2B_DOMAIN}`,
    );
    const headers: Record<string, string> = {
      "e2b-sandbox-id": sandbox.sandboxID,
      "e2b-sandbox-port": String(port),
    };
    if (sandbox.envdAccessToken) headers["x-access-token"] = sandbox.envdAccessToken;
    return { http, headers };
  }

  /** commands.run(cmd): `/bin/bash -l -c cmd` through envd; a non-zero exit fails as CommandExitException does. */
  async runCommand(cmd: string, timeoutMs: number): Promise<void> {
    const { http, headers } = this.port(ENVD_PORT);
    const response = await http.request({
      url: "/process.Process/Start",
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/connect+json",
        "connect-protocol-version": "1",
        authorization: `Basic ${Buffer.from("user:").toString("base64")}`,
      },
      body: envelope({ process: { cmd: "/bin/bash", args: ["-l", "-c", cmd], envs: {} }, stdin: false }),
      timeoutMs,
    });
    if (!response.ok) throw sandboxError(response);
    const { messages, error } = readEnvelopes(response.body);
    if (error) throw new Error(`Setup command failed: ${error.code ?? "unknown"}: ${error.message ?? ""}`);
    const stderr: string[] = [];
    let end: Record<string, unknown> | undefined;
    for (const message of messages) {
      const event = (message.event ?? {}) as Record<string, Record<string, unknown>>;
      if (event.data?.stderr) stderr.push(Buffer.from(String(event.data.stderr), "base64").toString("utf8"));
      if (event.end) end = event.end;
    }
    const exitCode = Number(end?.exitCode ?? 0);
    if (!end) throw new Error(`Setup command \`${cmd}\` ended without an exit status`);
    if (exitCode !== 0) throw new Error(`Command exited with code ${exitCode} and error:\n${stderr.join("")}`);
  }

  /** sandbox.run_code(code, language): the execution's result lines, logs and error. */
  async runCode(code: string, language: string, timeoutMs: number) {
    const { http, headers } = this.port(JUPYTER_PORT);
    const response = await http.request({
      url: "/execute",
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      json: { code, language },
      timeoutMs,
    });
    if (!response.ok) throw sandboxError(response);
    const results: OutputLine[] = [];
    const stdout: string[] = [];
    const stderr: string[] = [];
    let error: { name?: string; value?: string; traceback?: string } | undefined;
    for (const line of response.text().split("\n")) {
      if (!line.trim()) continue;
      const output = JSON.parse(line) as OutputLine;
      if (output.type === "result") results.push(output);
      else if (output.type === "stdout") stdout.push(String(output.text ?? ""));
      else if (output.type === "stderr") stderr.push(String(output.text ?? ""));
      else if (output.type === "error") error = output as typeof error;
    }
    return { results, stdout: stdout.join(""), stderr: stderr.join(""), error };
  }

  /** Kill the sandbox (best effort: once the node is stopped, E2B's own timeout ends it instead). */
  async kill(): Promise<void> {
    if (!this.sandbox || this.ctx.signal.aborted) return;
    const id = this.sandbox.sandboxID;
    this.sandbox = undefined;
    await this.api
      .request({ url: `/sandboxes/${encodeURIComponent(id)}`, method: "DELETE", headers: this.headers })
      .catch(() => undefined);
  }
}

export const executeCode = defineBlock({
  id: "0b02b072-abe7-11ef-8372-fb5d162dd712",
  name: "ExecuteCodeBlock",
  description: "Executes code in a sandbox environment with internet access.",
  categories: ["DEVELOPER_TOOLS"],
  input: inputs({
    credentials: CredentialsField({
      providers: ["e2b"],
      types: ["api_key"],
      description: "Enter your API key for the E2B platform. You can get it in here - https://e2b.dev/docs",
    }),
    setup_commands: Type.Array(Type.String(), {
      description:
        "Shell commands to set up the sandbox before running the code. You can use `curl` or `git` to install your desired Debian based package manager. `pip` and `npm` are pre-installed.\n\nThese commands are executed with `sh`, in the foreground.",
      placeholder: "pip install cowsay",
      default: [],
      advanced: false,
    }),
    code: Type.String({
      description: "Code to execute in the sandbox",
      placeholder: "print('Hello, World!')",
      default: "",
      advanced: false,
    }),
    language: StringEnum(LANGUAGES, {
      title: "ProgrammingLanguage",
      description: "Programming language to execute",
      default: "python",
      advanced: false,
    }),
    timeout: Type.Integer({ description: "Execution timeout in seconds", default: 300 }),
    dispose_sandbox: Type.Boolean({
      description:
        "Whether to dispose of the sandbox immediately after execution. If disabled, the sandbox will run until its timeout expires.",
      default: true,
    }),
    template_id: Type.String({
      description:
        "You can use an E2B sandbox template by entering its ID here. Check out the E2B docs for more details: [E2B - Sandbox template](https://e2b.dev/docs/sandbox-template)",
      default: "",
      advanced: true,
    }),
  }),
  output: outputs({
    main_result: Dict({ title: "Main Result", description: "The main result from the code execution" }),
    results: Type.Array(Dict(), { description: "List of results from the code execution" }),
    response: Type.String({
      title: "Main Text Output",
      description: "Text output (if any) of the main execution result",
    }),
    stdout_logs: Type.String({ description: "Standard output logs from execution" }),
    stderr_logs: Type.String({ description: "Standard error logs from execution" }),
  }),
  async *run({ code, language, setup_commands, timeout, dispose_sandbox, template_id }, ctx) {
    const { api_key } = requireCredentials(ctx, "E2B", ["api_key"]);
    const session = new E2bSession(ctx, api_key);
    const requestTimeout = timeout * 1000 + REQUEST_SLACK_MS;
    let execution: Awaited<ReturnType<E2bSession["runCode"]>> | undefined;
    let failure: Error | undefined;
    try {
      await session.create(template_id, timeout);
      for (const cmd of setup_commands) await session.runCommand(cmd, requestTimeout);
      execution = await session.runCode(code, language, requestTimeout);
      if (execution.error) {
        const { name, value, traceback } = execution.error;
        failure = new Error(`${name ?? "Error"}: ${value ?? ""}${traceback ? `\n${traceback}` : ""}`);
      }
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      failure = error as Error;
    } finally {
      // AutoGPT kills the sandbox on a code error (on_error) and, when asked, after every run. Done before
      // yielding anything: the engine may stop reading this generator at an error.
      if (dispose_sandbox || failure || !execution) await session.kill();
    }
    if (failure || !execution) {
      yield ["error", failure?.message ?? "The code did not run"];
      return;
    }
    const { main, results } = processResults(execution.results);
    if (main) yield ["main_result", main];
    yield ["results", results];
    const text = main?.text;
    if (typeof text === "string" && text) yield ["response", text];
    if (execution.stdout) yield ["stdout_logs", execution.stdout];
    if (execution.stderr) yield ["stderr_logs", execution.stderr];
  },
  test: [
    {
      input: {
        credentials: { id: "01234567-89ab-cdef-0123-456789abcdef", provider: "e2b", type: "api_key" },
        code: "print('Hello World')",
        language: "python",
        setup_commands: [],
        timeout: 300,
        template_id: "",
      },
      output: [
        ["results", []],
        ["stdout_logs", "Hello World\n"],
      ],
      context: {
        credentials: testCredentials({ provider: "e2b", type: "api_key", api_key: "mock-e2b-api-key" }),
        http: scriptedHttp((req) => {
          if (req.url.pathname === "/sandboxes") return { json: { sandboxID: "sbx-1", envdVersion: "0.2.0" } };
          if (req.url.pathname === "/execute") {
            return { body: `${JSON.stringify({ type: "stdout", text: "Hello World\n", timestamp: 1 })}\n` };
          }
          return { status: 204 };
        }),
      },
    },
  ],
});

export const e2bBlocks: Block[] = [executeCode];
