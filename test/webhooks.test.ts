// Webhook triggers through HTTP: a graph with AutoGPT's GenericWebhookTriggerBlock gets a webhook when it is
// created; a POST to the webhook's ingress URL starts a run whose trigger outputs the payload; ping, the secret
// token, unknown webhooks and a new graph version behave as AutoGPT's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fitsIn } from "./helpers/autogpt-schemas.js";
import { client, signUp } from "./helpers/client.js";
import { create, ended, graph, OUTPUT, until, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const TRIGGER = "8fa8c167-2002-47ce-aba8-97572fc5d387";

const expectFits = fitsIn(["v0.6.44"]);

const triggered = (triggerDefaults: Record<string, unknown> = {}) =>
  graph(
    "on webhook",
    [
      { id: "hook", block_id: TRIGGER, input_default: { constants: { team: "ops" }, ...triggerDefaults } },
      { id: "out-payload", block_id: OUTPUT, input_default: { name: "payload" } },
      { id: "out-constants", block_id: OUTPUT, input_default: { name: "constants" } },
    ],
    [
      ["hook", "payload", "out-payload", "value"],
      ["hook", "constants", "out-constants", "value"],
    ],
  );

describe("webhook triggers", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  const anonymous = () => client(t.url);

  beforeAll(async () => {
    t = await startTestServer();
    alice = await signUp(t.url);
    bob = await signUp(t.url);
  });
  afterAll(async () => {
    await t?.close();
  });

  const webhookOf = (g: { nodes: Array<{ id: string; block_id: string; webhook_id?: string | null }> }) =>
    g.nodes.find((n) => n.block_id === TRIGGER)?.webhook_id;
  const ingress = (id: string, body: unknown, headers: Record<string, string> = {}) =>
    anonymous().post(`/api/integrations/generic_webhook/webhooks/${id}/ingress`, body, headers);
  /** The graph's runs, once there are `count` of them, newest first. */
  async function runsOf(graphId: string, count: number) {
    let runs: Array<{ id: string; graph_version: number }> = [];
    await until(async () => {
      const res = await alice.api.get(`/api/graphs/${graphId}/executions`);
      runs = res.body.executions ?? [];
      return runs.length >= count;
    }, `${count} runs of ${graphId}`);
    return runs;
  }

  it("lists AutoGPT's GenericWebhookTriggerBlock with its fields", async () => {
    const blocks = await alice.api.get("/api/blocks");
    const block = blocks.body.find((b: { id: string }) => b.id === TRIGGER);
    expect(block).toMatchObject({ name: "GenericWebhookTriggerBlock", categories: [{ category: "INPUT" }] });
    expect(Object.keys(block.inputSchema.properties)).toEqual(["payload", "constants", "secret_token"]);
    expect(block.inputSchema.properties.secret_token).toMatchObject({ secret: true, title: "Secret token" });
    expect(Object.keys(block.outputSchema.properties)).toEqual(expect.arrayContaining(["payload", "constants"]));
  });

  it("sets up a webhook for the graph; a POST to its ingress URL runs the graph with the payload", async () => {
    const g = await create(alice.api, triggered());
    const webhookId = webhookOf(g);
    expect(webhookId).toEqual(expect.any(String));
    const read = await alice.api.get(`/api/graphs/${g.id}`);
    expect(webhookOf(read.body)).toBe(webhookId);

    const payload = { event: "deploy", ok: true, items: [1, 2] };
    const res = await ingress(webhookId as string, payload);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectFits(res.body, "/api/integrations/{provider}/webhooks/{webhook_id}/ingress", "post");
    const [run] = await runsOf(g.id, 1);
    const done = await waitFor(alice.api, run?.id as string, ended);
    expect(done.status, JSON.stringify(done.node_executions)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ payload: [payload], constants: [{ team: "ops" }] });
    // Bob cannot see the run it started for Alice.
    expect((await bob.api.get(`/api/executions/${run?.id}`)).status).toBe(404);
  });

  it("answers 404 for unknown webhooks and another provider's path, 400 for a payload that is not an object", async () => {
    const unknown = await ingress("no-such-webhook", { a: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("NOT_FOUND");
    const g = await create(alice.api, triggered());
    const webhookId = webhookOf(g) as string;
    const other = await anonymous().post(`/api/integrations/github/webhooks/${webhookId}/ingress`, { a: 1 });
    expect(other.status).toBe(404);
    const list = await ingress(webhookId, [1, 2, 3]);
    expect(list.status).toBe(400);
    expect(list.body.error.message).toContain("JSON object");
  });

  it("ping: false for the generic provider (it cannot be pinged), the caller's webhooks only", async () => {
    const g = await create(alice.api, triggered());
    const webhookId = webhookOf(g) as string;
    const ping = await alice.api.post(`/api/integrations/webhooks/${webhookId}/ping`);
    expect(ping.status, JSON.stringify(ping.body)).toBe(200);
    expect(ping.body).toBe(false);
    expectFits(ping.body, "/api/integrations/webhooks/{webhook_id}/ping", "post");
    expect((await bob.api.post(`/api/integrations/webhooks/${webhookId}/ping`)).status).toBe(404);
    expect((await anonymous().post(`/api/integrations/webhooks/${webhookId}/ping`)).status).toBe(401);
    expect((await alice.api.post("/api/integrations/webhooks/unknown/ping")).status).toBe(404);
  });

  it("a new version keeps the webhook, moves it to the active version, and enforces its secret token", async () => {
    const g = await create(alice.api, triggered());
    const webhookId = webhookOf(g) as string;
    const updated = await alice.api.put(`/api/graphs/${g.id}`, {
      ...triggered({ secret_token: "s3cret-token" }),
      id: g.id,
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    const v2 = updated.body.graph ?? updated.body;
    expect(v2.version).toBe(2);
    expect(webhookOf(v2)).toBe(webhookId);
    const v1 = await alice.api.get(`/api/graphs/${g.id}?version=1`);
    expect(webhookOf(v1.body) ?? null).toBeNull();

    const missing = await ingress(webhookId, { n: 1 });
    expect(missing.status).toBe(403);
    expect(missing.body.detail).toBe("Invalid or missing X-Webhook-Secret header");
    expect((await ingress(webhookId, { n: 1 }, { "x-webhook-secret": "wrong" })).status).toBe(403);
    const ok = await ingress(webhookId, { n: 2 }, { "X-Webhook-Secret": "s3cret-token" });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const [run] = await runsOf(g.id, 1);
    expect(run?.graph_version).toBe(2);
    const done = await waitFor(alice.api, run?.id as string, ended);
    expect(done.outputs.payload).toEqual([{ n: 2 }]);

    // Deleting the graph deletes its webhook: the URL answers 404 from then on.
    expect((await alice.api.delete(`/api/graphs/${g.id}`)).status).toBe(200);
    expect((await ingress(webhookId, { n: 3 }, { "X-Webhook-Secret": "s3cret-token" })).status).toBe(404);
  });
});
