// A scripted LLM provider on loopback, speaking the OpenAI chat-completions wire format (JSON, and `stream: true`
// server-sent events with usage), Anthropic Messages (JSON and streaming events) and Ollama's /api/generate, and
// recording every request it gets.
//
// Usage:
//   const llm = await startLlmServer();
//   const t = await startTestServer({
//     outgoingHttp: { providerBaseUrls: { openai: llm.openaiBaseUrl, anthropic: llm.anthropicBaseUrl } },
//     // or operator keys: systemCredentials: { openai: { apiKey: "sk-…", baseUrl: llm.openaiBaseUrl } },
//   });
//   llm.reply({ status: 429 }, { text: "Hello" });  // queued: each request takes the next reply (FIFO)
//   llm.handle((req) => ({ text: `Echo: ${req.lastUserText}` }));  // answers when the queue is empty
//   llm.reply({ toolCalls: [{ name: "add", arguments: { a: 1 } }] });  // tool calls, in either format
//   llm.reply((req) => ({ text: structured(req, { key: "value" }) }));  // AIStructuredResponseGenerator's tagged JSON
//   llm.reply({ hang: true });  // never answers ("midway": stalls after a stream's first event): for cancellation
//   llm.requests  // every request: api, path, headers, body, model, messages, system, stream, lastUserText
//   llm.reset()   // forgets requests and queued replies, restores the default handler
//
// Routes: POST …/chat/completions (OpenAI and every OpenAI-compatible provider), POST …/messages (Anthropic),
// POST /api/generate (Ollama). The default handler (`echo`) answers `Echo: <last user message>`, and a structured
// request (AIStructuredResponseGenerator, AIListGenerator, AITextSummarizer) with every expected key set to that
// echo (`list` as a one-item list). An error reply (`status`)
// gets the provider's error body and `retry-after: 0`, so the client's retries do not wait.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type LlmApi = "openai" | "anthropic" | "ollama";

export interface LlmRequest {
  api: LlmApi;
  method: string;
  path: string;
  /** Lower-case names, as node:http gives them. */
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body. */
  body: any;
  raw: string;
  model: string;
  stream: boolean;
  /** The messages as sent (Anthropic's without its `system`). */
  messages: any[];
  /** The system prompt: Anthropic's `system` text, or OpenAI's system messages joined with a newline. */
  system: string;
  /** The text of the last user message (Anthropic text blocks joined). */
  lastUserText: string;
  /** The `<json_output id="…">` tag id AIStructuredResponseGenerator asked for, if any. */
  jsonTag?: string;
}

export interface LlmToolCallReply {
  id?: string;
  name: string;
  /** An object (sent as its JSON) or a JSON string. */
  arguments?: unknown;
}

export interface LlmReply {
  text?: string;
  toolCalls?: LlmToolCallReply[];
  reasoning?: string;
  /** Token counts reported; default 12 in, 7 out. */
  usage?: { input: number; output: number };
  /** An error status (429, 500…), answered with the provider's error body. */
  status?: number;
  /** The error message for `status`. */
  error?: string;
  headers?: Record<string, string>;
  /**
   * Never answer (the connection stays open until the client gives up), for cancellation and timeouts; `"midway"`
   * sends a streamed answer's first event, then stalls.
   */
  hang?: boolean | "midway";
}

export type LlmReplyScript = LlmReply | ((req: LlmRequest) => LlmReply | Promise<LlmReply>);

export interface LlmServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `<url>/v1`, OpenAI's base URL convention (OPENAI_BASE_URL): the SDK appends /chat/completions. */
  openaiBaseUrl: string;
  /** `<url>`, Anthropic's convention (ANTHROPIC_BASE_URL): the SDK appends /v1/messages. */
  anthropicBaseUrl: string;
  requests: LlmRequest[];
  /** Queues replies, one per coming request. */
  reply(...replies: LlmReplyScript[]): void;
  /** The handler for requests when the queue is empty. */
  handle(handler: (req: LlmRequest) => LlmReply | Promise<LlmReply>): void;
  reset(): void;
  close(): Promise<void>;
}

/** AIStructuredResponseGenerator's expected answer: `value` as JSON inside the tag the request asked for. */
export function structured(req: LlmRequest, value: unknown): string {
  return `<json_output id="${req.jsonTag ?? ""}">${JSON.stringify(value)}</json_output>`;
}

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content
          .filter((b) => b && typeof b === "object" && (b as { type?: string }).type === "text")
          .map((b) => (b as { text: string }).text)
          .join("")
      : "";

function describe(api: LlmApi, method: string, path: string, headers: http.IncomingHttpHeaders, raw: string) {
  let body: any = {};
  try {
    body = raw ? JSON.parse(raw) : {};
  } catch {
    body = {};
  }
  const messages: any[] = Array.isArray(body.messages) ? body.messages : [];
  let system = "";
  if (api === "anthropic") system = typeof body.system === "string" ? body.system : textOf(body.system);
  else if (api === "openai") {
    system = messages
      .filter((m) => m.role === "system")
      .map((m) => textOf(m.content))
      .join("\n");
  } else system = String(body.prompt ?? "");
  const users = messages.filter((m) => m.role === "user");
  const lastUserText = api === "ollama" ? String(body.prompt ?? "") : textOf(users.at(-1)?.content);
  const everything = `${system}\n${messages.map((m) => textOf(m.content)).join("\n")}`;
  const tag = /<json_output id="([^"]+)">/.exec(everything)?.[1];
  const req: LlmRequest = {
    api,
    method,
    path,
    headers,
    body,
    raw,
    model: String(body.model ?? ""),
    stream: body.stream === true,
    messages,
    system,
    lastUserText,
  };
  if (tag) req.jsonTag = tag;
  return req;
}

const argumentsText = (args: unknown) => (typeof args === "string" ? args : JSON.stringify(args ?? {}));
const callId = (call: LlmToolCallReply, i: number, prefix: string) => call.id ?? `${prefix}_${i + 1}`;

function writeOpenAi(res: http.ServerResponse, req: LlmRequest, reply: LlmReply) {
  const usage = reply.usage ?? { input: 12, output: 7 };
  const u = { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output };
  const calls = (reply.toolCalls ?? []).map((c, i) => ({
    id: callId(c, i, "call"),
    type: "function",
    function: { name: c.name, arguments: argumentsText(c.arguments) },
  }));
  const finish = calls.length ? "tool_calls" : "stop";
  const base = { id: "chatcmpl-loopback", created: 1_700_000_000, model: req.model };
  if (!req.stream) {
    const message: Record<string, unknown> = { role: "assistant", content: reply.text ?? (calls.length ? null : "") };
    if (calls.length) message.tool_calls = calls;
    if (reply.reasoning) message.reasoning = reply.reasoning;
    res.writeHead(200, { "content-type": "application/json", ...reply.headers });
    res.end(
      JSON.stringify({
        ...base,
        object: "chat.completion",
        choices: [{ index: 0, message, finish_reason: finish }],
        usage: u,
      }),
    );
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", ...reply.headers });
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    res.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices, ...extra })}\n\n`);
  chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
  if (reply.hang === "midway") return;
  if (reply.reasoning) chunk([{ index: 0, delta: { reasoning: reply.reasoning }, finish_reason: null }]);
  // The text arrives in two pieces, as a real stream would split it.
  const text = reply.text ?? "";
  const half = Math.ceil(text.length / 2);
  for (const piece of [text.slice(0, half), text.slice(half)]) {
    if (piece) chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]);
  }
  calls.forEach((call, index) => {
    const args = call.function.arguments;
    const cut = Math.ceil(args.length / 2);
    chunk([
      {
        index: 0,
        delta: {
          tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }],
        },
        finish_reason: null,
      },
    ]);
    for (const piece of [args.slice(0, cut), args.slice(cut)]) {
      if (piece) {
        chunk([{ index: 0, delta: { tool_calls: [{ index, function: { arguments: piece } }] }, finish_reason: null }]);
      }
    }
  });
  chunk([{ index: 0, delta: {}, finish_reason: finish }]);
  if (req.body.stream_options?.include_usage) chunk([], { usage: u });
  res.end("data: [DONE]\n\n");
}

function writeAnthropic(res: http.ServerResponse, req: LlmRequest, reply: LlmReply) {
  const usage = reply.usage ?? { input: 12, output: 7 };
  const content: any[] = [];
  if (reply.reasoning) content.push({ type: "thinking", thinking: reply.reasoning, signature: "loopback" });
  if (reply.text !== undefined || !reply.toolCalls?.length) content.push({ type: "text", text: reply.text ?? "" });
  (reply.toolCalls ?? []).forEach((c, i) => {
    const input = typeof c.arguments === "string" ? JSON.parse(c.arguments) : (c.arguments ?? {});
    content.push({ type: "tool_use", id: callId(c, i, "toolu"), name: c.name, input });
  });
  const stop = reply.toolCalls?.length ? "tool_use" : "end_turn";
  const message = {
    id: "msg_loopback",
    type: "message",
    role: "assistant",
    model: req.model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output },
  };
  if (!req.stream) {
    res.writeHead(200, { "content-type": "application/json", ...reply.headers });
    res.end(JSON.stringify(message));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", ...reply.headers });
  const event = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event("message_start", {
    message: { ...message, content: [], stop_reason: null, usage: { input_tokens: usage.input, output_tokens: 1 } },
  });
  if (reply.hang === "midway") return;
  content.forEach((block, index) => {
    if (block.type === "text") {
      event("content_block_start", { index, content_block: { type: "text", text: "" } });
      const half = Math.ceil(block.text.length / 2);
      for (const piece of [block.text.slice(0, half), block.text.slice(half)]) {
        if (piece) event("content_block_delta", { index, delta: { type: "text_delta", text: piece } });
      }
    } else if (block.type === "thinking") {
      event("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } });
      event("content_block_delta", { index, delta: { type: "thinking_delta", thinking: block.thinking } });
      event("content_block_delta", { index, delta: { type: "signature_delta", signature: block.signature } });
    } else {
      event("content_block_start", {
        index,
        content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
      });
      const json = JSON.stringify(block.input);
      const cut = Math.ceil(json.length / 2);
      for (const piece of [json.slice(0, cut), json.slice(cut)]) {
        if (piece) event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: piece } });
      }
    }
    event("content_block_stop", { index });
  });
  event("message_delta", { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output } });
  event("message_stop", {});
  res.end();
}

function writeOllama(res: http.ServerResponse, req: LlmRequest, reply: LlmReply) {
  const usage = reply.usage ?? { input: 12, output: 7 };
  res.writeHead(200, { "content-type": "application/json", ...reply.headers });
  res.end(
    JSON.stringify({
      model: req.model,
      response: reply.text ?? "",
      done: true,
      prompt_eval_count: usage.input,
      eval_count: usage.output,
    }),
  );
}

function writeError(res: http.ServerResponse, api: LlmApi, reply: LlmReply) {
  const status = reply.status ?? 500;
  const message = reply.error ?? `loopback error ${status}`;
  const body =
    api === "anthropic"
      ? { type: "error", error: { type: status === 429 ? "rate_limit_error" : "api_error", message } }
      : { error: { message, type: status === 429 ? "rate_limit_exceeded" : "server_error", code: null } };
  res.writeHead(status, { "content-type": "application/json", "retry-after": "0", ...reply.headers });
  res.end(JSON.stringify(body));
}

/**
 * The keys AIStructuredResponseGenerator asked for (from its format instructions), or undefined: lets the default
 * handler answer structured requests too, so agents made of LLM blocks run end to end unscripted.
 */
export function expectedKeys(req: LlmRequest): string[] | undefined {
  const marker = "strictly following this format:\n";
  const at = req.system.indexOf(marker);
  if (at < 0) return undefined;
  const block = req.system.slice(at + marker.length).split("\n\nIf you cannot provide all the keys")[0] ?? "";
  const keys = [...block.matchAll(/^\s*"([^"]+)":/gm)].map((m) => m[1] as string);
  return [...new Set(keys.filter((k) => k !== "reasoning" && k !== "results"))];
}

/** The default answer: `Echo: <last user message>`, or for a structured request each key filled with that echo. */
export function echo(req: LlmRequest): LlmReply {
  const said = `Echo: ${req.lastUserText}`;
  const keys = expectedKeys(req);
  if (!keys) return { text: said };
  const value = Object.fromEntries(keys.map((k) => [k, k === "list" ? [said] : said]));
  const listMode = /JSON array strictly|"results": \[/.test(req.system);
  const answer = listMode ? (req.jsonTag ? [value] : { results: [value] }) : value;
  return { text: req.jsonTag ? structured(req, answer) : JSON.stringify(answer) };
}

export async function startLlmServer(): Promise<LlmServer> {
  const requests: LlmRequest[] = [];
  let queue: LlmReplyScript[] = [];
  let fallback: (req: LlmRequest) => LlmReply | Promise<LlmReply> = echo;
  const server = http.createServer((incoming, res) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (c: Buffer) => chunks.push(c));
    incoming.on("end", async () => {
      const path = new URL(incoming.url ?? "/", "http://localhost").pathname;
      const api: LlmApi | undefined = path.endsWith("/chat/completions")
        ? "openai"
        : path.endsWith("/messages")
          ? "anthropic"
          : path === "/api/generate"
            ? "ollama"
            : undefined;
      if (!api || incoming.method !== "POST") {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `no route for ${incoming.method} ${path}` } }));
        return;
      }
      const req = describe(api, incoming.method, path, incoming.headers, Buffer.concat(chunks).toString("utf8"));
      requests.push(req);
      try {
        const next = queue.shift();
        const reply = next === undefined ? await fallback(req) : typeof next === "function" ? await next(req) : next;
        if (reply.hang === true) return;
        if (reply.status && reply.status >= 400) writeError(res, api, reply);
        else if (api === "openai") writeOpenAi(res, req, reply);
        else if (api === "anthropic") writeAnthropic(res, req, reply);
        else writeOllama(res, req, reply);
      } catch (err) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`loopback LLM handler failed: ${(err as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    requests,
    reply: (...replies) => {
      queue.push(...replies);
    },
    handle: (handler) => {
      fallback = handler;
    },
    reset: () => {
      requests.length = 0;
      queue = [];
      fallback = echo;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
