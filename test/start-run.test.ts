// One start-run use case behind every entry point: the same graph started from /api (versioned and builder paths),
// External v1, External v2 (library agent), a preset and a schedule (an injected clock fires it) is refused with the
// same errors (unknown input, missing required input) and, when accepted, produces the same WebSocket events.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { GraphModel } from "../src/core/graph-types.js";
import { runRequestIssues } from "../src/core/run-request.js";
import { Scheduler } from "../src/engine/scheduler.js";
import { SqlScheduleStore } from "../src/infra/db/stores/schedule-store.js";
import { type Client, createKey, signUp } from "./helpers/client.js";
import { calculatorGraph, create, until } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const V1 = "/external-api/v1";
const V2 = "/external-api/v2";
const CALCULATOR = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";
const OUTPUT = "363ae599-353e-4804-937e-b2ee3cef3da4";
/** Fires on January 1st only: the server's own clock never reaches a tick while the tests run. */
const YEARLY = "0 0 1 1 *";

type Reply = { status: number; body: any };
type Frame = { method: string; data: any };

/** `[field, message]` of each error of a refused request, whichever API's envelope carries them. */
const errorsOf = (res: Reply) => {
  expect(res.status, JSON.stringify(res.body)).toBe(422);
  return (res.body.error.details.errors as Array<{ field: string; message: string }>)
    .map((e) => [e.field, e.message])
    .sort();
};

describe("starting a run from every entry point", () => {
  let t: TestServer;
  let api: Client;
  let bearer: string;
  let key: Client;
  let graph: GraphModel;
  let agentId: string;
  let scheduleClock = new Date();
  let scheduler: Scheduler;
  const frames: Frame[] = [];
  let ws: WebSocket;

  /** Each entry point: starts the calculator graph with `inputs`, answering the HTTP reply and the run's id. */
  const entryPoints: Record<string, (inputs: Record<string, unknown>) => Promise<Reply & { runId?: string }>> = {
    async api(inputs) {
      const res = await api.post(`/api/graphs/${graph.id}/execute/${graph.version}`, { inputs });
      return { ...res, runId: res.body?.id };
    },
    async builder(inputs) {
      const res = await api.post(`/api/builder/graphs/${graph.id}/execute`, { inputs });
      return { ...res, runId: res.body?.id };
    },
    async v1(inputs) {
      const res = await key.post(`${V1}/graphs/${graph.id}/execute/${graph.version}`, { node_input: inputs });
      return { ...res, runId: res.body?.id };
    },
    async v2(inputs) {
      const res = await key.post(`${V2}/library/agents/${agentId}/runs`, { inputs });
      return { ...res, runId: res.body?.id };
    },
    async preset(inputs) {
      const preset = await key.post(`${V2}/library/presets`, {
        graph_id: graph.id,
        graph_version: graph.version,
        name: "saved inputs",
        inputs,
      });
      expect(preset.status, JSON.stringify(preset.body)).toBe(201);
      const res = await key.post(`${V2}/library/presets/${preset.body.id}/runs`);
      return { ...res, runId: res.body?.id };
    },
    async schedule(inputs) {
      const res = await key.post(`${V2}/schedules`, { graph_id: graph.id, name: "yearly", cron: YEARLY, inputs });
      if (res.status !== 201) return res;
      const before = new Set((await runsOf()).map((r) => r.id));
      scheduleClock = new Date(new Date(res.body.next_run_time).getTime() + 1000);
      expect(await scheduler.tick()).toBe(1);
      const started = (await runsOf()).filter((r) => !before.has(r.id));
      expect(started).toHaveLength(1);
      return { ...res, runId: started[0].id };
    },
  };

  /** The run_agent tool answers refusals as AutoGPT's chat tool does (what to fix, 200), so it only joins here. */
  const tool = async (inputs: Record<string, unknown>) => {
    const res = await key.post(`${V1}/tools/run-agent`, { library_agent_id: graph.id, inputs });
    return { ...res, runId: res.body?.execution_id };
  };

  async function runsOf(): Promise<Array<{ id: string; inputs: Record<string, unknown> }>> {
    const res = await key.get(`${V2}/runs?graph_id=${graph.id}&limit=100`);
    expect(res.status).toBe(200);
    return res.body.items;
  }

  beforeAll(async () => {
    t = await startTestServer();
    const alice = await signUp(t.url);
    api = alice.api;
    bearer = alice.tokens.access_token;
    const created = await createKey(t.url, api, [
      "EXECUTE_GRAPH",
      "RUN_AGENT",
      "READ_RUN",
      "READ_LIBRARY",
      "WRITE_GRAPH",
      "READ_GRAPH",
      "WRITE_SCHEDULE",
      "USE_TOOLS",
      "READ_SCHEDULE",
    ]);
    key = created.api;
    graph = await create(api, calculatorGraph());
    const agent = await key.get(`${V2}/graphs/${graph.id}/library-agent`);
    expect(agent.status, JSON.stringify(agent.body)).toBe(200);
    agentId = agent.body.id;
    const silent = { info() {}, warn() {}, error() {} };
    const { database, runs, encryptionKey } = t.server.platform;
    scheduler = new Scheduler({
      schedules: new SqlScheduleStore(database.db),
      runs,
      log: silent,
      encryptionKey,
      now: () => scheduleClock,
    });

    ws = new WebSocket(`${t.url.replace("http", "ws")}/ws?token=${alice.tokens.access_token}`);
    ws.on("message", (raw) => frames.push(JSON.parse(raw.toString())));
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(JSON.stringify({ method: "subscribe_graph_executions", data: { graph_id: graph.id } }));
    await until(() => frames.some((f) => f.method === "subscribe_graph_executions"), "the subscription");
  }, 60_000);

  afterAll(async () => {
    ws?.close();
    await t?.close();
  });

  it("refuses an unknown input, naming it, from every entry point", async () => {
    const expected = [["inputs.Nope", "Unknown input"]];
    for (const [name, start] of Object.entries(entryPoints)) {
      expect(errorsOf(await start({ Input: 1, Nope: 2 })), name).toEqual(expected);
    }
  });

  it("answers the run_agent tool what the same rules refuse, and starts nothing", async () => {
    const unknown = await tool({ Input: 1, Nope: 2 });
    expect(unknown.body).toMatchObject({ type: "input_validation_error", unrecognized_fields: ["Nope"] });
    const missing = await tool({ Input: null });
    expect(missing.body).toMatchObject({ type: "agent_details", message: expect.stringContaining("Input") });
    expect(await runsOf()).toEqual([]);
  });

  it("refuses a missing required input, naming it, from every entry point", async () => {
    const expected = [["inputs.Input", "This input is required"]];
    for (const [name, start] of Object.entries(entryPoints)) {
      expect(errorsOf(await start({})), name).toEqual(expected);
      expect(errorsOf(await start({ Input: null })), name).toEqual(expected);
    }
    expect(await runsOf()).toEqual([]);
  });

  it("starts the same run, with the same events, from every entry point", async () => {
    const started: Record<string, string> = {};
    let input = 0;
    for (const [name, start] of Object.entries({ ...entryPoints, tool })) {
      const res = await start({ Input: ++input });
      expect([200, 201, 202], `${name}: ${JSON.stringify(res.body)}`).toContain(res.status);
      started[name] = res.runId as string;
    }
    const eventsOf = (runId: string) => {
      const graphEvents = frames.filter((f) => f.method === "graph_execution_event" && f.data.id === runId);
      const nodeEvents = frames.filter((f) => f.method === "node_execution_event" && f.data.graph_exec_id === runId);
      return {
        statuses: graphEvents.map((f) => f.data.status),
        outputs: graphEvents.at(-1)?.data.outputs,
        nodes: nodeEvents.map((f) => `${f.data.node_id}:${f.data.status}`).sort(),
        queued: graphEvents[0]?.data,
      };
    };
    const runIds = Object.values(started);
    await until(() => runIds.every((id) => eventsOf(id).statuses.includes("COMPLETED")), "every run to complete");

    const reference = eventsOf(started.api as string);
    expect(reference.statuses).toEqual(["QUEUED", "RUNNING", "COMPLETED"]);
    expect(reference.nodes.length).toBeGreaterThanOrEqual(3);
    input = 0;
    for (const [name, runId] of Object.entries(started)) {
      const seen = eventsOf(runId);
      const value = ++input;
      expect(seen.statuses, name).toEqual(reference.statuses);
      expect(seen.nodes, name).toEqual(reference.nodes);
      expect(seen.outputs, name).toEqual({ Output: [value + 34] });
      expect(seen.queued, name).toMatchObject({
        event_type: "graph_execution_update",
        graph_id: graph.id,
        graph_version: graph.version,
        inputs: { Input: value },
        status: "QUEUED",
      });
      expect(Object.keys(seen.queued).sort(), name).toEqual(Object.keys(reference.queued).sort());
    }
    expect(eventsOf(started.preset as string).queued.preset_id).toEqual(expect.any(String));
    expect(eventsOf(started.api as string).queued.preset_id).toBeNull();
  });

  it("lets the run_agent tool schedule the agent through the same schedule rules", async () => {
    const schedule = (inputs: Record<string, unknown>) =>
      key.post(`${V1}/tools/run-agent`, {
        library_agent_id: graph.id,
        inputs,
        schedule_name: "from the tool",
        cron: YEARLY,
        use_defaults: true,
      });
    expect((await schedule({ Input: 1, Nope: 2 })).body).toMatchObject({ type: "input_validation_error" });
    expect(errorsOf(await schedule({}))).toEqual([["inputs.Input", "This input is required"]]);
    const res = await schedule({ Input: 9 });
    expect(res.body).toMatchObject({
      type: "execution_started",
      graph_id: graph.id,
      next_run_time: expect.any(String),
    });
    const listed = await key.get(`${V2}/schedules?graph_id=${graph.id}&limit=100`);
    const mine = listed.body.items.filter((s: { name: string }) => s.name === "from the tool");
    expect(mine).toEqual([
      expect.objectContaining({ id: res.body.execution_id, inputs: { Input: 9 }, timezone: "UTC" }),
    ]);
  });

  it("accepts POST /api/graphs/{id}/execute/{version} with no body at all, or with fields it ignores, as AutoGPT does", async () => {
    const constant = await create(api, {
      name: "no inputs",
      description: "",
      nodes: [
        { id: "calc", block_id: CALCULATOR, input_default: { operation: "Add", a: 20, b: 22 }, metadata: {} },
        { id: "out", block_id: OUTPUT, input_default: { name: "sum" }, metadata: {} },
      ],
      links: [{ source_id: "calc", source_name: "result", sink_id: "out", sink_name: "value", is_static: false }],
    });
    const bare = (path: string) =>
      fetch(t.url + path, { method: "POST", headers: { authorization: `Bearer ${bearer}` } }).then(async (res) => ({
        status: res.status,
        body: await res.json(),
      }));
    const ok = await bare(`/api/graphs/${constant.id}/execute/${constant.version}`);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ graph_id: constant.id, status: "QUEUED", inputs: {} });
    expect((await bare(`/api/builder/graphs/${constant.id}/execute`)).status).toBe(200);
    // Body fields AutoGPT's execute does not know are ignored, as its embedded body fields do.
    const extra = await api.post(`/api/graphs/${constant.id}/execute/${constant.version}`, { foo: 1, source: null });
    expect(extra.status, JSON.stringify(extra.body)).toBe(200);
    // No body is no inputs: a graph that needs one says which.
    expect(errorsOf(await bare(`/api/graphs/${graph.id}/execute/${graph.version}`))).toEqual([
      ["inputs.Input", "This input is required"],
    ]);
  });
});

describe("the start-run rule for credentials", () => {
  const field = "openai_api_key_credentials";
  const graph = {
    id: "g",
    version: 1,
    nodes: [],
    links: [],
    sub_graphs: [],
    input_schema: { type: "object", properties: { topic: { type: "string" } }, required: ["topic"] },
    credentials_input_schema: {
      type: "object",
      properties: { [field]: { type: "object", credentials_provider: ["openai"], credentials_types: ["api_key"] } },
      required: [field],
    },
  } as unknown as GraphModel;

  it("refuses a run without the credentials the graph needs, or with credentials of another kind", () => {
    expect(runRequestIssues(graph, { inputs: { topic: "x" } })).toEqual([
      { field: `credentials_inputs.${field}`, message: "These credentials are required" },
    ]);
    expect(
      runRequestIssues(graph, {
        inputs: { topic: "x" },
        credentials_inputs: { [field]: { id: "c1", provider: "anthropic", type: "api_key" } },
      }),
    ).toEqual([{ field: `credentials_inputs.${field}`, message: expect.stringContaining("openai") }]);
    expect(
      runRequestIssues(graph, { inputs: { topic: "x" }, credentials_inputs: { [field]: "c1" } }).map((i) => i.field),
    ).toEqual([`credentials_inputs.${field}`]);
  });

  it("accepts a run with them, and ignores credential inputs the graph does not use", () => {
    expect(
      runRequestIssues(graph, {
        inputs: { topic: "x" },
        credentials_inputs: {
          [field]: { id: "c1", provider: "openai", type: "api_key", title: null },
          github_credentials: { id: "c2", provider: "github", type: "api_key" },
        },
      }),
    ).toEqual([]);
  });
});
