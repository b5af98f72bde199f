// AutoGPT's execution sharing and graph settings through real HTTP: the owner shares a run, anyone reads its outputs
// (and nothing else) without signing in, a new share replaces the old link, and unsharing makes it 404; PATCH
// /api/graphs/{graph_id}/settings keeps AutoGPT's GraphSettings on the caller's library agent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fitsIn } from "./helpers/autogpt-schemas.js";
import { client, createKey, signUp } from "./helpers/client.js";
import { calculatorGraph, create, ended, execute, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const expectFits = fitsIn(["v0.6.44"]);

const SHARE = "/api/graphs/{graph_id}/executions/{graph_exec_id}/share";
type Session = Awaited<ReturnType<typeof signUp>>;

describe("sharing: a run's public link, and graph settings", () => {
  let t: TestServer;
  let alice: Session;
  let bob: Session;
  let calc: { id: string; version: number; name: string; description: string };
  let runId: string;
  const anonymous = () => client(t.url);

  beforeAll(async () => {
    t = await startTestServer({ oauth: { frontendBaseUrl: "https://agents.example.com", providers: {} } });
    alice = await signUp(t.url);
    bob = await signUp(t.url);
    calc = await create(alice.api, calculatorGraph());
    const run = await execute(alice.api, calc, { Input: 123456 });
    runId = run.id;
    const done = await waitFor(alice.api, runId, ended);
    expect(done.status).toBe("COMPLETED");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("shares a run: readable without sign-in, outputs only; a new share replaces the link; unshared is 404", async () => {
    const shared = await alice.api.post(`/api/graphs/${calc.id}/executions/${runId}/share`);
    expect(shared.status, JSON.stringify(shared.body)).toBe(200);
    expectFits(shared.body, SHARE, "post");
    const token = shared.body.share_token as string;
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(shared.body.share_url).toBe(`https://agents.example.com/share/${token}`);

    const pub = await anonymous().get(`/api/public/shared/${token}`);
    expect(pub.status, JSON.stringify(pub.body)).toBe(200);
    expectFits(pub.body, "/api/public/shared/{share_token}", "get");
    expect(Object.keys(pub.body).sort()).toEqual(
      ["created_at", "graph_description", "graph_name", "id", "outputs", "status"].sort(),
    );
    expect(pub.body).toMatchObject({
      id: runId,
      graph_name: calc.name,
      status: "COMPLETED",
      outputs: { Output: [123490] },
    });
    // The inputs, the owner and the nodes stay private.
    const text = JSON.stringify(pub.body);
    for (const secret of ["123456", alice.user.id, alice.email, "node_executions", "inputs"]) {
      expect(text).not.toContain(secret);
    }

    // The owner sees the run as shared.
    const own = await alice.api.get(`/api/executions/${runId}`);
    expect(own.body).toMatchObject({ is_shared: true, share_token: token });

    // Sharing again makes a new link; the old one stops working.
    const again = await alice.api.post(`/api/graphs/${calc.id}/executions/${runId}/share`, {});
    expect(again.status).toBe(200);
    expect(again.body.share_token).not.toBe(token);
    expect((await anonymous().get(`/api/public/shared/${token}`)).status).toBe(404);
    expect((await anonymous().get(`/api/public/shared/${again.body.share_token}`)).status).toBe(200);

    const unshared = await alice.api.delete(`/api/graphs/${calc.id}/executions/${runId}/share`);
    expect(unshared.status).toBe(204);
    const gone = await anonymous().get(`/api/public/shared/${again.body.share_token}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBeDefined();
    expect((await alice.api.get(`/api/executions/${runId}`)).body).toMatchObject({
      is_shared: false,
      share_token: null,
    });
  });

  it("lets only the owner share, at the run's own graph; a malformed token is 422", async () => {
    expect((await anonymous().post(`/api/graphs/${calc.id}/executions/${runId}/share`)).status).toBe(401);
    expect((await bob.api.post(`/api/graphs/${calc.id}/executions/${runId}/share`)).status).toBe(404);
    expect((await bob.api.delete(`/api/graphs/${calc.id}/executions/${runId}/share`)).status).toBe(404);
    expect((await alice.api.post(`/api/graphs/other-graph/executions/${runId}/share`)).status).toBe(404);
    expect((await alice.api.post(`/api/graphs/${calc.id}/executions/no-such-run/share`)).status).toBe(404);
    const reader = await createKey(t.url, alice.api, ["READ_RUN"]);
    expect((await reader.api.post(`/api/graphs/${calc.id}/executions/${runId}/share`)).status).toBe(403);

    expect((await anonymous().get("/api/public/shared/not-a-token")).status).toBe(422);
    expect((await anonymous().get(`/api/public/shared/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it("a deleted run's link stops working", async () => {
    const run = await execute(alice.api, calc, { Input: 1 });
    await waitFor(alice.api, run.id, ended);
    const shared = await alice.api.post(`/api/graphs/${calc.id}/executions/${run.id}/share`);
    expect((await anonymous().get(`/api/public/shared/${shared.body.share_token}`)).status).toBe(200);
    expect((await alice.api.delete(`/api/executions/${run.id}`)).status).toBe(204);
    expect((await anonymous().get(`/api/public/shared/${shared.body.share_token}`)).status).toBe(404);
  });

  it("patches graph settings on the caller's library agent, AutoGPT's GraphSettings", async () => {
    const settingsPath = `/api/graphs/${calc.id}/settings`;
    const patch = (api: typeof alice.api, body: unknown, p = settingsPath) => api.request("PATCH", p, body);

    const first = await patch(alice.api, { human_in_the_loop_safe_mode: false });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expectFits(first.body, "/api/graphs/{graph_id}/settings", "patch");
    expect(first.body).toEqual({ human_in_the_loop_safe_mode: false, sensitive_action_safe_mode: false });

    // A setting not sent stays as it is.
    const second = await patch(alice.api, { sensitive_action_safe_mode: true });
    expect(second.body).toEqual({ human_in_the_loop_safe_mode: false, sensitive_action_safe_mode: true });
    expect((await patch(alice.api, {})).body).toEqual(second.body);

    // Kept on the library agent.
    const agent = await t.server.platform.library.ofGraph(alice.user.id, calc.id);
    expect(agent?.agent.settings).toMatchObject({
      human_in_the_loop_safe_mode: false,
      sensitive_action_safe_mode: true,
    });

    expect((await patch(alice.api, { human_in_the_loop_safe_mode: "maybe" })).status).toBe(422);
    expect((await patch(bob.api, { human_in_the_loop_safe_mode: true })).status).toBe(404);
    expect((await patch(alice.api, {}, "/api/graphs/no-such-graph/settings")).status).toBe(404);
    expect((await patch(anonymous(), {})).status).toBe(401);
  });
});
