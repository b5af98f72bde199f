// External API v1 as a program with API keys sees it: identity, blocks, graphs and their runs, integrations,
// chat tools and store reads, each with its route's scope; other users' resources are 404.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createKey, signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const V1 = "/external-api/v1";
const CALCULATOR = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";
const GET_LIST_ITEM = "262ca24c-1025-43cf-a578-534e23234e97";
const COUNTDOWN = "d67a9c52-5e4e-11e2-bcfd-0800200c9a71";
const AGENT_EXECUTOR = "e189baac-8c20-45a1-94a7-55177ea42565";
const calculatorAgent = () => JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8"));

async function key(t: TestServer, session: Client, ...scopes: string[]) {
  return (await createKey(t.url, session, scopes)).api;
}

/** Polls the v1 results route until the run has finished. */
async function waitForResults(api: Client, graphId: string, execId: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await api.get(`${V1}/graphs/${graphId}/executions/${execId}/results`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (["COMPLETED", "FAILED", "TERMINATED"].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`run ${execId} still ${res.body.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("External API v1", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  let graph: { id: string; version: number };

  beforeAll(async () => {
    t = await startTestServer({ executor: { nodeTimeoutSeconds: 1 } });
    alice = await signUp(t.url);
    bob = await signUp(t.url);
    const writer = await key(t, alice.api, "WRITE_GRAPH");
    const created = await writer.post(`${V1}/graphs`, calculatorAgent());
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    graph = created.body;
  });
  afterAll(() => t?.close());

  it("GET /me answers the key owner's identity (IDENTITY)", async () => {
    const api = await key(t, alice.api, "IDENTITY");
    const res = await api.get(`${V1}/me`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: alice.user.id, name: null, email: alice.email, timezone: "not-set" });
    const denied = await (await key(t, alice.api, "READ_GRAPH")).get(`${V1}/me`);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: "FORBIDDEN", details: { missing_scopes: ["IDENTITY"] } });
  });

  it("GET /blocks lists every block as AutoGPT's Block.to_dict (READ_BLOCK)", async () => {
    const res = await (await key(t, alice.api, "READ_BLOCK")).get(`${V1}/blocks`);
    expect(res.status).toBe(200);
    const calculator = res.body.find((b: { id: string }) => b.id === CALCULATOR);
    expect(calculator).toMatchObject({ name: "CalculatorBlock", staticOutput: false, uiType: "Standard" });
    expect(Object.keys(calculator).sort()).toEqual([
      "categories",
      "contributors",
      "description",
      "id",
      "inputSchema",
      "name",
      "outputSchema",
      "staticOutput",
      "uiType",
    ]);
    expect(calculator.inputSchema.properties).toHaveProperty("operation");
  });

  it("POST /blocks/{id}/execute runs a block and groups its outputs by pin (EXECUTE_BLOCK)", async () => {
    const api = await key(t, alice.api, "EXECUTE_BLOCK");
    const ok = await api.post(`${V1}/blocks/${CALCULATOR}/execute`, { operation: "Add", a: 8, b: "34" });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toEqual({ result: [42] });

    const bad = await api.post(`${V1}/blocks/${CALCULATOR}/execute`, { operation: "Modulo", a: 1 });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("VALIDATION_ERROR");
    const fields = bad.body.error.details.errors.map((e: { field: string }) => e.field);
    expect(fields.sort()).toEqual(["body.b", "body.operation"]);

    const failed = await api.post(`${V1}/blocks/${GET_LIST_ITEM}/execute`, { list: [1], index: 5 });
    expect(failed.status).toBe(400);
    expect(failed.body.error).toMatchObject({ code: "BAD_REQUEST", details: { error: "Index out of range" } });

    const slow = await api.post(`${V1}/blocks/${COUNTDOWN}/execute`, { seconds: 30 });
    expect(slow.status).toBe(400);
    expect(slow.body.error.message).toMatch(/time limit/);

    const subgraph = await api.post(`${V1}/blocks/${AGENT_EXECUTOR}/execute`, {
      user_id: "x",
      graph_id: graph.id,
      graph_version: 1,
      inputs: {},
      input_schema: {},
      output_schema: {},
    });
    expect(subgraph.status, JSON.stringify(subgraph.body)).toBe(400);
    expect(subgraph.body.error.message).toMatch(/only run inside a graph/);

    const unknown = await api.post(`${V1}/blocks/00000000-0000-4000-8000-000000000000/execute`, {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("NOT_FOUND");

    const denied = await (await key(t, alice.api, "READ_BLOCK")).post(`${V1}/blocks/${CALCULATOR}/execute`, {});
    expect(denied.status).toBe(403);
  });

  it("creates, lists, executes the calculator graph and reads its results through v1", async () => {
    // As AutoGPT: the graph gets a new id and keeps the version it was exported with.
    const exported = calculatorAgent();
    expect(graph).toMatchObject({ version: exported.version, is_active: true, name: "Calculator agent" });
    expect(graph).toMatchObject({ user_id: alice.user.id });
    expect(graph.id).not.toBe(exported.id);
    expect((graph as unknown as { input_schema: { required: string[] } }).input_schema.required).toEqual(["Input"]);

    const listed = await (await key(t, alice.api, "READ_GRAPH")).get(`${V1}/graphs`);
    expect(listed.status).toBe(200);
    expect(listed.headers.get("x-total-count")).toBe("1");
    expect(listed.body).toEqual([
      expect.objectContaining({ id: graph.id, version: graph.version, name: "Calculator agent" }),
    ]);
    expect(listed.body[0]).not.toHaveProperty("nodes");

    // EXECUTE_GRAPH is a legacy scope: v1 accepts it.
    const runner = await key(t, alice.api, "EXECUTE_GRAPH");
    const run = await runner.post(`${V1}/graphs/${graph.id}/execute/${graph.version}`, { node_input: { Input: 8 } });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(Object.keys(run.body)).toEqual(["id"]);

    const reader = await key(t, alice.api, "READ_GRAPH");
    const results = await waitForResults(reader, graph.id, run.body.id);
    expect(results).toMatchObject({ execution_id: run.body.id, status: "COMPLETED", output: [{ Output: 42 }] });
    expect(results.nodes).toHaveLength(3);
    const byBlock = new Map(
      (graph as unknown as { nodes: Array<{ id: string; block_id: string }> }).nodes.map((n) => [n.block_id, n.id]),
    );
    const calc = results.nodes.find((n: { node_id: string }) => n.node_id === byBlock.get(CALCULATOR));
    expect(calc.output).toEqual({ result: [42] });
    expect(calc.input).toMatchObject({ a: 8, b: 34, operation: "Add" });
    const input = results.nodes.find(
      (n: { node_id: string }) => n.node_id === byBlock.get("c0a8e994-ebf1-4a9c-a4d8-89d09c86741b"),
    );
    expect(input.input).toBe(8);

    // The active version, without a version in the path (the seed route), and `inputs` as an alias.
    const active = await runner.post(`${V1}/graphs/${graph.id}/execute`, { inputs: { Input: 1 } });
    expect(active.status).toBe(200);
    expect((await waitForResults(reader, graph.id, active.body.id)).output).toEqual([{ Output: 35 }]);
  });

  it("answers 4xx envelopes for invalid graphs and runs", async () => {
    const writer = await key(t, alice.api, "WRITE_GRAPH");
    const invalid = await writer.post(`${V1}/graphs`, {
      name: "broken",
      nodes: [{ id: "n1", block_id: "00000000-0000-4000-8000-000000000000" }],
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.code).toBe("VALIDATION_ERROR");
    expect((await writer.post(`${V1}/graphs`, { nodes: "no" })).status).toBe(422);
    // `{graph: ...}` as Agentry's /api takes it works too.
    const wrapped = await writer.post(`${V1}/graphs`, { graph: { name: "empty" } });
    expect(wrapped.status).toBe(201);

    const runner = await key(t, alice.api, "EXECUTE_GRAPH");
    const missing = await runner.post(`${V1}/graphs/${graph.id}/execute/${graph.version}`, {});
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.errors).toEqual([expect.objectContaining({ field: "inputs.Input" })]);
    expect((await runner.post(`${V1}/graphs/${graph.id}/execute/99`, {})).status).toBe(404);
    // No body at all is no inputs, as AutoGPT's default.
    const bare = await runner.request("POST", `${V1}/graphs/${graph.id}/execute/${graph.version}`);
    expect(bare.status).toBe(422);
    expect(bare.body.error.details.errors).toEqual([expect.objectContaining({ field: "inputs.Input" })]);
  });

  it("replays an execute with the same Idempotency-Key", async () => {
    const runner = await key(t, alice.api, "EXECUTE_GRAPH");
    const path = `${V1}/graphs/${graph.id}/execute/${graph.version}`;
    const headers = { "idempotency-key": `v1-${Date.now()}` };
    const first = await runner.post(path, { node_input: { Input: 2 } }, headers);
    const again = await runner.post(path, { node_input: { Input: 2 } }, headers);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("answers 404 for another user's graph and run", async () => {
    const runner = await key(t, alice.api, "EXECUTE_GRAPH");
    const run = await runner.post(`${V1}/graphs/${graph.id}/execute/${graph.version}`, { node_input: { Input: 3 } });
    await waitForResults(await key(t, alice.api, "READ_GRAPH"), graph.id, run.body.id);

    const bobKey = await key(t, bob.api, "EXECUTE_GRAPH", "READ_GRAPH", "USE_TOOLS");
    const execute = await bobKey.post(`${V1}/graphs/${graph.id}/execute/${graph.version}`, {
      node_input: { Input: 1 },
    });
    expect(execute.status).toBe(404);
    expect(execute.body.error.code).toBe("NOT_FOUND");
    const results = await bobKey.get(`${V1}/graphs/${graph.id}/executions/${run.body.id}/results`);
    expect(results.status).toBe(404);
    expect((await bobKey.get(`${V1}/graphs`)).body).toEqual([]);
    const tool = await bobKey.post(`${V1}/tools/execute`, {
      tool_name: "run_agent",
      parameters: { library_agent_id: graph.id, inputs: { Input: 1 } },
    });
    expect(tool.status).toBe(404);

    // The run exists, but not under another graph id.
    const other = await (await key(t, alice.api, "READ_GRAPH")).get(
      `${V1}/graphs/00000000-0000-4000-8000-000000000000/executions/${run.body.id}/results`,
    );
    expect(other.status).toBe(404);
  });

  it("GET /integrations and its credential routes answer the real, empty state", async () => {
    const reader = await key(t, alice.api, "READ_INTEGRATIONS");
    for (const path of ["/integrations", "/integrations/credentials", "/integrations/github/credentials"]) {
      const res = await reader.get(`${V1}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.body, path).toEqual([]);
    }
    // The providers are those the registered blocks take credentials for.
    const providers = await reader.get(`${V1}/integrations/providers`);
    expect(providers.status).toBe(200);
    const names = providers.body.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(["google", "jina", "replicate", "discord"]));
    expect(names).not.toContain("github");
    expect(providers.body.find((p: { name: string }) => p.name === "jina")).toMatchObject({ supports_api_key: true });
    const manager = await key(t, alice.api, "MANAGE_INTEGRATIONS", "DELETE_INTEGRATIONS");
    const create = await manager.post(`${V1}/integrations/github/credentials`, {
      type: "api_key",
      api_key: "secret",
      title: "mine",
    });
    expect(create.status).toBe(404);
    expect((await manager.delete(`${V1}/integrations/github/credentials/abc`)).status).toBe(404);
    const initiate = await manager.post(`${V1}/integrations/github/oauth/initiate`, { callback_url: "http://x" });
    // No GITHUB_CLIENT_ID/SECRET on this server: AutoGPT's 501 "not configured".
    expect(initiate.status).toBe(501);
    const complete = await manager.post(`${V1}/integrations/github/oauth/complete`, { code: "c", state_token: "s" });
    expect(complete.status).toBe(501);
    expect((await reader.get(`${V1}/integrations`)).status).toBe(200);
    expect((await (await key(t, alice.api, "IDENTITY")).get(`${V1}/integrations`)).status).toBe(403);
  });

  it("runs the chat tools: find and run the caller's agents and blocks (USE_TOOLS)", async () => {
    const tools = await key(t, alice.api, "USE_TOOLS");
    const marketplace = await tools.post(`${V1}/tools/find-agent`, { query: "calculator" });
    expect(marketplace.status).toBe(200);
    expect(marketplace.body).toMatchObject({ type: "no_results", session_id: null });

    const found = await tools.post(`${V1}/tools/execute`, {
      tool_name: "find_library_agent",
      parameters: { query: "calculator" },
    });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ type: "agents_found", count: 1 });
    expect(found.body.agents[0]).toMatchObject({
      id: graph.id,
      graph_id: graph.id,
      source: "library",
      in_library: true,
    });

    const ask = await tools.post(`${V1}/tools/run-agent`, { library_agent_id: graph.id });
    expect(ask.status).toBe(200);
    expect(ask.body).toMatchObject({ type: "agent_details", graph_id: graph.id, agent: { id: graph.id } });

    const wrongField = await tools.post(`${V1}/tools/run-agent`, { library_agent_id: graph.id, inputs: { Nope: 1 } });
    expect(wrongField.body).toMatchObject({ type: "input_validation_error", unrecognized_fields: ["Nope"] });

    const started = await tools.post(`${V1}/tools/execute`, {
      tool_name: "run_agent",
      parameters: { library_agent_id: graph.id, inputs: { Input: 100 } },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body).toMatchObject({ type: "execution_started", graph_id: graph.id, status: "QUEUED" });
    const results = await waitForResults(await key(t, alice.api, "READ_GRAPH"), graph.id, started.body.execution_id);
    expect(results.output).toEqual([{ Output: 134 }]);

    const slug = await tools.post(`${V1}/tools/run-agent`, { username_agent_slug: "someone/calculator" });
    expect(slug.status).toBe(404);
    const schedule = await tools.post(`${V1}/tools/run-agent`, { library_agent_id: graph.id, cron: "0 * * * *" });
    expect(schedule.status).toBe(422);

    const blocks = await tools.post(`${V1}/tools/execute`, {
      tool_name: "find_block",
      parameters: { query: "calculator" },
    });
    expect(blocks.body.type).toBe("block_list");
    expect(blocks.body.blocks[0]).toMatchObject({ id: CALCULATOR, name: "CalculatorBlock" });

    const ran = await tools.post(`${V1}/tools/execute`, {
      tool_name: "run_block",
      parameters: { block_id: CALCULATOR, input_data: { operation: "Multiply", a: 6, b: 7 } },
    });
    expect(ran.body).toMatchObject({
      type: "block_output",
      block_id: CALCULATOR,
      outputs: { result: [42] },
      success: true,
    });

    const unknown = await tools.post(`${V1}/tools/execute`, { tool_name: "launch_rockets", parameters: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.details.available_tools).toContain("run_agent");
    const badParams = await tools.post(`${V1}/tools/execute`, { tool_name: "find_block", parameters: { query: 5 } });
    expect(badParams.status).toBe(422);
    expect(badParams.body.error.details.errors[0].field).toBe("body.parameters.query");
    const badInput = await tools.post(`${V1}/tools/execute`, {
      tool_name: "run_block",
      parameters: { block_id: CALCULATOR, input_data: { a: "x" } },
    });
    expect(badInput.status).toBe(422);

    expect((await (await key(t, alice.api, "RUN_AGENT")).post(`${V1}/tools/find-agent`, { query: "x" })).status).toBe(
      403,
    );
  });

  it("serves the store reads from the (empty) marketplace with AutoGPT's pagination (READ_STORE)", async () => {
    const store = await key(t, alice.api, "READ_STORE");
    const agents = await store.get(`${V1}/store/agents?page=2&page_size=5&sorted_by=rating`);
    expect(agents.status).toBe(200);
    expect(agents.body).toEqual({
      agents: [],
      pagination: { total_items: 0, total_pages: 0, current_page: 2, page_size: 5 },
    });
    const creators = await store.get(`${V1}/store/creators`);
    expect(creators.body).toEqual({
      creators: [],
      pagination: { total_items: 0, total_pages: 0, current_page: 1, page_size: 20 },
    });
    expect((await store.get(`${V1}/store/agents?page=0`)).status).toBe(422);
    expect((await store.get(`${V1}/store/agents?sorted_by=price`)).status).toBe(422);
    const agent = await store.get(`${V1}/store/agents/Someone/calculator`);
    expect(agent.status).toBe(404);
    expect(agent.body.error.code).toBe("NOT_FOUND");
    expect((await store.get(`${V1}/store/creators/someone`)).status).toBe(404);
    expect((await (await key(t, alice.api, "READ_GRAPH")).get(`${V1}/store/agents`)).status).toBe(403);
  });
});
