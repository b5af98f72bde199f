// Saving and reading a 10,000-node graph (~10,000 links) on the embedded default: the request time, and the
// longest event-loop stall of the server while it serves it (perf_hooks monitorEventLoopDelay on the server's
// thread; the HTTP client runs in a worker thread, so its own parsing of a 9 MB answer is not counted).
// Prints one JSON line. Usage: npx tsx bench/large-graph.ts [NODES] [REPEAT]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { loadConfig } from "../src/config.js";
import { createServer } from "../src/server.js";
import { json } from "./lib.js";

const INPUT = "c0a8e994-ebf1-4a9c-a4d8-89d09c86741b";
const STORE = "1ff065e9-88e8-4358-9d82-8dc91f622ba9";
const size = Number(process.argv[2] ?? 10_000);
const repeat = Number(process.argv[3] ?? 3);

function largeGraph(n: number) {
  const nodes = [
    { id: "n0", block_id: INPUT, input_default: { name: "x" } as object, metadata: { position: { x: 0, y: 0 } } },
  ];
  const links = [];
  for (let i = 1; i < n; i++) {
    nodes.push({ id: `n${i}`, block_id: STORE, input_default: { data: i }, metadata: { position: { x: i, y: 0 } } });
    links.push({
      source_id: `n${i - 1}`,
      source_name: i === 1 ? "result" : "output",
      sink_id: `n${i}`,
      sink_name: "input",
    });
  }
  return { name: `large-${n}`, description: "bench", nodes, links };
}

/** The client: one request per message, answering with its wall time and what came back. */
const CLIENT = `
const { parentPort } = require("node:worker_threads");
parentPort.on("message", async ({ url, method, headers, body }) => {
  const t0 = performance.now();
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  const ms = performance.now() - t0;
  const parsed = res.ok ? JSON.parse(text) : undefined;
  parentPort.postMessage({ ms, status: res.status, id: parsed?.id, nodes: parsed?.nodes?.length, error: res.ok ? undefined : text.slice(0, 500) });
});
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const round = (n: number) => Math.round(n);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentry-bench-"));
const config = loadConfig(
  { ...process.env, LOG_LEVEL: "warn" },
  { host: "127.0.0.1", port: 0, dataDir, rateLimit: { enabled: false } },
);
const server = await createServer(config);
const url = await server.listen();
const client = new Worker(CLIENT, { eval: true });
type Answer = { ms: number; status: number; id?: string; nodes?: number; error?: string };

/** One request from the client thread, with the server thread's event-loop delay measured meanwhile. */
async function measured(request: { url: string; method: string; headers: Record<string, string>; body?: string }) {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  // A second witness: the longest gap between ticks of a 1 ms interval.
  let last = performance.now();
  let gap = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 1);
  const answer = await new Promise<Answer>((resolve) => {
    client.once("message", resolve);
    client.postMessage(request);
  });
  // The histogram records a stall when its timer next fires: give it that turn.
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(tick);
  h.disable();
  if (answer.status !== 200) throw new Error(`${request.method} ${request.url}: ${answer.status} ${answer.error}`);
  if (answer.nodes !== size) throw new Error(`${request.method}: ${answer.nodes} nodes`);
  return { ...answer, stall_ms: Math.max(gap, h.max / 1e6) };
}

try {
  const session = await json(`${url}/api/auth/signup`, "POST", { email: "b@example.com", password: "bench password" });
  const headers = { "content-type": "application/json", authorization: `Bearer ${session.access_token}` };
  const body = JSON.stringify({ graph: largeGraph(size) });
  const posts: Array<{ ms: number; stall_ms: number }> = [];
  const gets: Array<{ ms: number; stall_ms: number }> = [];
  for (let i = 0; i < repeat; i++) {
    const post = await measured({ url: `${url}/api/graphs`, method: "POST", headers, body });
    posts.push(post);
    gets.push(await measured({ url: `${url}/api/graphs/${post.id}`, method: "GET", headers }));
  }
  const figures = (xs: Array<{ ms: number; stall_ms: number }>) => ({
    ms: { median: round(median(xs.map((x) => x.ms))), all: xs.map((x) => round(x.ms)) },
    longest_stall_ms: { median: round(median(xs.map((x) => x.stall_ms))), all: xs.map((x) => round(x.stall_ms)) },
  });
  process.stdout.write(
    `${JSON.stringify({
      bench: "large-graph",
      storage: "embedded (PGlite)",
      nodes: size,
      links: size - 1,
      body_bytes: body.length,
      post: figures(posts),
      get: figures(gets),
    })}\n`,
  );
} finally {
  await client.terminate();
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
