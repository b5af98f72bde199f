// Runs cannot starve or exhaust the server: per-run limits end runs FAILED with the limit named, the event loop
// keeps answering while runs loop, stop always ends a run, and reading or saving very large things stays bounded.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createKey, signUp } from "./helpers/client.js";
import {
  COUNTDOWN,
  create,
  execute,
  graph,
  INPUT,
  type LinkSpec,
  type NodeSpec,
  OUTPUT,
  parentGraph,
  slowGraph,
  until,
} from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const CALCULATOR = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";
const STORE = "1ff065e9-88e8-4358-9d82-8dc91f622ba9";
const TEXT_REPLACE = "7e7c87ab-3469-4bcc-9abe-67705091b713";

/** An input feeding a calculator whose result feeds its own `a`: it never ends by itself, and never waits. */
const selfFeeding = () =>
  graph(
    "self-feeding",
    [
      { id: "in", block_id: INPUT, input_default: { name: "x" } },
      { id: "calc", block_id: CALCULATOR, input_default: { operation: "Add", b: 1 } },
    ],
    [
      ["in", "result", "calc", "a"],
      ["calc", "result", "calc", "a"],
    ],
  );

const TERMINAL = ["COMPLETED", "FAILED", "TERMINATED"];

async function waitForRun(
  api: Client,
  execId: string,
  until: (run: any) => boolean = (r) => TERMINAL.includes(r.status),
) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await api.get(`/api/executions/${execId}`);
    expect(res.status).toBe(200);
    if (until(res.body)) return res.body;
    if (Date.now() > deadline) throw new Error(`run ${execId} still ${res.body.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Milliseconds /health takes to answer. */
async function healthLatency(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(30_000) });
  expect(res.status).toBe(200);
  await res.text();
  return performance.now() - t0;
}

describe("run limits", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    t = await startTestServer({
      executor: { maxNodeExecutions: 1500, maxOutputBytes: 100_000, maxBlockOutputBytes: 20_000 },
    });
    alice = await signUp(t.url);
  });
  afterAll(() => t?.close());

  it("ends a self-feeding loop FAILED, naming the node-execution limit, and pages through its node executions", async () => {
    const g = await create(alice.api, selfFeeding());
    const run = await execute(alice.api, g, { x: 1 });
    // While it loops, the server keeps answering.
    let running = true;
    const probes = (async () => {
      const latencies: number[] = [];
      while (running) latencies.push(await healthLatency(t.url));
      return latencies;
    })();
    const done = await waitForRun(alice.api, run.id);
    running = false;
    const latencies = await probes;
    // A loop that held the event loop would let /health answer once at most, after the run ended; counted, not
    // timed, so a loaded machine cannot fail it.
    expect(latencies.length).toBeGreaterThanOrEqual(3);
    expect(done.status).toBe("FAILED");
    expect(done.stats.error).toBe("Run exceeded the limit of 1500 node executions (EXECUTOR_MAX_NODE_EXECUTIONS)");
    expect(done.stats.node_exec_count).toBeLessThanOrEqual(1500);
    // Nothing is left waiting or running.
    expect(done.node_executions.some((n: { status: string }) => ["QUEUED", "RUNNING"].includes(n.status))).toBe(false);

    // The first 1,000 node executions by default, in order; the rest page by page.
    expect(done.node_executions).toHaveLength(1000);
    const total = done.node_executions_pagination.total_items;
    expect(total).toBeGreaterThan(1000);
    expect(total).toBeLessThanOrEqual(1500);
    expect(done.node_executions_pagination).toEqual({
      total_items: total,
      total_pages: 2,
      current_page: 1,
      page_size: 1000,
    });
    const second = await alice.api.get(`/api/graphs/${g.id}/executions/${run.id}?page=2`);
    expect(second.status).toBe(200);
    expect(second.body.node_executions).toHaveLength(total - 1000);
    const small = await alice.api.get(`/api/executions/${run.id}?page=3&page_size=10`);
    expect(small.body.node_executions).toHaveLength(10);
    const ids = [...done.node_executions, ...second.body.node_executions].map(
      (n: { node_exec_id: string }) => n.node_exec_id,
    );
    expect(new Set(ids).size).toBe(total);
    expect(small.body.node_executions.map((n: { node_exec_id: string }) => n.node_exec_id)).toEqual(ids.slice(20, 30));
    // Calculator results count up: the order is the order they ran.
    const results = [...done.node_executions, ...second.body.node_executions]
      .filter((n: { block_id: string; status: string }) => n.block_id === CALCULATOR && n.status === "COMPLETED")
      .map((n: { output_data: { result: number[] } }) => n.output_data.result[0]);
    expect(results.slice(0, 5)).toEqual([2, 3, 4, 5, 6]);
    expect((await alice.api.get(`/api/executions/${run.id}?page_size=1001`)).status).toBe(422);
    expect((await alice.api.get(`/api/executions/${run.id}?page=0`)).status).toBe(422);
    expect((await alice.api.get(`/api/executions/${run.id}?page=99999999999999999999`)).status).toBe(422);
    const beyond = await alice.api.get(`/api/executions/${run.id}?page=100000`);
    expect(beyond.status).toBe(200);
    expect(beyond.body.node_executions).toEqual([]);

    // The External APIs page the same way.
    const key = await createKey(t.url, alice.api, ["READ_GRAPH", "READ_RUN"]);
    const v1 = await key.api.get(`/external-api/v1/graphs/${g.id}/executions/${run.id}/results?page=2&page_size=5`);
    expect(v1.status, JSON.stringify(v1.body)).toBe(200);
    expect(v1.body.nodes).toHaveLength(5);
    expect(v1.body.nodes_pagination).toMatchObject({ total_items: total, current_page: 2, page_size: 5 });
    const v2 = await key.api.get(`/external-api/v2/runs/${run.id}`);
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect(v2.body.node_executions).toHaveLength(1000);
    expect(v2.body.node_executions_total_count).toBe(total);
    expect(typeof v2.body.node_executions_next_cursor).toBe("string");
    const v2next = await key.api.get(
      `/external-api/v2/runs/${run.id}?node_executions_cursor=${v2.body.node_executions_next_cursor}`,
    );
    expect(v2next.body.node_executions).toHaveLength(total - 1000);
    expect(v2next.body.node_executions_next_cursor).toBeNull();
  });

  it("ends a run FAILED once its node outputs add up past the total output limit", async () => {
    const big = "x".repeat(10_000);
    const g = await create(
      alice.api,
      graph(
        "big-loop",
        [
          { id: "in", block_id: INPUT, input_default: { name: "x" } },
          { id: "store", block_id: STORE, input_default: { data: big } },
        ],
        [
          ["in", "result", "store", "input"],
          ["store", "output", "store", "input"],
        ],
      ),
    );
    const done = await waitForRun(alice.api, (await execute(alice.api, g, { x: 1 })).id);
    expect(done.status).toBe("FAILED");
    expect(done.stats.error).toBe("Run exceeded the limit of 100000 bytes of node output (EXECUTOR_MAX_OUTPUT_BYTES)");
    // About ten 10 KB values fit; the run did not go on to the node-execution limit.
    expect(done.node_executions.length).toBeLessThan(30);
  });

  it("fails a node whose single output value is larger than the per-value limit", async () => {
    const g = await create(
      alice.api,
      graph(
        "one-big-value",
        [
          { id: "in", block_id: INPUT, input_default: { name: "x" } },
          { id: "out", block_id: OUTPUT, input_default: { name: "y" } },
        ],
        [["in", "result", "out", "value"]],
      ),
    );
    const done = await waitForRun(alice.api, (await execute(alice.api, g, { x: "y".repeat(30_000) })).id);
    expect(done.status).toBe("FAILED");
    expect(done.stats.error).toContain(
      "is larger than the limit of 20000 bytes per value (EXECUTOR_MAX_BLOCK_OUTPUT_BYTES)",
    );
    expect(done.outputs).toEqual({});
    const input = done.node_executions.find((n: { block_id: string }) => n.block_id === INPUT);
    expect(input.status).toBe("FAILED");
    expect(input.output_data.result).toBeUndefined();
  });

  it("refuses block inputs that multiply work: a huge timer repeat, a replacement that would explode", async () => {
    const timer = await create(
      alice.api,
      graph(
        "repeat-bomb",
        [
          { id: "in", block_id: INPUT, input_default: { name: "x" } },
          { id: "timer", block_id: COUNTDOWN, input_default: { repeat: 1_000_000_000 } },
        ],
        [["in", "result", "timer", "input_message"]],
      ),
    );
    const t1 = await waitForRun(alice.api, (await execute(alice.api, timer, { x: 1 })).id);
    expect(t1.status).toBe("FAILED");
    expect(t1.stats.error).toMatch(/repeat.*at most 10000/);

    const replace = await create(
      alice.api,
      graph(
        "replace-bomb",
        [
          { id: "in", block_id: INPUT, input_default: { name: "x" } },
          { id: "replace", block_id: TEXT_REPLACE, input_default: { old: "", new: "z".repeat(5000) } },
        ],
        [["in", "result", "replace", "text"]],
      ),
    );
    const t2 = await waitForRun(alice.api, (await execute(alice.api, replace, { x: "a".repeat(5000) })).id);
    expect(t2.status).toBe("FAILED");
    expect(t2.stats.error).toMatch(/would be about 25010000 characters.*over the limit of 20000/);
  });

  it("saves a 10,000-node graph and reads it back in order", async () => {
    const nodes: NodeSpec[] = [{ id: "n0", block_id: INPUT, input_default: { name: "x" } }];
    const links: LinkSpec[] = [];
    for (let i = 1; i < 10_000; i++) {
      nodes.push({ id: `n${i}`, block_id: STORE, input_default: { data: i } });
      links.push([`n${i - 1}`, i === 1 ? "result" : "output", `n${i}`, "input"]);
    }
    const g = await create(alice.api, graph("large", nodes, links));
    expect(g.nodes).toHaveLength(10_000);
    expect(g.links).toHaveLength(9_999);
    const back = await alice.api.get(`/api/graphs/${g.id}`);
    expect(back.status).toBe(200);
    expect(back.body.nodes).toHaveLength(10_000);
    expect(back.body.links).toHaveLength(9_999);
    expect(back.body.nodes.map((n: { input_default: { data?: number } }) => n.input_default.data ?? 0)).toEqual(
      nodes.map((_, i) => i),
    );
    // Every link joins node i-1 to node i of the stored graph.
    const ids = back.body.nodes.map((n: { id: string }) => n.id);
    expect(
      back.body.links.every(
        (l: { source_id: string; sink_id: string }, i: number) => l.source_id === ids[i] && l.sink_id === ids[i + 1],
      ),
    ).toBe(true);
    expect(back.body.nodes[5].input_links).toHaveLength(1);
    expect(back.body.nodes[5].output_links).toHaveLength(1);
  });
});

describe("busy runs and stop", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    // Limits far away: only stop ends these runs.
    t = await startTestServer({ executor: { maxNodeExecutions: 100_000_000, nodeTimeoutSeconds: 120 } });
    alice = await signUp(t.url);
  });
  afterAll(() => t?.close());

  it("keeps /health answering while pure-CPU loops run, and stops a busy loop", async () => {
    const g = await create(alice.api, selfFeeding());
    const runs = [await execute(alice.api, g, { x: 1 }), await execute(alice.api, g, { x: 1 })];
    for (const run of runs) await waitForRun(alice.api, run.id, (r) => r.status === "RUNNING");
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      latencies.push(await healthLatency(t.url));
      await new Promise((r) => setTimeout(r, 20));
    }
    // Ten answers while both loops still run (checked next): a loop that never yielded would leave them waiting
    // until the test's timeout. Not timed here: bench/engine.ts and the note measure the latency.
    expect(latencies).toHaveLength(10);
    for (const run of runs) {
      const running = await alice.api.get(`/api/executions/${run.id}?page_size=1`);
      expect(running.body.status).toBe("RUNNING");
      const stopped = await alice.api.post(`/api/executions/${run.id}/stop`);
      expect(stopped.status).toBe(200);
      expect(stopped.body.status).toBe("TERMINATED");
      expect(stopped.body.stats.error).toBe("Execution was stopped");
      // The node that was running when the stop came was created last: it ended TERMINATED, nothing is left running.
      const count = (await alice.api.get(`/api/executions/${run.id}?page_size=1`)).body.node_executions_pagination;
      const after = await alice.api.get(`/api/executions/${run.id}?page=${count.total_items}&page_size=1`);
      expect(after.body.node_executions[0].status).toBe("TERMINATED");
      expect(after.body.stats.node_exec_count).toBeGreaterThan(0);
    }
  });

  it("stops a run with 16 long-running nodes: every node ends TERMINATED", async () => {
    const nodes: NodeSpec[] = [{ id: "in", block_id: INPUT, input_default: { name: "x" } }];
    const links: LinkSpec[] = [];
    for (let i = 0; i < 16; i++) {
      nodes.push({ id: `wait${i}`, block_id: COUNTDOWN, input_default: { seconds: 60 } });
      links.push(["in", "result", `wait${i}`, "input_message"]);
    }
    const g = await create(alice.api, graph("sixteen-timers", nodes, links));
    const run = await execute(alice.api, g, { x: 1 });
    // A node execution is stored when it ends: once the input's is there, the 16 timers are running.
    await waitForRun(alice.api, run.id, (r) => r.node_executions.length >= 1);
    const started = performance.now();
    const stopped = await alice.api.post(`/api/executions/${run.id}/stop`);
    const took = performance.now() - started;
    expect(stopped.body.status).toBe("TERMINATED");
    expect(took).toBeLessThan(5000);
    const done = await alice.api.get(`/api/executions/${run.id}`);
    const timers = done.body.node_executions.filter((n: { block_id: string }) => n.block_id === COUNTDOWN);
    expect(timers).toHaveLength(16);
    expect(timers.every((n: { status: string }) => n.status === "TERMINATED")).toBe(true);
  });

  it("stops a run waiting on a sub-agent, and the sub-agent's run ends too", async () => {
    const child = await create(alice.api, slowGraph(60));
    const parent = await create(alice.api, parentGraph(child, alice.user.id));
    const run = await execute(alice.api, parent, { message: "hi" });
    const childRuns = async () =>
      (await alice.api.get(`/api/graphs/${child.id}/executions`)).body.executions as Array<{
        id: string;
        status: string;
      }>;
    await until(async () => (await childRuns()).some((r) => r.status === "RUNNING"), "the sub-agent to start");
    const stopped = await alice.api.post(`/api/executions/${run.id}/stop`);
    expect(stopped.body.status).toBe("TERMINATED");
    const [sub] = await childRuns();
    expect(sub?.status).toBe("TERMINATED");
  });
});

describe("wall-time limit", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ executor: { maxRunSeconds: 1 } });
  });
  afterAll(() => t?.close());

  it("ends a run that outlives the wall-time limit FAILED, naming it, with its waiting node ended", async () => {
    const alice = await signUp(t.url);
    const g = await create(alice.api, slowGraph(60));
    const done = await waitForRun(alice.api, (await execute(alice.api, g, { message: 1 })).id);
    expect(done.status).toBe("FAILED");
    expect(done.stats.error).toBe("Run exceeded the limit of 1 second of wall time (EXECUTOR_MAX_RUN_SECONDS)");
    expect(done.stats.duration).toBeLessThan(30);
    const wait = done.node_executions.find((n: { block_id: string }) => n.block_id === COUNTDOWN);
    expect(wait.status).toBe("TERMINATED");
  });
});
