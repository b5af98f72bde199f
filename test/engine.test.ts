// Agents run: import a graph, execute it, read its runs and node executions, stop it, watch it over WebSocket.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Client, createKey, signUp } from "./helpers/client.js";
import { AGENT_EXECUTOR, create, execute, graph, INPUT, OUTPUT, slowGraph } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const CALCULATOR = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";
const STEP = "f66a3543-28d3-4ab5-8945-9b336371e2ce";
const GET_ITEM = "262ca24c-1025-43cf-a578-534e23234e97";

const TERMINAL = ["COMPLETED", "FAILED", "TERMINATED"];

async function waitForRun(api: Client, graphId: string, execId: string, statuses = TERMINAL) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await api.get(`/api/graphs/${graphId}/executions/${execId}`);
    expect(res.status).toBe(200);
    if (statuses.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`run ${execId} still ${res.body.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("engine", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    t = await startTestServer({ executor: { nodeTimeoutSeconds: 5 } });
    alice = await signUp(t.url);
  });
  afterAll(() => t?.close());

  it("imports AutoGPT's calculator agent and runs it to COMPLETED with the expected output", async () => {
    const file = JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8"));
    const g = await create(alice.api, file);
    const run = await execute(alice.api, g, { Input: 8 });
    expect(run).toMatchObject({ graph_exec_id: run.id, status: "QUEUED", graph_id: g.id, inputs: { Input: 8 } });
    const done = await waitForRun(alice.api, g.id, run.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.outputs).toEqual({ Output: [42] });
    expect(done.stats).toMatchObject({ node_exec_count: 3, node_error_count: 0, error: null });
    expect(done.started_at).toBeTruthy();
    expect(done.ended_at).toBeTruthy();
    const calc = done.node_executions.find((n: { block_id: string }) => n.block_id === CALCULATOR);
    expect(calc).toMatchObject({
      status: "COMPLETED",
      input_data: { operation: "Add", a: 8, b: 34 },
      output_data: { result: [42] },
      graph_exec_id: run.id,
    });
    expect(done.node_executions.every((n: { status: string }) => n.status === "COMPLETED")).toBe(true);

    const viaAlias = await alice.api.get(`/api/executions/${run.id}`);
    expect(viaAlias.body.outputs).toEqual({ Output: [42] });
    const builder = await alice.api.post(`/api/builder/graphs/${g.id}/execute`, { inputs: { Input: 1 } });
    expect((await waitForRun(alice.api, g.id, builder.body.id)).outputs).toEqual({ Output: [35] });
  });

  it("loops: StepThroughItems triggers the next node once per item", async () => {
    const g = await create(
      alice.api,
      graph(
        "loop",
        [
          { id: "in", block_id: INPUT, input_default: { name: "numbers" } },
          { id: "step", block_id: STEP },
          { id: "times", block_id: CALCULATOR, input_default: { operation: "Multiply", b: 10 } },
          { id: "out", block_id: OUTPUT, input_default: { name: "tens" } },
        ],
        [
          ["in", "result", "step", "items"],
          ["step", "item", "times", "a"],
          ["times", "result", "out", "value"],
        ],
      ),
    );
    const run = await execute(alice.api, g, { numbers: [1, 2, 3, 4] });
    const done = await waitForRun(alice.api, g.id, run.id);
    expect(done.status).toBe("COMPLETED");
    expect([...done.outputs.tens].sort((a: number, b: number) => a - b)).toEqual([10, 20, 30, 40]);
    const calcRuns = done.node_executions.filter((n: { node_id: string }) => n.node_id === g.nodes[2].id);
    expect(calcRuns).toHaveLength(4);
  });

  it("a failing block fails the run with its error visible, unless the graph handles the error pin", async () => {
    const nodes = [
      { id: "in", block_id: INPUT, input_default: { name: "list" } },
      { id: "get", block_id: GET_ITEM, input_default: { index: 5 } },
      { id: "out", block_id: OUTPUT, input_default: { name: "item" } },
    ];
    const g = await create(
      alice.api,
      graph("failing", nodes, [
        ["in", "result", "get", "list"],
        ["get", "item", "out", "value"],
      ]),
    );
    const done = await waitForRun(alice.api, g.id, (await execute(alice.api, g, { list: [1, 2] })).id);
    expect(done.status).toBe("FAILED");
    expect(done.stats.error).toContain("Index out of range");
    expect(done.stats.node_error_count).toBe(1);
    const failed = done.node_executions.find((n: { status: string }) => n.status === "FAILED");
    expect(failed.output_data.error).toEqual(["Index out of range"]);

    const handled = await create(
      alice.api,
      graph(
        "handled",
        [...nodes, { id: "err", block_id: OUTPUT, input_default: { name: "problem" } }],
        [
          ["in", "result", "get", "list"],
          ["get", "item", "out", "value"],
          ["get", "error", "err", "value"],
        ],
      ),
    );
    const ok = await waitForRun(alice.api, handled.id, (await execute(alice.api, handled, { list: [1, 2] })).id);
    expect(ok.status).toBe("COMPLETED");
    expect(ok.outputs).toEqual({ problem: ["Index out of range"] });
  });

  it("stops a run mid-way: the running node is cancelled promptly and the run ends TERMINATED", async () => {
    const g = await create(alice.api, slowGraph(30));
    const run = await execute(alice.api, g, { message: "hi" });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await alice.api.get(`/api/executions/${run.id}`);
      if (r.body.node_executions.length >= 1 || Date.now() > deadline) break;
      // the input node has finished: the countdown is running
      await new Promise((res) => setTimeout(res, 25));
    }
    const started = Date.now();
    const stopped = await alice.api.post(`/api/executions/${run.id}/stop`);
    expect(stopped.status).toBe(200);
    expect(stopped.body.status).toBe("TERMINATED");
    // Not the 30 s countdown (a generous bound: the machine may be loaded).
    expect(Date.now() - started).toBeLessThan(15_000);
    const done = await alice.api.get(`/api/executions/${run.id}`);
    expect(done.body.status).toBe("TERMINATED");
    expect(done.body.outputs).toEqual({});
    const wait = done.body.node_executions.find((n: { node_id: string }) => n.node_id === g.nodes[1].id);
    expect(wait.status).toBe("TERMINATED");
    // Stopping a finished run changes nothing.
    expect((await alice.api.post(`/api/executions/${run.id}/stop`)).body.status).toBe("TERMINATED");
  });

  it("runs another graph of the same user as a sub-execution (AgentExecutorBlock)", async () => {
    const calc = await create(alice.api, JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8")));
    const parent = await create(
      alice.api,
      graph(
        "parent",
        [
          { id: "in", block_id: INPUT, input_default: { name: "x" } },
          {
            id: "sub",
            block_id: AGENT_EXECUTOR,
            input_default: {
              graph_id: calc.id,
              graph_version: calc.version,
              user_id: alice.user.id,
              inputs: {},
              input_schema: calc.input_schema,
              output_schema: calc.output_schema,
            },
          },
          { id: "out", block_id: OUTPUT, input_default: { name: "y" } },
        ],
        [
          ["in", "result", "sub", "Input"],
          ["sub", "Output", "out", "value"],
        ],
      ),
    );
    const done = await waitForRun(alice.api, parent.id, (await execute(alice.api, parent, { x: 100 })).id);
    expect(done.status).toBe("COMPLETED");
    expect(done.outputs).toEqual({ y: [134] });
    const children = await alice.api.get(`/api/executions?graph_id=${calc.id}`);
    expect(children.body.some((r: { inputs: unknown }) => JSON.stringify(r.inputs) === '{"Input":100}')).toBe(true);
  });

  it("rejects a run missing a required input with 422 naming it, and an unknown graph with 404", async () => {
    const g = await create(alice.api, JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8")));
    const res = await alice.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: {} });
    expect(res.status).toBe(422);
    expect(res.body.error.details.errors).toContainEqual(expect.objectContaining({ field: "inputs.Input" }));
    expect((await alice.api.post(`/api/graphs/${g.id}/execute/99`, { inputs: { Input: 1 } })).status).toBe(404);
    expect((await alice.api.post("/api/graphs/nope/execute/1", { inputs: {} })).status).toBe(404);
  });

  it("lists runs with filters and pagination, and deletes only finished runs", async () => {
    const bob = await signUp(t.url);
    const g = await create(bob.api, JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8")));
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await execute(bob.api, g, { Input: n })).id);
    for (const id of ids) await waitForRun(bob.api, g.id, id);
    const page = await bob.api.get(`/api/graphs/${g.id}/executions?page=1&page_size=2`);
    expect(page.body.pagination).toEqual({ total_items: 3, total_pages: 2, current_page: 1, page_size: 2 });
    expect(page.body.executions.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
    const all = await bob.api.get("/api/executions?status=COMPLETED");
    expect(all.body).toHaveLength(3);
    expect(all.headers.get("x-total-count")).toBe("3");
    expect((await bob.api.get("/api/executions?status=FAILED")).body).toEqual([]);
    expect((await bob.api.get("/api/executions?status=BOGUS")).status).toBe(422);

    expect((await bob.api.delete(`/api/executions/${ids[0]}`)).status).toBe(204);
    expect((await bob.api.get(`/api/executions/${ids[0]}`)).status).toBe(404);
    expect((await bob.api.get("/api/executions")).body).toHaveLength(2);
  });

  it("keeps runs private: another user cannot see, run or stop my graphs and runs (404)", async () => {
    const mallory = await signUp(t.url);
    const g = await create(alice.api, JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8")));
    const run = await execute(alice.api, g, { Input: 1 });
    await waitForRun(alice.api, g.id, run.id);
    expect((await mallory.api.get(`/api/executions/${run.id}`)).status).toBe(404);
    expect((await mallory.api.get(`/api/graphs/${g.id}/executions/${run.id}`)).status).toBe(404);
    expect((await mallory.api.post(`/api/executions/${run.id}/stop`)).status).toBe(404);
    expect((await mallory.api.delete(`/api/executions/${run.id}`)).status).toBe(404);
    expect((await mallory.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: { Input: 1 } })).status).toBe(
      404,
    );
    expect((await mallory.api.get("/api/executions")).body).toEqual([]);
  });

  it("API keys need RUN_AGENT (or EXECUTE_GRAPH) to run and READ_RUN to read", async () => {
    const g = await create(alice.api, JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8")));
    const reader = await createKey(t.url, alice.api, ["READ_RUN"]);
    const runner = await createKey(t.url, alice.api, ["EXECUTE_GRAPH", "READ_RUN"]);
    const denied = await reader.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: { Input: 2 } });
    expect(denied.status).toBe(403);
    const run = await execute(runner.api, g, { Input: 2 });
    expect((await waitForRun(reader.api, g.id, run.id)).outputs).toEqual({ Output: [36] });
  });
});

describe("WebSocket", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.close());

  function connect(
    query: string,
  ): Promise<{ ws: WebSocket; messages: any[]; next(pred: (m: any) => boolean): Promise<any> }> {
    const ws = new WebSocket(`${t.url.replace("http", "ws")}/ws?${query}`);
    const messages: any[] = [];
    const waiters: Array<{ pred: (m: any) => boolean; resolve: (m: any) => void }> = [];
    ws.on("message", (raw) => {
      const msg = JSON.parse(raw.toString());
      messages.push(msg);
      for (const w of [...waiters]) {
        if (w.pred(msg)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(msg);
        }
      }
    });
    const next = (pred: (m: any) => boolean) =>
      new Promise<any>((resolve, reject) => {
        const hit = messages.find(pred);
        if (hit) return resolve(hit);
        const timer = setTimeout(
          () => reject(new Error(`no matching message; got ${JSON.stringify(messages)}`)),
          10_000,
        );
        waiters.push({
          pred,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve({ ws, messages, next }));
      ws.once("error", reject);
    });
  }

  const send = (ws: WebSocket, method: string, data: unknown) => ws.send(JSON.stringify({ method, data }));

  it("streams a run's events in order to the owner, with AutoGPT's message shapes", async () => {
    const alice = await signUp(t.url);
    const g = await create(alice.api, JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8")));
    const c = await connect(`token=${alice.tokens.access_token}&user_id=ignored`);
    send(c.ws, "heartbeat", "ping");
    expect(await c.next((m) => m.method === "heartbeat")).toEqual({ method: "heartbeat", data: "pong", success: true });
    send(c.ws, "subscribe_graph_executions", { graph_id: g.id });
    const ack = await c.next((m) => m.method === "subscribe_graph_executions");
    expect(ack).toEqual({
      method: "subscribe_graph_executions",
      data: null,
      success: true,
      channel: `${alice.user.id}|graph#${g.id}|executions`,
      error: null,
    });

    const run = await execute(alice.api, g, { Input: 8 });
    const end = await c.next(
      (m) => m.method === "graph_execution_event" && TERMINAL.includes(m.data.status) && m.data.id === run.id,
    );
    expect(end.data).toMatchObject({
      status: "COMPLETED",
      outputs: { Output: [42] },
      event_type: "graph_execution_update",
    });
    const events = c.messages.filter((m) => m.method.endsWith("_event"));
    const graphStatuses = events.filter((m) => m.method === "graph_execution_event").map((m) => m.data.status);
    expect(graphStatuses).toEqual(["QUEUED", "RUNNING", "COMPLETED"]);
    const nodeEvents = events.filter((m) => m.method === "node_execution_event");
    expect(nodeEvents.length).toBeGreaterThanOrEqual(9);
    for (const e of nodeEvents) {
      expect(e.channel).toBe(ack.channel);
      expect(e.data).toMatchObject({
        graph_exec_id: run.id,
        user_id: alice.user.id,
        event_type: "node_execution_update",
      });
    }
    // Per node: QUEUED, RUNNING, then COMPLETED; all node events between the RUNNING and COMPLETED graph events.
    const byNode = new Map<string, string[]>();
    for (const e of nodeEvents) byNode.set(e.data.node_id, [...(byNode.get(e.data.node_id) ?? []), e.data.status]);
    for (const statuses of byNode.values()) expect(statuses).toEqual(["QUEUED", "RUNNING", "COMPLETED"]);
    const order = events.map((m) => (m.method === "graph_execution_event" ? m.data.status : "node"));
    expect(order.indexOf("RUNNING")).toBeLessThan(order.indexOf("node"));
    expect(order.lastIndexOf("node")).toBeLessThan(order.indexOf("COMPLETED"));
    const calc = nodeEvents.find((e) => e.data.block_id === CALCULATOR && e.data.status === "COMPLETED");
    expect(calc.data.output_data).toEqual({ result: [42] });
    c.ws.close();
  });

  it("subscribes to one run by id; a run that already ended replays its final event", async () => {
    const alice = await signUp(t.url);
    const g = await create(alice.api, JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8")));
    const run = await execute(alice.api, g, { Input: 1 });
    await waitForRun(alice.api, g.id, run.id);
    const key = await createKey(t.url, alice.api, ["READ_RUN"]);
    const c = await connect(`token=${key.key}`);
    send(c.ws, "subscribe_graph_execution", { graph_exec_id: run.id });
    const ack = await c.next((m) => m.method === "subscribe_graph_execution");
    expect(ack.channel).toBe(`${alice.user.id}|graph_exec#${run.id}`);
    const final = await c.next((m) => m.method === "graph_execution_event");
    expect(final.data).toMatchObject({ id: run.id, status: "COMPLETED", outputs: { Output: [35] } });
    send(c.ws, "unsubscribe", { graph_exec_id: run.id });
    expect((await c.next((m) => m.method === "unsubscribe")).success).toBe(true);
    c.ws.close();
  });

  it("never shows another user's runs, and refuses unauthenticated or malformed use", async () => {
    const alice = await signUp(t.url);
    const mallory = await signUp(t.url);
    const g = await create(alice.api, JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8")));
    const spy = await connect(`token=${mallory.tokens.access_token}&user_id=${alice.user.id}`);
    send(spy.ws, "subscribe_graph_executions", { graph_id: g.id });
    const refused = await spy.next((m) => m.method === "error");
    expect(refused).toMatchObject({ success: false, error: expect.stringContaining("not found") });
    const run = await execute(alice.api, g, { Input: 3 });
    send(spy.ws, "subscribe_graph_execution", { graph_exec_id: run.id });
    await spy.next((m) => m.method === "error" && m !== refused);
    await waitForRun(alice.api, g.id, run.id);
    await new Promise((r) => setTimeout(r, 100));
    expect(spy.messages.filter((m) => m.method.endsWith("_event"))).toEqual([]);
    spy.ws.send("not json");
    expect((await spy.next((m) => m.error?.startsWith("Invalid message format"))).success).toBe(false);
    send(spy.ws, "do_something", {});
    await spy.next((m) => m.error === "Message type is not processed by the server");
    spy.ws.close();

    const anon = new WebSocket(`${t.url.replace("http", "ws")}/ws`);
    const code = await new Promise<number>((resolve) => anon.on("close", (c) => resolve(c)));
    expect(code).toBe(4001);
    const forged = new WebSocket(`${t.url.replace("http", "ws")}/ws?token=not-a-token`);
    expect(await new Promise<number>((resolve) => forged.on("close", (c) => resolve(c)))).toBe(4003);
  });
});
