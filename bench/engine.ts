// Engine throughput on the embedded default, through the API: (a) a 100-node StoreValue chain, (b) a 1,000-node
// fan-out, (c) end-to-end latency of the calculator agent (POST execute → final WebSocket event), 200 runs.
// Prints one JSON line. Usage: npm run bench:engine [-- RUNS]
import fs from "node:fs";
import WebSocket from "ws";
import { json, startServer } from "./lib.js";

const INPUT = "c0a8e994-ebf1-4a9c-a4d8-89d09c86741b";
const OUTPUT = "363ae599-353e-4804-937e-b2ee3cef3da4";
const STORE = "1ff065e9-88e8-4358-9d82-8dc91f622ba9";
const runs = Number(process.argv[2] ?? 200);

type Spec = { id: string; block_id: string; input_default?: Record<string, unknown> };
function graph(name: string, nodes: Spec[], links: Array<[string, string, string, string]>) {
  return {
    name,
    description: "bench",
    nodes: nodes.map((n) => ({ input_default: {}, metadata: {}, ...n })),
    links: links.map(([source_id, source_name, sink_id, sink_name]) => ({
      source_id,
      source_name,
      sink_id,
      sink_name,
      is_static: false,
    })),
  };
}

function chain(length: number) {
  const nodes: Spec[] = [{ id: "in", block_id: INPUT, input_default: { name: "x" } }];
  const links: Array<[string, string, string, string]> = [["in", "result", "s0", "input"]];
  for (let i = 0; i < length; i++) {
    nodes.push({ id: `s${i}`, block_id: STORE });
    if (i > 0) links.push([`s${i - 1}`, "output", `s${i}`, "input"]);
  }
  nodes.push({ id: "out", block_id: OUTPUT, input_default: { name: "y" } });
  links.push([`s${length - 1}`, "output", "out", "value"]);
  return graph(`chain-${length}`, nodes, links);
}

function fanOut(width: number) {
  const nodes: Spec[] = [{ id: "in", block_id: INPUT, input_default: { name: "x" } }];
  const links: Array<[string, string, string, string]> = [];
  for (let i = 0; i < width; i++) {
    nodes.push({ id: `s${i}`, block_id: STORE });
    links.push(["in", "result", `s${i}`, "input"]);
  }
  return graph(`fan-out-${width}`, nodes, links);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
const round = (n: number, digits = 2) => Number(n.toFixed(digits));

const server = await startServer({ EXECUTOR_RUN_CONCURRENCY: "64" });
try {
  const session = await json(`${server.url}/api/auth/signup`, "POST", {
    email: "b@example.com",
    password: "bench password",
  });
  const auth = { authorization: `Bearer ${session.access_token}` };
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws?token=${session.access_token}`);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const waiting = new Map<string, (data: any) => void>();
  const ended = new Map<string, any>();
  ws.on("message", (raw) => {
    const msg = JSON.parse(raw.toString());
    if (msg.method !== "graph_execution_event") return;
    if (!["COMPLETED", "FAILED", "TERMINATED"].includes(msg.data.status)) return;
    const resolve = waiting.get(msg.data.id);
    if (resolve) resolve(msg.data);
    else ended.set(msg.data.id, msg.data);
  });

  async function runOnce(g: { id: string; version: number }, inputs: Record<string, unknown>) {
    const t0 = performance.now();
    const done = new Promise<any>((resolve) => {
      // The final event may arrive before the POST answers: match it by id once the id is known.
      const poll = (id: string) => {
        const hit = ended.get(id);
        if (hit) resolve(hit);
        else waiting.set(id, resolve);
      };
      json(`${server.url}/api/graphs/${g.id}/execute/${g.version}`, "POST", { inputs }, auth).then((run) =>
        poll(run.id),
      );
    });
    const data = await done;
    if (data.status !== "COMPLETED") throw new Error(`run ended ${data.status}: ${data.stats?.error}`);
    return { ms: performance.now() - t0, data };
  }

  async function subscribe(graphId: string) {
    ws.send(JSON.stringify({ method: "subscribe_graph_executions", data: { graph_id: graphId } }));
    await new Promise((r) => setTimeout(r, 50));
  }

  async function throughput(body: unknown, repeat: number) {
    const g = await json(`${server.url}/api/graphs`, "POST", { graph: body }, auth);
    await subscribe(g.id);
    for (let i = 0; i < 5; i++) await runOnce(g, { x: i }); // warm-up (JIT)
    const times: number[] = [];
    let nodes = 0;
    for (let i = 0; i < repeat; i++) {
      const r = await runOnce(g, { x: i });
      times.push(r.ms);
      nodes = r.data.stats.node_exec_count;
    }
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
    return {
      nodes,
      run_ms_median: round(median),
      node_execs_per_s: Math.round((nodes / median) * 1000),
      per_node_ms: round(median / nodes, 3),
    };
  }

  const chainResult = await throughput(chain(100), 30);
  const fanResult = await throughput(fanOut(1000), 10);

  const calc = await json(
    `${server.url}/api/graphs`,
    "POST",
    { graph: JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8")) },
    auth,
  );
  await subscribe(calc.id);
  for (let i = 0; i < 10; i++) await runOnce(calc, { Input: i });
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) latencies.push((await runOnce(calc, { Input: i })).ms);
  latencies.sort((a, b) => a - b);

  process.stdout.write(
    `${JSON.stringify({
      bench: "engine",
      storage: "embedded (PGlite)",
      chain_100: chainResult,
      fan_out_1000: fanResult,
      calculator_runs: runs,
      calculator_latency_ms: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
    })}\n`,
  );
  ws.close();
} finally {
  await server.stop();
}
