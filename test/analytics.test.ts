// Admin execution analytics through HTTP over runs the test creates: AutoGPT's /api/executions/admin operations
// (summaries from a loopback OpenAI, accuracy trends) and the seed's /api/admin/analytics figures; admins only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fitsIn } from "./helpers/autogpt-schemas.js";
import { signUp } from "./helpers/client.js";
import { type ProviderServer, startProviderServer } from "./helpers/provider-server.js";
import { create, ended, execute, graph, INPUT, OUTPUT, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const CALCULATOR = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";

const expectFits = fitsIn(["v0.6.44"]);

/** input `op` -> Calculator(2 op 1) -> output `sum`; an operation it does not know fails the calculator node. */
const addOne = () =>
  graph(
    "add one",
    [
      { id: "in", block_id: INPUT, input_default: { name: "op" } },
      { id: "calc", block_id: CALCULATOR, input_default: { a: 2, b: 1 } },
      { id: "out", block_id: OUTPUT, input_default: { name: "sum" } },
    ],
    [
      ["in", "result", "calc", "operation"],
      ["calc", "result", "out", "value"],
    ],
  );

describe("admin execution analytics", () => {
  let t: TestServer;
  let openai: ProviderServer;
  let admin: Awaited<ReturnType<typeof signUp>>;
  let user: Awaited<ReturnType<typeof signUp>>;
  let g: { id: string; version: number };
  const runIds: string[] = [];

  beforeAll(async () => {
    openai = await startProviderServer(() => ({
      json: {
        choices: [
          { message: { role: "assistant", content: '{"activity_status":"I added one.","correctness_score":0.8}' } },
        ],
      },
    }));
    t = await startTestServer({
      systemCredentials: { openai: { apiKey: "sk-operator-analytics" } },
      outgoingHttp: { providerBaseUrls: { openai: openai.url } },
    });
    admin = await signUp(t.url, undefined, { setup_token: t.server.platform.auth.setupToken });
    user = await signUp(t.url);
    expect(admin.user.role).toBe("admin");
    g = await create(user.api, addOne());
    for (const op of ["Add", "Subtract", "Modulo"]) {
      const run = await execute(user.api, g, { op });
      runIds.push(run.id);
      await waitFor(user.api, run.id, ended);
    }
  });
  afterAll(async () => {
    await t?.close();
    await openai?.close();
  });

  it("is for admins only", async () => {
    for (const [method, url] of [
      ["GET", "/api/executions/admin/execution_analytics/config"],
      ["POST", "/api/executions/admin/execution_analytics"],
      ["GET", `/api/executions/admin/execution_accuracy_trends?graph_id=${g.id}`],
      ["GET", "/api/admin/analytics/executions"],
      ["GET", "/api/admin/analytics/agents"],
      ["GET", "/api/admin/analytics/nodes"],
      ["GET", "/api/admin/analytics/users"],
    ] as const) {
      const res = await user.api.request(method, url, method === "POST" ? { graph_id: g.id } : undefined);
      expect(res.status, url).toBe(403);
    }
    expect((await admin.api.get("/api/admin/analytics/executions", { authorization: "" })).status).toBe(401);
    const doc = (await admin.api.get("/openapi.json")).body;
    for (const p of [
      "/api/executions/admin/execution_analytics/config",
      "/api/executions/admin/execution_analytics",
      "/api/executions/admin/execution_accuracy_trends",
      "/api/admin/analytics/executions",
      "/api/admin/analytics/agents",
      "/api/admin/analytics/nodes",
      "/api/admin/analytics/users",
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
  });

  it("the seed's figures count the runs: per day, success rate, top agents, node errors, usage", async () => {
    const perDay = await admin.api.get("/api/admin/analytics/executions?days=7");
    expect(perDay.status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(perDay.body.days).toEqual([
      { date: today, total: 3, completed: 2, failed: 1, terminated: 0, success_rate: 0.6667 },
    ]);
    expect(perDay.body).toMatchObject({ total_executions: 3, success_rate: 0.6667 });

    const agents = await admin.api.get("/api/admin/analytics/agents");
    expect(agents.body.agents).toEqual([
      { graph_id: g.id, name: "add one", executions: 3, completed: 2, success_rate: 0.6667, cost: 0 },
    ]);

    const nodes = await admin.api.get("/api/admin/analytics/nodes");
    const calc = nodes.body.blocks.find((b: { block_id: string }) => b.block_id === CALCULATOR);
    expect(calc).toEqual({
      block_id: CALCULATOR,
      block_name: "CalculatorBlock",
      executions: 3,
      errors: 1,
      error_rate: 0.3333,
    });
    const input = nodes.body.blocks.find((b: { block_id: string }) => b.block_id === INPUT);
    expect(input).toMatchObject({ executions: 3, errors: 0, error_rate: 0 });

    const usage = await admin.api.get("/api/admin/analytics/users");
    expect(usage.body.users).toEqual([
      expect.objectContaining({ user_id: user.user.id, email: user.email, executions: 3, completed: 2 }),
    ]);
    expect(usage.body.users[0].node_executions).toBeGreaterThanOrEqual(7);
    expect((await admin.api.get("/api/admin/analytics/agents?limit=0")).status).toBe(422);
  });

  it("AutoGPT's config, summaries stored in the runs' stats, and the accuracy trends they give", async () => {
    const config = await admin.api.get("/api/executions/admin/execution_analytics/config");
    expect(config.status).toBe(200);
    expectFits(config.body, "/api/executions/admin/execution_analytics/config", "get", 200);
    expect(config.body.recommended_model).toBe("gpt-4o-mini");
    expect(config.body.default_user_prompt).toContain("{{EXECUTION_DATA}}");
    expect(config.body.available_models.some((m: { value: string }) => m.value === "gpt-4o-mini")).toBe(true);

    const empty = await admin.api.get(`/api/executions/admin/execution_accuracy_trends?graph_id=${g.id}`);
    expectFits(empty.body, "/api/executions/admin/execution_accuracy_trends", "get", 200);
    expect(empty.body).toMatchObject({ latest_data: { daily_score: null }, alert: null });

    const generated = await admin.api.post("/api/executions/admin/execution_analytics", { graph_id: g.id });
    expect(generated.status, JSON.stringify(generated.body)).toBe(200);
    expectFits(generated.body, "/api/executions/admin/execution_analytics", "post", 200);
    expect(generated.body).toMatchObject({
      total_executions: 3,
      processed_executions: 3,
      successful_analytics: 3,
      failed_analytics: 0,
      skipped_executions: 0,
    });
    expect(generated.body.results.map((r: { exec_id: string }) => r.exec_id).sort()).toEqual([...runIds].sort());
    expect(generated.body.results[0]).toMatchObject({ summary_text: "I added one.", score: 0.8, status: "success" });
    // What the model was asked, with the operator's key, in JSON mode, about this graph.
    const asked = openai.received[0];
    expect(asked).toMatchObject({ method: "POST", path: "/chat/completions" });
    expect(asked?.headers.authorization).toBe("Bearer sk-operator-analytics");
    expect(asked?.json).toMatchObject({ model: "gpt-4o-mini", response_format: { type: "json_object" } });
    expect(asked?.json.messages[1].content).toContain("add one");

    // Stored with the run, as AutoGPT's stats.activity_status and correctness_score.
    const run = await user.api.get(`/api/executions/${runIds[0]}`);
    expect(run.body.stats).toMatchObject({ activity_status: "I added one.", correctness_score: 0.8 });

    // A second pass skips them.
    const again = await admin.api.post("/api/executions/admin/execution_analytics", { graph_id: g.id });
    expect(again.body).toMatchObject({ total_executions: 3, processed_executions: 0, skipped_executions: 3 });
    expect(openai.received).toHaveLength(3);

    const trends = await admin.api.get(
      `/api/executions/admin/execution_accuracy_trends?graph_id=${g.id}&include_historical=true`,
    );
    expect(trends.status).toBe(200);
    expectFits(trends.body, "/api/executions/admin/execution_accuracy_trends", "get", 200);
    expect(trends.body.latest_data).toMatchObject({
      daily_score: 80,
      three_day_avg: 80,
      seven_day_avg: 80,
      fourteen_day_avg: 80,
    });
    expect(trends.body.alert).toBeNull();

    // A model answer without the two keys fails that execution's analytics, and stores nothing.
    openai.handle(() => ({ json: { choices: [{ message: { content: '{"summary":"?"}' } }] } }));
    const redo = await admin.api.post("/api/executions/admin/execution_analytics", {
      graph_id: g.id,
      skip_existing: false,
      batch_size: 2,
    });
    expect(redo.status).toBe(200);
    expect(redo.body).toMatchObject({ processed_executions: 3, successful_analytics: 0, failed_analytics: 3 });
    expect(redo.body.results[0].error_message).toMatch(/activity_status/);
    expect((await user.api.get(`/api/executions/${runIds[0]}`)).body.stats.correctness_score).toBe(0.8);
    expect(trends.body.historical_data).toHaveLength(1);
    expect(
      (await admin.api.get(`/api/executions/admin/execution_accuracy_trends?graph_id=${g.id}&user_id=nobody`)).body
        .latest_data.daily_score,
    ).toBeNull();
  });
});
