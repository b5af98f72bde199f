// Graphs and runs as a client builds them: AutoGPT-format graphs with a slow node, execute, poll a run's status.
import fs from "node:fs";
import { expect } from "vitest";
import type { Client } from "./client.js";

export const INPUT = "c0a8e994-ebf1-4a9c-a4d8-89d09c86741b";
export const OUTPUT = "363ae599-353e-4804-937e-b2ee3cef3da4";
export const COUNTDOWN = "d67a9c52-5e4e-11e2-bcfd-0800200c9a71";
export const AGENT_EXECUTOR = "e189baac-8c20-45a1-94a7-55177ea42565";
export const TERMINAL = ["COMPLETED", "FAILED", "TERMINATED"];

export type NodeSpec = { id: string; block_id: string; input_default?: Record<string, unknown> };
export type LinkSpec = [source: string, sourceName: string, sink: string, sinkName: string];

export function graph(name: string, nodes: NodeSpec[], links: LinkSpec[]) {
  return {
    name,
    description: `${name} (test)`,
    nodes: nodes.map((n) => ({ input_default: {}, metadata: { position: { x: 0, y: 0 } }, ...n })),
    links: links.map(([source_id, source_name, sink_id, sink_name], i) => ({
      id: `link-${i}`,
      source_id,
      source_name,
      sink_id,
      sink_name,
      is_static: false,
    })),
  };
}

/** input `message` -> CountdownTimer(seconds) -> output `done`. */
export const slowGraph = (seconds: number) =>
  graph(
    `wait ${seconds}s`,
    [
      { id: "in", block_id: INPUT, input_default: { name: "message" } },
      { id: "wait", block_id: COUNTDOWN, input_default: { seconds } },
      { id: "out", block_id: OUTPUT, input_default: { name: "done" } },
    ],
    [
      ["in", "result", "wait", "input_message"],
      ["wait", "output_message", "out", "value"],
    ],
  );

/** input `message` -> AgentExecutor(child graph) -> output `done`: the child runs as a sub-execution. */
export const parentGraph = (
  child: { id: string; version: number; input_schema: unknown; output_schema: unknown },
  userId: string,
) =>
  graph(
    "parent",
    [
      { id: "in", block_id: INPUT, input_default: { name: "message" } },
      {
        id: "sub",
        block_id: AGENT_EXECUTOR,
        input_default: {
          graph_id: child.id,
          graph_version: child.version,
          user_id: userId,
          inputs: {},
          input_schema: child.input_schema,
          output_schema: child.output_schema,
        },
      },
      { id: "out", block_id: OUTPUT, input_default: { name: "done" } },
    ],
    [
      ["in", "result", "sub", "message"],
      ["sub", "done", "out", "value"],
    ],
  );

export const calculatorGraph = () => JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8"));

export async function create(api: Client, body: unknown) {
  const res = await api.post("/api/graphs", { graph: body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export async function execute(api: Client, g: { id: string; version: number }, inputs: Record<string, unknown>) {
  const res = await api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { id: string; status: string };
}

/** Polls a run until `done(run)`; fails after `timeoutMs` (a bound for a loaded machine, not a measurement). */
export async function waitFor(api: Client, execId: string, done: (run: any) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.get(`/api/executions/${execId}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (done(res.body)) return res.body;
    if (Date.now() > deadline)
      throw new Error(`run ${execId} still ${res.body.status}: ${JSON.stringify(res.body.stats)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const ended = (run: { status: string }) => TERMINAL.includes(run.status);

/** Waits until the run's countdown node is running (its input node has finished). */
export const waiting = (run: { status: string; node_executions: unknown[] }) =>
  run.status === "RUNNING" && run.node_executions.length >= 1;

/** Polls a condition; fails after `timeoutMs` (a bound for a loaded machine, not a measurement). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
