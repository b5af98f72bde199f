// /api/library through real HTTP, as AutoGPT's own clients call it: a created graph is in the library at once;
// search, sort, pagination, favorites, update and archive, fork, delete; presets saved, changed, and run with their
// inputs. Every answer fits AutoGPT's schema (both documents), another user's agent or preset is 404, bad bodies 422.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTOGPT_DOCS, BOTH_DOCS, fitsIn } from "./helpers/autogpt-schemas.js";
import { client, signUp } from "./helpers/client.js";
import { create, ended, graph, INPUT, OUTPUT, until, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const expectFits = fitsIn(BOTH_DOCS);

/** input `message` -> output `done`. */
const echoGraph = (name: string, description = `${name} (test)`) => ({
  ...graph(
    name,
    [
      { id: "in", block_id: INPUT, input_default: { name: "message" } },
      { id: "out", block_id: OUTPUT, input_default: { name: "done" } },
    ],
    [["in", "result", "out", "value"]],
  ),
  description,
});

const TRIGGER = "8fa8c167-2002-47ce-aba8-97572fc5d387";
/** GenericWebhookTrigger -> outputs `payload` and `constants`. */
const triggered = () =>
  graph(
    "on webhook",
    [
      { id: "hook", block_id: TRIGGER, input_default: {} },
      { id: "out-payload", block_id: OUTPUT, input_default: { name: "payload" } },
      { id: "out-constants", block_id: OUTPUT, input_default: { name: "constants" } },
    ],
    [
      ["hook", "payload", "out-payload", "value"],
      ["hook", "constants", "out-constants", "value"],
    ],
  );

type Session = Awaited<ReturnType<typeof signUp>>;

describe("/api/library", () => {
  let t: TestServer;
  let alice: Session;
  let bob: Session;
  const g: Record<string, { id: string; version: number }> = {};

  beforeAll(async () => {
    t = await startTestServer();
    alice = await signUp(t.url);
    bob = await signUp(t.url);
    // Created one after another: "Zeta" is the newest.
    g.alpha = await create(alice.api, echoGraph("Alpha echo", "repeats a message"));
    g.beta = await create(alice.api, echoGraph("Beta mirror", "returns what it is given"));
    g.zeta = await create(alice.api, echoGraph("Zeta parrot", "says the message back"));
  });
  afterAll(() => t?.close());

  const agentOf = async (s: Session, graphId: string) => {
    const res = await s.api.get(`/api/library/agents/by-graph/${graphId}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  it("serves every /api/library operation of AutoGPT's two documents, each listed in the OpenAPI document", async () => {
    const ours = (await client(t.url).get("/openapi.json")).body.paths;
    for (const doc of BOTH_DOCS) {
      const file = AUTOGPT_DOCS[doc];
      const theirs = JSON.parse(fs.readFileSync(new URL(`./fixtures/autogpt/${file}`, import.meta.url), "utf8")).paths;
      const ops = Object.entries(theirs as Record<string, Record<string, unknown>>)
        .filter(([p]) => p.startsWith("/api/library"))
        .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m} ${p}`));
      expect(ops.length).toBeGreaterThanOrEqual(16);
      const missing = ops.filter((op) => {
        const [method, p] = op.split(" ") as [string, string];
        return !ours[p]?.[method]?.summary;
      });
      expect(missing, doc).toEqual([]);
    }
    // The seed's path for the update.
    expect(ours["/api/library/agents/{library_agent_id}"].put).toBeDefined();
  });

  it("lists a graph in its creator's library as soon as it is created", async () => {
    const res = await alice.api.get("/api/library/agents");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectFits(res.body, "/api/library/agents", "get");
    expect(res.body.agents.map((a: { graph_id: string }) => a.graph_id)).toEqual([g.zeta?.id, g.beta?.id, g.alpha?.id]);
    expect(res.body.pagination).toEqual({ total_items: 3, total_pages: 1, current_page: 1, page_size: 15 });
    expect(res.body.agents[0]).toMatchObject({
      name: "Zeta parrot",
      graph_version: 1,
      owner_user_id: alice.user.id,
      can_access_graph: true,
      is_favorite: false,
      input_schema: { properties: { message: expect.any(Object) } },
    });
    const bobs = await bob.api.get("/api/library/agents");
    expect(bobs.body.agents).toEqual([]);
  });

  it("searches names and descriptions, sorts and paginates", async () => {
    const search = await alice.api.get("/api/library/agents?search_term=MESSAGE");
    expect(search.body.agents.map((a: { name: string }) => a.name)).toEqual(["Zeta parrot", "Alpha echo"]);
    const byName = await alice.api.get("/api/library/agents?search_term=mirror");
    expect(byName.body.agents.map((a: { name: string }) => a.name)).toEqual(["Beta mirror"]);

    const page2 = await alice.api.get("/api/library/agents?sort_by=createdAt&page=2&page_size=2");
    expect(page2.status).toBe(200);
    expectFits(page2.body, "/api/library/agents", "get");
    expect(page2.body.agents.map((a: { name: string }) => a.name)).toEqual(["Alpha echo"]);
    expect(page2.body.pagination).toEqual({ total_items: 3, total_pages: 2, current_page: 2, page_size: 2 });

    // A change moves an agent to the top of the updatedAt order, not of createdAt's.
    const alpha = await agentOf(alice, g.alpha?.id as string);
    expect((await alice.api.request("PATCH", `/api/library/agents/${alpha.id}`, { is_favorite: false })).status).toBe(
      200,
    );
    const updated = await alice.api.get("/api/library/agents?sort_by=updatedAt");
    expect(updated.body.agents[0].name).toBe("Alpha echo");
    const created = await alice.api.get("/api/library/agents?sort_by=createdAt");
    expect(created.body.agents[0].name).toBe("Zeta parrot");

    expect((await alice.api.get("/api/library/agents?sort_by=name")).status).toBe(422);
    expect((await alice.api.get("/api/library/agents?page=0")).status).toBe(422);
  });

  it("gets an agent by id and by graph (and version); another user's is 404", async () => {
    const agent = await agentOf(alice, g.beta?.id as string);
    expectFits(agent, "/api/library/agents/by-graph/{graph_id}", "get");
    const one = await alice.api.get(`/api/library/agents/${agent.id}`);
    expect(one.status).toBe(200);
    expectFits(one.body, "/api/library/agents/{library_agent_id}", "get");
    expect(one.body).toEqual(agent);
    expect((await alice.api.get(`/api/library/agents/by-graph/${g.beta?.id}?version=1`)).status).toBe(200);
    expect((await alice.api.get(`/api/library/agents/by-graph/${g.beta?.id}?version=2`)).status).toBe(404);
    expect((await bob.api.get(`/api/library/agents/${agent.id}`)).status).toBe(404);
    expect((await bob.api.get(`/api/library/agents/by-graph/${g.beta?.id}`)).status).toBe(404);
    expect((await bob.api.request("PATCH", `/api/library/agents/${agent.id}`, { is_favorite: true })).status).toBe(404);
    expect((await bob.api.delete(`/api/library/agents/${agent.id}`)).status).toBe(404);
    expect((await bob.api.post(`/api/library/agents/${agent.id}/fork`)).status).toBe(404);
  });

  it("favorites, archives and un-archives an agent (PATCH and the seed's PUT)", async () => {
    const agent = await agentOf(alice, g.beta?.id as string);
    const fav = await alice.api.request("PATCH", `/api/library/agents/${agent.id}`, { is_favorite: true });
    expect(fav.status, JSON.stringify(fav.body)).toBe(200);
    expectFits(fav.body, "/api/library/agents/{library_agent_id}", "patch");
    expect(fav.body.is_favorite).toBe(true);
    const favorites = await alice.api.get("/api/library/agents/favorites");
    expectFits(favorites.body, "/api/library/agents/favorites", "get");
    expect(favorites.body.agents.map((a: { id: string }) => a.id)).toEqual([agent.id]);
    expect(favorites.body.pagination.total_items).toBe(1);

    const archived = await alice.api.put(`/api/library/agents/${agent.id}`, { is_archived: true });
    expect(archived.status, JSON.stringify(archived.body)).toBe(200);
    const list = await alice.api.get("/api/library/agents");
    expect(list.body.agents.map((a: { id: string }) => a.id)).not.toContain(agent.id);
    // Archived agents stay readable, as AutoGPT's get.
    expect((await alice.api.get(`/api/library/agents/${agent.id}`)).status).toBe(200);
    await alice.api.put(`/api/library/agents/${agent.id}`, { is_archived: false });
    const again = await alice.api.get("/api/library/agents");
    expect(again.body.agents.map((a: { id: string }) => a.id)).toContain(agent.id);

    const settings = await alice.api.request("PATCH", `/api/library/agents/${agent.id}`, {
      settings: { sensitive_action_safe_mode: true },
    });
    expect(settings.body.settings).toEqual({ human_in_the_loop_safe_mode: true, sensitive_action_safe_mode: true });

    for (const bad of [{ is_favorite: "yes" }, { graph_version: 0 }, { auto_update_version: 3 }]) {
      const res = await alice.api.request("PATCH", `/api/library/agents/${agent.id}`, bad);
      expect(res.status, JSON.stringify(bad)).toBe(422);
    }
  });

  it("follows a graph's new versions unless pinned", async () => {
    const agent = await agentOf(alice, g.zeta?.id as string);
    const pinned = await alice.api.request("PATCH", `/api/library/agents/${agent.id}`, { graph_version: 1 });
    expect(pinned.body.graph_version).toBe(1);
    const v2 = await alice.api.put(`/api/graphs/${g.zeta?.id}`, { ...echoGraph("Zeta parrot v2"), id: g.zeta?.id });
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect((await alice.api.get(`/api/library/agents/${agent.id}`)).body.graph_version).toBe(1);
    const follow = await alice.api.request("PATCH", `/api/library/agents/${agent.id}`, { auto_update_version: true });
    expect(follow.body).toMatchObject({ graph_version: 2, name: "Zeta parrot v2" });
  });

  it("forks an agent into a new graph of the caller, in their library", async () => {
    const agent = await agentOf(alice, g.alpha?.id as string);
    const fork = await alice.api.post(`/api/library/agents/${agent.id}/fork`);
    expect(fork.status, JSON.stringify(fork.body)).toBe(200);
    expectFits(fork.body, "/api/library/agents/{library_agent_id}/fork", "post");
    expect(fork.body.id).not.toBe(agent.id);
    expect(fork.body.graph_id).not.toBe(g.alpha?.id);
    expect(fork.body.name).toBe("Alpha echo (copy)");
    const graphRes = await alice.api.get(`/api/graphs/${fork.body.graph_id}`);
    expect(graphRes.status).toBe(200);
    expect((await alice.api.get(`/api/library/agents/${fork.body.id}`)).status).toBe(200);
  });

  it("deletes an agent from the library; its graph stays", async () => {
    const g2 = await create(alice.api, echoGraph("Short-lived"));
    const agent = await agentOf(alice, g2.id);
    const del = await alice.api.delete(`/api/library/agents/${agent.id}`);
    expect(del.status).toBe(204);
    expect((await alice.api.get(`/api/library/agents/${agent.id}`)).status).toBe(404);
    expect((await alice.api.delete(`/api/library/agents/${agent.id}`)).status).toBe(404);
    expect((await alice.api.get(`/api/library/agents/by-graph/${g2.id}`)).status).toBe(404);
    expect((await alice.api.get(`/api/graphs/${g2.id}`)).status).toBe(200);
  });

  it("answers store listings it does not have with 404", async () => {
    const add = await alice.api.post("/api/library/agents", { store_listing_version_id: "no-such-listing" });
    expect(add.status, JSON.stringify(add.body)).toBe(404);
    expect(add.body.error.code).toBeTypeOf("string");
    expect((await alice.api.get("/api/library/agents/marketplace/no-such-listing")).status).toBe(404);
    expect((await alice.api.post("/api/library/agents", {})).status).toBe(422);
  });

  describe("presets", () => {
    let presetId: string;

    it("creates, lists, reads and updates a preset; another user's is 404", async () => {
      const created = await alice.api.post("/api/library/presets", {
        graph_id: g.alpha?.id,
        graph_version: 1,
        name: "Greeting",
        description: "says hello",
        inputs: { message: "hello from the preset" },
        credentials: {},
      });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      expectFits(created.body, "/api/library/presets", "post");
      expect(created.body).toMatchObject({
        graph_id: g.alpha?.id,
        graph_version: 1,
        name: "Greeting",
        user_id: alice.user.id,
        is_active: true,
        inputs: { message: "hello from the preset" },
        webhook: null,
      });
      presetId = created.body.id;

      const list = await alice.api.get(`/api/library/presets?graph_id=${g.alpha?.id}`);
      expect(list.status).toBe(200);
      expectFits(list.body, "/api/library/presets", "get");
      expect(list.body.presets.map((p: { id: string }) => p.id)).toEqual([presetId]);
      expect(list.body.pagination).toEqual({ total_items: 1, total_pages: 1, current_page: 1, page_size: 10 });
      expect((await alice.api.get(`/api/library/presets?graph_id=${g.beta?.id}`)).body.presets).toEqual([]);

      const one = await alice.api.get(`/api/library/presets/${presetId}`);
      expectFits(one.body, "/api/library/presets/{preset_id}", "get");
      const updated = await alice.api.request("PATCH", `/api/library/presets/${presetId}`, {
        name: "Greeting, renamed",
        inputs: { message: "hello again" },
      });
      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
      expectFits(updated.body, "/api/library/presets/{preset_id}", "patch");
      expect(updated.body).toMatchObject({ name: "Greeting, renamed", description: "says hello" });

      expect((await bob.api.get(`/api/library/presets/${presetId}`)).status).toBe(404);
      expect((await bob.api.request("PATCH", `/api/library/presets/${presetId}`, { name: "x" })).status).toBe(404);
      expect((await bob.api.post(`/api/library/presets/${presetId}/execute`, {})).status).toBe(404);
      expect((await bob.api.delete(`/api/library/presets/${presetId}`)).status).toBe(404);
      expect((await bob.api.get("/api/library/presets")).body.presets).toEqual([]);
      // Bob cannot save a preset of Alice's graph.
      const bobs = await bob.api.post("/api/library/presets", {
        graph_id: g.alpha?.id,
        graph_version: 1,
        name: "mine",
        description: "",
        inputs: {},
        credentials: {},
      });
      expect(bobs.status).toBe(404);
    });

    it("keeps a preset's credentials as metadata, never their secret", async () => {
      const credentials = { openai_credentials: { id: "cred-1", provider: "openai", type: "api_key", title: "Mine" } };
      const res = await alice.api.post("/api/library/presets", {
        graph_id: g.beta?.id,
        graph_version: 1,
        name: "With credentials",
        description: "",
        inputs: {},
        credentials,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expectFits(res.body, "/api/library/presets", "post");
      expect(res.body.credentials).toEqual(credentials);
      const cleared = await alice.api.request("PATCH", `/api/library/presets/${res.body.id}`, { credentials: {} });
      expect(cleared.body.credentials).toEqual({});
      const badType = await alice.api.request("PATCH", `/api/library/presets/${res.body.id}`, {
        credentials: { x: { id: "c", provider: "openai", type: "password" } },
      });
      expect(badType.status).toBe(422);
      expect((await alice.api.delete(`/api/library/presets/${res.body.id}`)).status).toBe(204);
    });

    it("refuses bad preset bodies with 422", async () => {
      for (const bad of [
        { graph_id: g.alpha?.id, graph_version: 1, name: "no inputs", description: "" },
        { graph_id: g.alpha?.id, graph_version: "one", name: "x", description: "", inputs: {}, credentials: {} },
        { name: "neither graph nor run", description: "" },
        {},
      ]) {
        const res = await alice.api.post("/api/library/presets", bad);
        expect(res.status, JSON.stringify(bad)).toBe(422);
      }
      const badUpdate = await alice.api.request("PATCH", `/api/library/presets/${presetId}`, { is_active: "no" });
      expect(badUpdate.status).toBe(422);
    });

    it("executes a preset: the graph runs with the preset's inputs, overridden by the request's", async () => {
      const res = await alice.api.post(`/api/library/presets/${presetId}/execute`, {});
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      // The later document's GraphExecutionMeta has a non-null started_at even for a queued run; Agentry's shared
      // GraphExecutionMeta (every run route's) follows v0.6.44, where a run not yet started has none.
      fitsIn(["v0.6.44"])(res.body, "/api/library/presets/{preset_id}/execute", "post");
      expect(res.body).toMatchObject({ graph_id: g.alpha?.id, graph_version: 1, preset_id: presetId });
      const run = await waitFor(alice.api, res.body.id, ended, 60_000);
      expect(run.status).toBe("COMPLETED");
      expect(JSON.stringify(run.outputs ?? run.node_executions)).toContain("hello again");

      const over = await alice.api.post(`/api/library/presets/${presetId}/execute`, {
        inputs: { message: "overridden" },
      });
      expect(over.status, JSON.stringify(over.body)).toBe(200);
      const run2 = await waitFor(alice.api, over.body.id, ended, 60_000);
      expect(run2.status).toBe("COMPLETED");
      expect(JSON.stringify(run2.outputs ?? run2.node_executions)).toContain("overridden");
      expect(JSON.stringify(run2.outputs ?? run2.node_executions)).not.toContain("hello again");

      // A preset saved from that run keeps its inputs.
      const fromRun = await alice.api.post("/api/library/presets", {
        graph_execution_id: over.body.id,
        name: "From a run",
        description: "",
      });
      expect(fromRun.status, JSON.stringify(fromRun.body)).toBe(200);
      expectFits(fromRun.body, "/api/library/presets", "post");
      expect(fromRun.body).toMatchObject({ graph_id: g.alpha?.id, inputs: { message: "overridden" } });
      const bobFromRun = await bob.api.post("/api/library/presets", {
        graph_execution_id: over.body.id,
        name: "theirs",
        description: "",
      });
      expect(bobFromRun.status).toBe(404);
    });

    it("deletes a preset", async () => {
      expect((await alice.api.delete(`/api/library/presets/${presetId}`)).status).toBe(204);
      expect((await alice.api.get(`/api/library/presets/${presetId}`)).status).toBe(404);
      expect((await alice.api.post(`/api/library/presets/${presetId}/execute`, {})).status).toBe(404);
    });

    it("sets up a trigger: a preset with a webhook of its own, each post to it running the graph with the preset", async () => {
      const hooked = await create(alice.api, triggered());
      const res = await alice.api.post("/api/library/presets/setup-trigger", {
        name: "On deploy",
        graph_id: hooked.id,
        graph_version: hooked.version,
        trigger_config: { constants: { team: "ops" }, secret_token: "s3cret" },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expectFits(res.body, "/api/library/presets/setup-trigger", "post");
      const preset = res.body;
      expect(preset).toMatchObject({ name: "On deploy", description: "", is_active: true, graph_id: hooked.id });
      expect(preset.webhook).toMatchObject({
        id: preset.webhook_id,
        provider: "generic_webhook",
        secret: "**********",
      });
      // The preset's webhook is its own, not the one the graph's trigger node got when the graph was created.
      const nodeHook = hooked.nodes.find((n: { block_id: string }) => n.block_id === TRIGGER).webhook_id;
      expect(preset.webhook_id).not.toBe(nodeHook);
      const read = await alice.api.get(`/api/library/presets/${preset.id}`);
      expectFits(read.body, "/api/library/presets/{preset_id}", "get");
      expect(read.body.webhook.url).toBe(preset.webhook.url);

      const ingress = `/api/integrations/generic_webhook/webhooks/${preset.webhook_id}/ingress`;
      expect((await client(t.url).post(ingress, { n: 1 })).status).toBe(403);
      const post = await client(t.url).post(ingress, { event: "deploy" }, { "x-webhook-secret": "s3cret" });
      expect(post.status, JSON.stringify(post.body)).toBe(200);
      let runs: Array<{ id: string; preset_id: string | null }> = [];
      await until(async () => {
        runs = (await alice.api.get(`/api/graphs/${hooked.id}/executions`)).body.executions;
        return runs.length > 0;
      }, "the preset's run");
      expect(runs.map((r) => r.preset_id)).toEqual([preset.id]);
      const done = await waitFor(alice.api, runs[0]?.id as string, ended, 60_000);
      expect(done.status, JSON.stringify(done.node_executions)).toBe("COMPLETED");
      expect(done.outputs).toEqual({ payload: [{ event: "deploy" }], constants: [{ team: "ops" }] });

      const plain = await create(alice.api, echoGraph("No trigger"));
      const refused = await alice.api.post("/api/library/presets/setup-trigger", {
        name: "x",
        graph_id: plain.id,
        graph_version: 1,
        trigger_config: {},
      });
      expect(refused.status, JSON.stringify(refused.body)).toBe(400);
      const bobs = await bob.api.post("/api/library/presets/setup-trigger", {
        name: "x",
        graph_id: hooked.id,
        graph_version: 1,
        trigger_config: {},
      });
      expect(bobs.status).toBe(404);
      expect((await alice.api.post("/api/library/presets/setup-trigger", { name: "x" })).status).toBe(422);
    });
  });
});
