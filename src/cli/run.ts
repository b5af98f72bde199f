// `agentry run FILE.json --input name=value`: import an agent JSON, run it on the embedded database, show progress, print outputs.
// The app is imported when a run starts, so a usage error answers without loading it.
import fs from "node:fs";
import type { Config } from "../config.js";

const CLI_USER = "cli@localhost";

/** `name=value`: the value is read as JSON when it parses (numbers, lists, objects), else as a string. */
export function parseInputs(pairs: string[]): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`--input takes name=value, got "${pair}"`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {}
    inputs[pair.slice(0, eq)] = value;
  }
  return inputs;
}

export async function runAgentFile(
  config: Config,
  file: string,
  inputs: Record<string, unknown>,
  out: { write(s: string): void },
): Promise<number> {
  let document: unknown;
  try {
    document = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`Cannot read ${file}: ${(err as Error).message}`);
  }
  const graph = (document as { graph?: unknown }).graph ?? document;
  const [{ newId }, { getBlock }, { TERMINAL_STATUSES }, users, { createServer }] = await Promise.all([
    import("../auth/tokens.js"),
    import("../blocks/index.js"),
    import("../engine/types.js"),
    import("../infra/db/repos/users.js"),
    import("../server.js"),
  ]);
  const server = await createServer({ ...config, rateLimit: { ...config.rateLimit, enabled: false } });
  try {
    const { database, auth, events } = server.platform;
    const user =
      (await users.findUserByEmail(database.db, CLI_USER)) ??
      (await users.insertUser(database.db, { id: newId(), email: CLI_USER, name: "Command line" }));
    if (!user) throw new Error("Could not create the command-line user");
    const { plainText } = await auth.createApiKey(user, {
      name: "agentry run",
      permissions: ["WRITE_GRAPH", "RUN_AGENT", "READ_RUN"],
    });
    const call = async (method: "POST" | "GET", url: string, payload?: unknown) => {
      const res = await server.app.inject({
        method,
        url,
        payload: payload as object,
        headers: { "x-api-key": plainText },
      });
      const body = res.json();
      if (res.statusCode >= 400) {
        const details = body.error?.details?.errors ? `\n${JSON.stringify(body.error.details.errors, null, 2)}` : "";
        throw new Error(`${body.error?.message ?? res.statusCode}${details}`);
      }
      return body;
    };
    const created = await call("POST", "/api/graphs", { graph });
    out.write(`Running "${created.name}" (graph ${created.id} v${created.version}, ${created.nodes.length} nodes)\n`);

    let execId: string | undefined;
    const early: Array<Parameters<Parameters<typeof events.subscribe>[0]>[0]> = [];
    let finish!: (status: string) => void;
    const finished = new Promise<string>((resolve) => (finish = resolve));
    const handle = (event: (typeof early)[number]) => {
      if (event.type === "node_execution_event" && event.data.graph_exec_id === execId) {
        const d = event.data;
        if (!TERMINAL_STATUSES.has(d.status)) return;
        const name = getBlock(d.block_id)?.name ?? d.block_id;
        const outputs = Object.entries(d.output_data)
          .map(([pin, values]) => `${pin}=${values.map((v) => JSON.stringify(v)).join(",")}`)
          .join(" ");
        out.write(
          `  ${d.status === "COMPLETED" ? "✓" : "✗"} ${name} [${d.node_id.slice(0, 8)}] ${d.status} ${outputs}\n`,
        );
      } else if (
        event.type === "graph_execution_event" &&
        event.data.id === execId &&
        TERMINAL_STATUSES.has(event.data.status)
      ) {
        finish(event.data.status);
      }
    };
    const unsubscribe = events.subscribe((event) => (execId ? handle(event) : early.push(event)));
    const run = await call("POST", `/api/graphs/${created.id}/execute/${created.version}`, { inputs });
    execId = run.id as string;
    for (const event of early.splice(0)) handle(event);
    const status = await finished;
    unsubscribe();
    const result = await call("GET", `/api/executions/${execId}`);
    out.write(`${status}${result.stats?.error ? `: ${result.stats.error}` : ""}\n`);
    out.write(`${JSON.stringify(result.outputs, null, 2)}\n`);
    return status === "COMPLETED" ? 0 : 1;
  } finally {
    await server.close();
  }
}
