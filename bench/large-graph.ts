// Saving and reading a 10,000-node graph (~10,000 links) on the embedded default: the request time, and the
// longest event-loop stall while it is served (perf_hooks monitorEventLoopDelay, in the server's own process).
// Prints one JSON line. Usage: npx tsx bench/large-graph.ts [NODES] [REPEAT]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { loadConfig } from "../src/config.js";
import { createServer } from "../src/server.js";
import { json } from "./lib.js";

const INPUT = "c0a8e994-ebf1-4a9c-a4d8-89d09c86741b";
const STORE = "1ff065e9-88e8-4358-9d82-8dc91f622ba9";
const size = Number(process.argv[2] ?? 10_000);
const repeat = Number(process.argv[3] ?? 3);

function largeGraph(n: number) {
  const nodes = [{ id: "n0", block_id: INPUT, input_default: { name: "x" }, metadata: { position: { x: 0, y: 0 } } }];
  const links = [];
  for (let i = 1; i < n; i++) {
    nodes.push({ id: `n${i}`, block_id: STORE, input_default: { data: i } as never, metadata: { position: { x: i, y: 0 } } });
    links.push({ source_id: `n${i - 1}`, source_name: i === 1 ? "result" : "output", sink_id: `n${i}`, sink_name: "input" });
  }
  return { name: `large-${n}`, description: "bench", nodes, links };
}

/**
 * Runs a request with the event-loop delay histogram on; returns its wall time, the longest stall (ms) and the
 * response, parsed after the measurement: the client shares the server's thread here, and parsing a 9 MB answer
 * is the client's cost, not the server's.
 */
async function measured<T>(fn: () => Promise<Response>): Promise<{ ms: number; stall_ms: number; value: T }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t0 = performance.now();
  const res = await fn();
  const bytes = await res.arrayBuffer();
  const ms = performance.now() - t0;
  h.disable();
  const text = new TextDecoder().decode(bytes);
  if (!res.ok) throw new Error(`${res.status} ${text.slice(0, 500)}`);
  return { ms, stall_ms: h.max / 1e6, value: JSON.parse(text) as T };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const round = (n: number) => Math.round(n);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentry-bench-"));
const config = loadConfig(
  { ...process.env, LOG_LEVEL: "warn" },
  { host: "127.0.0.1", port: 0, dataDir, rateLimit: { enabled: false } },
);
const server = await createServer(config);
const url = await server.listen();
try {
  const session = await json(`${url}/api/auth/signup`, "POST", { email: "b@example.com", password: "bench password" });
  const auth = { "content-type": "application/json", authorization: `Bearer ${session.access_token}` };
  const body = JSON.stringify({ graph: largeGraph(size) });
  const posts: Array<{ ms: number; stall_ms: number }> = [];
  const gets: Array<{ ms: number; stall_ms: number }> = [];
  for (let i = 0; i < repeat; i++) {
    const post = await measured<{ id: string; nodes: unknown[] }>(() =>
      fetch(`${url}/api/graphs`, { method: "POST", headers: auth, body }),
    );
    if (post.value.nodes.length !== size) throw new Error(`saved ${post.value.nodes.length} nodes`);
    posts.push(post);
    const get = await measured<{ nodes: unknown[] }>(() => fetch(`${url}/api/graphs/${post.value.id}`, { headers: auth }));
    if (get.value.nodes.length !== size) throw new Error(`read ${get.value.nodes.length} nodes`);
    gets.push(get);
  }
  process.stdout.write(
    `${JSON.stringify({
      bench: "large-graph",
      storage: "embedded (PGlite)",
      nodes: size,
      links: size - 1,
      body_bytes: body.length,
      repeat,
      post_ms: { median: round(median(posts.map((p) => p.ms))), all: posts.map((p) => round(p.ms)) },
      post_longest_stall_ms: { median: round(median(posts.map((p) => p.stall_ms))), all: posts.map((p) => round(p.stall_ms)) },
      get_ms: { median: round(median(gets.map((g) => g.ms))), all: gets.map((g) => round(g.ms)) },
      get_longest_stall_ms: { median: round(median(gets.map((g) => g.stall_ms))), all: gets.map((g) => round(g.stall_ms)) },
    })}\n`,
  );
} finally {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
