// External API v2, part B, through real HTTP with API keys: library agents and presets (runs included), credits,
// integrations, marketplace reads, search and file upload — each with its scope, and other users' items 404.
import { createHash } from "node:crypto";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { creditTransactions, libraryAgents } from "../src/infra/db/schema.js";
import { type Client, client, createKey, signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const V2 = "/external-api/v2";
const CALCULATOR_BLOCK = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";
const calculator = JSON.parse(fs.readFileSync(new URL("./fixtures/calculator-agent.json", import.meta.url), "utf8"));
/** Uploads may be 50 times the JSON body limit: 5,000,000 bytes with this server's limit. */
const BODY_LIMIT = 100_000;
const UPLOAD_LIMIT = BODY_LIMIT * 50;

type Session = Awaited<ReturnType<typeof signUp>>;

async function importGraph(session: Session, name: string) {
  const res = await session.api.post("/api/graphs", { graph: { ...calculator, name, description: `${name} agent` } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { id: string; version: number };
}

async function waitForRun(session: Session, runId: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await session.api.get(`/api/executions/${runId}`);
    expect(res.status).toBe(200);
    if (["COMPLETED", "FAILED", "TERMINATED"].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${res.body.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe("string");
}

describe("External API v2: library, credits, integrations, marketplace, search, files", () => {
  let t: TestServer;
  let alice: Session;
  let bob: Session;
  let graph: { id: string; version: number };
  const keys: Record<string, Client> = {};
  const bobKeys: Record<string, Client> = {};

  beforeAll(async () => {
    t = await startTestServer({ bodyLimit: BODY_LIMIT, executor: { nodeTimeoutSeconds: 5 } });
    alice = await signUp(t.url);
    bob = await signUp(t.url);
    graph = await importGraph(alice, "Calculator agent");
    for (const scope of [
      "READ_LIBRARY",
      "WRITE_GRAPH",
      "RUN_AGENT",
      "READ_CREDITS",
      "READ_INTEGRATIONS",
      "READ_STORE",
      "UPLOAD_FILES",
      "IDENTITY",
    ]) {
      keys[scope] = (await createKey(t.url, alice.api, [scope])).api;
      bobKeys[scope] = (await createKey(t.url, bob.api, [scope])).api;
    }
    keys.SEARCH_ALL = (await createKey(t.url, alice.api, ["READ_STORE", "READ_LIBRARY", "UPLOAD_FILES"])).api;
    bobKeys.SEARCH_ALL = (await createKey(t.url, bob.api, ["READ_STORE", "READ_LIBRARY"])).api;
  });
  afterAll(() => t?.close());

  describe("library agents", () => {
    it("lists the user's graphs as library agents, in AutoGPT's shape, with cursor pagination", async () => {
      const res = await keys.READ_LIBRARY.get(`${V2}/library/agents`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ next_cursor: null, total_count: 1 });
      const [agent] = res.body.items;
      expect(agent).toMatchObject({
        organization_id: null,
        team_id: null,
        graph_id: graph.id,
        graph_version: graph.version,
        name: "Calculator agent",
        description: "Calculator agent agent",
        is_favorite: false,
        can_access_graph: true,
        is_latest_version: true,
        image_url: null,
        trigger_setup_info: null,
        folder_id: null,
        folder_name: null,
      });
      expect(Object.keys(agent.input_schema.properties)).toEqual(["Input"]);
      expect(Object.keys(agent.output_schema.properties)).toEqual(["Output"]);
      expect(typeof agent.creator_name).toBe("string");
      expect(Date.parse(agent.created_at)).not.toBeNaN();

      // Listing again adds nothing; a second graph joins the library.
      expect((await keys.READ_LIBRARY.get(`${V2}/library/agents`)).body.total_count).toBe(1);
      const second = await importGraph(alice, "Second adder");
      const first = await keys.READ_LIBRARY.get(`${V2}/library/agents?limit=1`);
      expect(first.body).toMatchObject({ total_count: 2 });
      expect(first.body.items).toHaveLength(1);
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const next = await keys.READ_LIBRARY.get(`${V2}/library/agents?limit=1&cursor=${first.body.next_cursor}`);
      expect(next.body.items).toHaveLength(1);
      expect(next.body.next_cursor).toBeNull();
      const graphIds = [first.body.items[0].graph_id, next.body.items[0].graph_id].sort();
      expect(graphIds).toEqual([graph.id, second.id].sort());

      expectError(await keys.READ_LIBRARY.get(`${V2}/library/agents?cursor=not-a-cursor`), 400, "bad_request");
      expectError(await keys.READ_LIBRARY.get(`${V2}/library/agents?limit=101`), 422, "validation_error");
      expectError(await keys.RUN_AGENT.get(`${V2}/library/agents`), 403, "forbidden");
      // The published filter: nothing is on a marketplace.
      expect((await keys.READ_LIBRARY.get(`${V2}/library/agents?published=true`)).body.total_count).toBe(0);
    });

    it("reads, updates, forks and removes a library agent; other users' agents are 404", async () => {
      const list = await keys.READ_LIBRARY.get(`${V2}/library/agents`);
      const agent = list.body.items.find((a: any) => a.graph_id === graph.id);
      const got = await keys.READ_LIBRARY.get(`${V2}/library/agents/${agent.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(agent);

      expectError(await bobKeys.READ_LIBRARY.get(`${V2}/library/agents/${agent.id}`), 404, "not_found");
      expect((await bobKeys.READ_LIBRARY.get(`${V2}/library/agents`)).body).toEqual({
        items: [],
        next_cursor: null,
        total_count: 0,
      });

      // Writes ask for WRITE_GRAPH (AutoGPT's WRITE_LIBRARY is not a core scope).
      expectError(
        await keys.READ_LIBRARY.request("PATCH", `${V2}/library/agents/${agent.id}`, { is_favorite: true }),
        403,
        "forbidden",
      );
      const patched = await keys.WRITE_GRAPH.request("PATCH", `${V2}/library/agents/${agent.id}`, {
        is_favorite: true,
      });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body.is_favorite).toBe(true);
      const favorites = await keys.READ_LIBRARY.get(`${V2}/library/agents?favorite=true`);
      expect(favorites.body.items.map((a: any) => a.id)).toEqual([agent.id]);
      expectError(
        await keys.WRITE_GRAPH.request("PATCH", `${V2}/library/agents/${agent.id}`, { folder_id: "nope" }),
        404,
        "not_found",
      );
      expectError(
        await keys.WRITE_GRAPH.request("PATCH", `${V2}/library/agents/${agent.id}`, { graph_version: 99 }),
        404,
        "not_found",
      );
      // AutoGPT's LibraryAgentUpdateRequest ignores unknown fields (pydantic's default): a no-op update.
      const ignored = await keys.WRITE_GRAPH.request("PATCH", `${V2}/library/agents/${agent.id}`, { bogus: 1 });
      expect(ignored.status).toBe(200);
      expect(ignored.body).not.toHaveProperty("bogus");
      expectError(
        await bobKeys.WRITE_GRAPH.request("PATCH", `${V2}/library/agents/${agent.id}`, { is_favorite: false }),
        404,
        "not_found",
      );

      const fork = await keys.WRITE_GRAPH.post(`${V2}/library/agents/${agent.id}/fork`);
      expect(fork.status, JSON.stringify(fork.body)).toBe(201);
      expect(fork.body.graph_id).not.toBe(graph.id);
      expect(fork.body.id).not.toBe(agent.id);
      expect(fork.body.name).toBe("Calculator agent (copy)");
      const forkedGraph = await alice.api.get(`/api/graphs/${fork.body.graph_id}`);
      expect(forkedGraph.body).toMatchObject({ forked_from_id: graph.id, forked_from_version: graph.version });
      expectError(await bobKeys.WRITE_GRAPH.post(`${V2}/library/agents/${agent.id}/fork`), 404, "not_found");

      const removed = await keys.WRITE_GRAPH.delete(`${V2}/library/agents/${fork.body.id}`);
      expect(removed.status).toBe(204);
      expectError(await keys.READ_LIBRARY.get(`${V2}/library/agents/${fork.body.id}`), 404, "not_found");
      // A removed agent stays removed: the lazy library does not bring its graph back.
      const after = await keys.READ_LIBRARY.get(`${V2}/library/agents?limit=100`);
      expect(after.body.items.map((a: any) => a.id)).not.toContain(fork.body.id);
      expectError(await keys.WRITE_GRAPH.delete(`${V2}/library/agents/${fork.body.id}`), 404, "not_found");
      expectError(await bobKeys.WRITE_GRAPH.delete(`${V2}/library/agents/${agent.id}`), 404, "not_found");
    });

    it("follows the graph's active version until a version is pinned", async () => {
      const g = await importGraph(alice, "Versioned adder");
      const find = async () =>
        (await keys.READ_LIBRARY.get(`${V2}/library/agents?limit=100`)).body.items.find(
          (a: any) => a.graph_id === g.id,
        );
      const before = await find();
      expect(before.graph_version).toBe(g.version);
      const updated = await alice.api.put(`/api/graphs/${g.id}`, {
        ...calculator,
        id: g.id,
        name: "Versioned adder v2",
      });
      expect(updated.status).toBe(200);
      const after = await find();
      expect(after).toMatchObject({ id: before.id, graph_version: g.version + 1, name: "Versioned adder v2" });

      const pinned = await keys.WRITE_GRAPH.request("PATCH", `${V2}/library/agents/${before.id}`, {
        graph_version: g.version,
      });
      expect(pinned.status, JSON.stringify(pinned.body)).toBe(200);
      expect(pinned.body).toMatchObject({ graph_version: g.version, name: "Versioned adder" });
      expect((await find()).graph_version).toBe(g.version);
      const following = await keys.WRITE_GRAPH.request("PATCH", `${V2}/library/agents/${before.id}`, {
        auto_update_version: true,
      });
      expect(following.body.graph_version).toBe(g.version + 1);
    });

    it("lists with the same few queries for 1 item as for 50, and writes nothing when read", async () => {
      for (let i = 0; i < 3; i++) await importGraph(alice, `Counted adder ${i}`);
      // Test-only: count what the server sends to its embedded database while it answers.
      const pglite = (t.server.platform.database.db as any).$client;
      const { query, transaction } = pglite;
      const sent: string[] = [];
      let transactions = 0;
      pglite.query = function (this: unknown, text: string, ...rest: unknown[]) {
        sent.push(text);
        return query.call(this, text, ...rest);
      };
      pglite.transaction = function (this: unknown, ...args: unknown[]) {
        transactions++;
        return transaction.apply(this, args);
      };
      const count = async (api: Client, path: string, items: (body: any) => unknown[]) => {
        sent.length = 0;
        transactions = 0;
        const res = await api.get(path);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const graphQueries = sent.filter((q) => /library_agents|agent_graphs|agent_nodes/.test(q)).length;
        return { graphQueries, transactions, items: items(res.body).length };
      };
      try {
        for (const [api, path, items] of [
          [keys.READ_LIBRARY, `${V2}/library/agents?limit=`, (b: any) => b.items],
          [alice.api, "/api/graphs?page_size=", (b: any) => b],
        ] as const) {
          const cold = await count(api, `${path}50`, items);
          const one = await count(api, `${path}1`, items);
          const fifty = await count(api, `${path}50`, items);
          expect(one.items).toBe(1);
          expect(fifty.items).toBeGreaterThanOrEqual(5);
          expect(cold.graphQueries, path).toBeLessThanOrEqual(3);
          expect(fifty.graphQueries, path).toBe(one.graphQueries);
          expect([cold.transactions, one.transactions, fifty.transactions], path).toEqual([0, 0, 0]);
        }
      } finally {
        pglite.query = query;
        pglite.transaction = transaction;
      }
    });

    it("lists an agent's credential requirements (none for the calculator) with READ_INTEGRATIONS", async () => {
      const agent = (await keys.READ_LIBRARY.get(`${V2}/library/agents?limit=100`)).body.items.find(
        (a: any) => a.graph_id === graph.id,
      );
      const res = await keys.READ_INTEGRATIONS.get(`${V2}/library/agents/${agent.id}/credentials`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [], next_cursor: null, total_count: 0 });
      expectError(await keys.READ_LIBRARY.get(`${V2}/library/agents/${agent.id}/credentials`), 403, "forbidden");
      expectError(
        await bobKeys.READ_INTEGRATIONS.get(`${V2}/library/agents/${agent.id}/credentials`),
        404,
        "not_found",
      );
    });

    it("runs a library agent (202) with RUN_AGENT; unknown inputs are 422", async () => {
      const agent = (await keys.READ_LIBRARY.get(`${V2}/library/agents?limit=100`)).body.items.find(
        (a: any) => a.graph_id === graph.id,
      );
      const res = await keys.RUN_AGENT.post(`${V2}/library/agents/${agent.id}/runs`, { inputs: { Input: 8 } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toMatchObject({
        graph_id: graph.id,
        graph_version: graph.version,
        status: "QUEUED",
        inputs: { Input: 8 },
        preset_id: null,
        is_shared: false,
        share_token: null,
        cost_cents: 0,
        organization_id: null,
      });
      const done = await waitForRun(alice, res.body.id);
      expect(done.outputs).toEqual({ Output: [42] });

      expectError(
        await keys.RUN_AGENT.post(`${V2}/library/agents/${agent.id}/runs`, { inputs: { Input: 1, Nope: 2 } }),
        422,
        "validation_error",
      );
      expectError(
        await keys.RUN_AGENT.post(`${V2}/library/agents/${agent.id}/runs`, { inputs: {} }),
        422,
        "validation_error",
      );
      expectError(await keys.READ_LIBRARY.post(`${V2}/library/agents/${agent.id}/runs`, {}), 403, "forbidden");
      expectError(
        await bobKeys.RUN_AGENT.post(`${V2}/library/agents/${agent.id}/runs`, { inputs: { Input: 1 } }),
        404,
        "not_found",
      );
    });
  });

  it("fills the library of graphs stored before it was maintained on write, once, at start", async () => {
    const first = await startTestServer({ bodyLimit: BODY_LIMIT });
    let second: TestServer | undefined;
    try {
      const carol = await signUp(first.url);
      const res = await carol.api.post("/api/graphs", { graph: { ...calculator, name: "Old agent" } });
      expect(res.status).toBe(200);
      const readerKey = await createKey(first.url, carol.api, ["READ_LIBRARY"]);
      const reader = readerKey.api;
      // As a database written by an earlier release: the graph is there, its library row is not.
      await first.server.platform.database.db.delete(libraryAgents);
      expect((await reader.get(`${V2}/library/agents`)).body.total_count).toBe(0);
      await first.server.close();
      second = await startTestServer({ bodyLimit: BODY_LIMIT, dataDir: first.dataDir });
      const again = client(second.url, { "x-api-key": readerKey.key });
      const listed = await again.get(`${V2}/library/agents`);
      expect(listed.body.items.map((a: any) => [a.graph_id, a.name])).toEqual([[res.body.id, "Old agent"]]);
    } finally {
      await second?.close();
      fs.rmSync(first.dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  describe("presets", () => {
    it("creates, lists, reads, updates, runs (idempotently) and deletes a preset", async () => {
      const body = { graph_id: graph.id, graph_version: graph.version, name: "Eight", inputs: { Input: 8 } };
      expectError(await keys.READ_LIBRARY.post(`${V2}/library/presets`, body), 403, "forbidden");
      expectError(await bobKeys.WRITE_GRAPH.post(`${V2}/library/presets`, body), 404, "not_found");
      expectError(await keys.WRITE_GRAPH.post(`${V2}/library/presets`, { name: "x" }), 422, "validation_error");
      const created = await keys.WRITE_GRAPH.post(`${V2}/library/presets`, body);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const preset = created.body;
      expect(preset).toMatchObject({
        graph_id: graph.id,
        graph_version: graph.version,
        name: "Eight",
        description: "",
        is_active: true,
        inputs: { Input: 8 },
        webhook_id: null,
        organization_id: null,
        team_id: null,
      });

      const list = await keys.READ_LIBRARY.get(`${V2}/library/presets`);
      expect(list.body).toEqual({ items: [preset], next_cursor: null, total_count: 1 });
      expect((await keys.READ_LIBRARY.get(`${V2}/library/presets?graph_id=other`)).body.total_count).toBe(0);
      expect((await keys.READ_LIBRARY.get(`${V2}/library/presets/${preset.id}`)).body).toEqual(preset);
      expect((await bobKeys.READ_LIBRARY.get(`${V2}/library/presets`)).body.total_count).toBe(0);
      expectError(await bobKeys.READ_LIBRARY.get(`${V2}/library/presets/${preset.id}`), 404, "not_found");

      const patched = await keys.WRITE_GRAPH.request("PATCH", `${V2}/library/presets/${preset.id}`, {
        name: "Eight (saved)",
        description: "adds 34 to 8",
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ name: "Eight (saved)", description: "adds 34 to 8", inputs: { Input: 8 } });
      expectError(
        await bobKeys.WRITE_GRAPH.request("PATCH", `${V2}/library/presets/${preset.id}`, { name: "mine" }),
        404,
        "not_found",
      );

      // The run's inputs are the preset's; a repeated Idempotency-Key returns the same run.
      const headers = { "idempotency-key": `preset-run-${preset.id}` };
      const run = await keys.RUN_AGENT.post(`${V2}/library/presets/${preset.id}/runs`, {}, headers);
      expect(run.status, JSON.stringify(run.body)).toBe(202);
      expect(run.body).toMatchObject({ inputs: { Input: 8 }, preset_id: preset.id, graph_id: graph.id });
      const again = await keys.RUN_AGENT.post(`${V2}/library/presets/${preset.id}/runs`, {}, headers);
      expect(again.status).toBe(202);
      expect(again.body.id).toBe(run.body.id);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expectError(
        await keys.RUN_AGENT.post(`${V2}/library/presets/${preset.id}/runs`, { inputs: { Input: 1 } }, headers),
        422,
        "validation_error",
      );
      const done = await waitForRun(alice, run.body.id);
      expect(done).toMatchObject({ status: "COMPLETED", preset_id: preset.id, outputs: { Output: [42] } });

      // Request inputs override the preset's; an empty body is allowed.
      const override = await keys.RUN_AGENT.post(`${V2}/library/presets/${preset.id}/runs`, { inputs: { Input: 1 } });
      expect(override.body.inputs).toEqual({ Input: 1 });
      expect((await waitForRun(alice, override.body.id)).outputs).toEqual({ Output: [35] });
      const bare = await keys.RUN_AGENT.request("POST", `${V2}/library/presets/${preset.id}/runs`);
      expect(bare.status, JSON.stringify(bare.body)).toBe(202);
      expect(bare.body.inputs).toEqual({ Input: 8 });
      await waitForRun(alice, bare.body.id);

      expectError(await bobKeys.RUN_AGENT.post(`${V2}/library/presets/${preset.id}/runs`, {}), 404, "not_found");
      expectError(await keys.READ_LIBRARY.post(`${V2}/library/presets/${preset.id}/runs`, {}), 403, "forbidden");

      expectError(await bobKeys.WRITE_GRAPH.delete(`${V2}/library/presets/${preset.id}`), 404, "not_found");
      expect((await keys.WRITE_GRAPH.delete(`${V2}/library/presets/${preset.id}`)).status).toBe(204);
      expectError(await keys.READ_LIBRARY.get(`${V2}/library/presets/${preset.id}`), 404, "not_found");
      expectError(await keys.RUN_AGENT.post(`${V2}/library/presets/${preset.id}/runs`, {}), 404, "not_found");
      expect((await keys.READ_LIBRARY.get(`${V2}/library/presets`)).body.total_count).toBe(0);
    });
  });

  describe("credits", () => {
    it("answers the balance and the history from the ledger, newest first, keyset-paginated", async () => {
      expect((await keys.READ_CREDITS.get(`${V2}/credits`)).body).toEqual({ balance_cents: 0 });
      const db = t.server.platform.database.db;
      const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
      await db.insert(creditTransactions).values([
        {
          transactionKey: "grant-1",
          userId: alice.user.id,
          amount: 500,
          type: "GRANT",
          createdAt: at(1),
          metadata: { reason: "Welcome" },
        },
        { transactionKey: "topup-1", userId: alice.user.id, amount: 250, type: "TOP_UP", createdAt: at(2) },
        {
          transactionKey: "usage-1",
          userId: alice.user.id,
          amount: -40,
          type: "USAGE",
          createdAt: at(3),
          metadata: { graph_id: graph.id, graph_exec_id: "run-1" },
        },
        {
          transactionKey: "void-1",
          userId: alice.user.id,
          amount: -1000,
          type: "USAGE",
          createdAt: at(4),
          isActive: false,
        },
        { transactionKey: "grant-b", userId: bob.user.id, amount: 7, type: "GRANT", createdAt: at(1) },
      ]);

      expect((await keys.READ_CREDITS.get(`${V2}/credits`)).body).toEqual({ balance_cents: 710 });
      expect((await bobKeys.READ_CREDITS.get(`${V2}/credits`)).body).toEqual({ balance_cents: 7 });
      expectError(await keys.READ_LIBRARY.get(`${V2}/credits`), 403, "forbidden");

      const first = await keys.READ_CREDITS.get(`${V2}/credits/transactions?limit=2`);
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect(first.body.total_count).toBeNull();
      expect(first.body.items).toEqual([
        {
          transaction_key: "usage-1",
          amount_cents: -40,
          type: "USAGE",
          transaction_time: at(3).toISOString(),
          description: null,
          origin: { graph_id: graph.id, run_id: "run-1" },
        },
        {
          transaction_key: "topup-1",
          amount_cents: 250,
          type: "TOP_UP",
          transaction_time: at(2).toISOString(),
          description: null,
          origin: null,
        },
      ]);
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const second = await keys.READ_CREDITS.get(`${V2}/credits/transactions?limit=2&cursor=${first.body.next_cursor}`);
      expect(second.body.items.map((i: any) => i.transaction_key)).toEqual(["grant-1"]);
      expect(second.body.items[0].description).toBe("Welcome");
      expect(second.body.next_cursor).toBeNull();

      const grants = await keys.READ_CREDITS.get(`${V2}/credits/transactions?transaction_type=GRANT`);
      expect(grants.body.items.map((i: any) => i.transaction_key)).toEqual(["grant-1"]);
      expect(
        (await bobKeys.READ_CREDITS.get(`${V2}/credits/transactions`)).body.items.map((i: any) => i.transaction_key),
      ).toEqual(["grant-b"]);
      expectError(await keys.READ_CREDITS.get(`${V2}/credits/transactions?cursor=bogus`), 400, "bad_request");
      expectError(
        await keys.READ_CREDITS.get(`${V2}/credits/transactions?transaction_type=NOPE`),
        422,
        "validation_error",
      );
      expectError(await keys.READ_LIBRARY.get(`${V2}/credits/transactions`), 403, "forbidden");
    });
  });

  describe("integrations and marketplace", () => {
    it("lists the (empty) integration credentials with READ_INTEGRATIONS", async () => {
      const res = await keys.READ_INTEGRATIONS.get(`${V2}/integrations/credentials?provider=github`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [], next_cursor: null, total_count: 0 });
      expectError(await keys.READ_LIBRARY.get(`${V2}/integrations/credentials`), 403, "forbidden");
    });

    it("serves empty marketplace pages and 404 for named items, with READ_STORE", async () => {
      const empty = { items: [], next_cursor: null, total_count: 0 };
      for (const path of ["/marketplace/agents?featured=true", "/marketplace/creators", "/marketplace/submissions"]) {
        const res = await keys.READ_STORE.get(`${V2}${path}`);
        expect(res.status, path).toBe(200);
        expect(res.body).toEqual(empty);
      }
      for (const path of [
        "/marketplace/agents/autogpt/calculator",
        "/marketplace/agents/by-version/some-version",
        "/marketplace/creators/autogpt",
        "/marketplace/profile",
      ]) {
        expectError(await keys.READ_STORE.get(`${V2}${path}`), 404, "not_found");
      }
      expectError(await keys.READ_LIBRARY.get(`${V2}/marketplace/agents`), 403, "forbidden");
      expectError(await keys.READ_STORE.get(`${V2}/marketplace/agents?sorted_by=nope`), 422, "validation_error");
    });
  });

  describe("search", () => {
    it("finds a block by name, and the caller's graph by name when library agents are asked for", async () => {
      const blocks = await keys.READ_STORE.get(`${V2}/search?query=calculator`);
      expect(blocks.status, JSON.stringify(blocks.body)).toBe(200);
      const hit = blocks.body.items.find((r: any) => r.content_id === CALCULATOR_BLOCK);
      expect(hit).toMatchObject({ content_type: "BLOCK", metadata: { name: "Calculator Block" }, updated_at: null });
      expect(hit.searchable_text).toContain("Calculator Block");
      expect(hit.combined_score).toBeGreaterThan(0);
      // Public types by default: the caller's own agents are not among them.
      expect(blocks.body.items.every((r: any) => r.content_type === "BLOCK")).toBe(true);

      const agents = await keys.SEARCH_ALL.get(`${V2}/search?query=Calculator%20agent&content_types=LIBRARY_AGENT`);
      expect(agents.status, JSON.stringify(agents.body)).toBe(200);
      const library = (await keys.READ_LIBRARY.get(`${V2}/library/agents?limit=100`)).body.items;
      const mine = library.find((a: any) => a.graph_id === graph.id);
      expect(agents.body.items[0]).toMatchObject({
        content_type: "LIBRARY_AGENT",
        content_id: mine.id,
        metadata: { name: "Calculator agent" },
        combined_score: 1,
      });
      const both = await keys.SEARCH_ALL.get(
        `${V2}/search?query=calculator&content_types=LIBRARY_AGENT&content_types=BLOCK`,
      );
      const types = new Set(both.body.items.map((r: any) => r.content_type));
      expect(types).toEqual(new Set(["LIBRARY_AGENT", "BLOCK"]));
      expect(both.body.total_count).toBe(both.body.items.length);

      // Searching private content costs its own scope; another user's agents are never found.
      expectError(
        await keys.READ_STORE.get(`${V2}/search?query=calculator&content_types=LIBRARY_AGENT`),
        403,
        "forbidden",
      );
      const bobs = await bobKeys.SEARCH_ALL.get(`${V2}/search?query=calculator&content_types=LIBRARY_AGENT`);
      expect(bobs.body).toEqual({ items: [], next_cursor: null, total_count: 0 });
      expect((await keys.READ_STORE.get(`${V2}/search?query=zzqqxx-nothing`)).body.total_count).toBe(0);
      expectError(await keys.READ_STORE.get(`${V2}/search`), 422, "validation_error");
      expectError(await keys.READ_LIBRARY.get(`${V2}/search?query=calculator`), 403, "forbidden");
    });
  });

  describe("files", () => {
    const upload = (
      api: { key: string },
      name: string,
      content: Buffer | string,
      extra: Record<string, string> = {},
      query = "",
    ) => {
      const form = new FormData();
      const bytes = typeof content === "string" ? content : new Uint8Array(content);
      form.append("file", new Blob([bytes], { type: "text/plain" }), name);
      return fetch(`${t.url}${V2}/files/upload${query}`, {
        method: "POST",
        headers: { "x-api-key": api.key, ...extra },
        body: form,
      });
    };
    let key: string;
    let bobKey: string;

    beforeAll(async () => {
      key = (await createKey(t.url, alice.api, ["UPLOAD_FILES"])).key;
      bobKey = (await createKey(t.url, bob.api, ["UPLOAD_FILES"])).key;
    });

    it("uploads, lists, reads, downloads (same bytes, same checksum) and deletes a file; others' are 404", async () => {
      const content = Buffer.from("hello, agentry\n".repeat(1000));
      const sha256 = createHash("sha256").update(content).digest("hex");
      const res = await upload({ key }, "notes/../hello.txt", content);
      const file = await res.json();
      expect(res.status, JSON.stringify(file)).toBe(201);
      expect(file).toMatchObject({
        name: "hello.txt",
        path: "/hello.txt",
        mime_type: "text/plain",
        size_bytes: content.length,
        file_uri: `workspace://${file.id}#text/plain`,
      });
      expect(fs.existsSync(`${t.dataDir}/files/${alice.user.id}/${file.id}`)).toBe(true);

      const list = await keys.UPLOAD_FILES.get(`${V2}/files`);
      const { file_uri: _uri, ...info } = file;
      expect(list.body).toEqual({ items: [info], next_cursor: null, total_count: 1 });
      expect((await keys.UPLOAD_FILES.get(`${V2}/files/${file.id}`)).body).toEqual(info);

      const download = await fetch(`${t.url}${V2}/files/${file.id}/download`, { headers: { "x-api-key": key } });
      expect(download.status).toBe(200);
      expect(download.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(download.headers.get("content-disposition")).toBe('attachment; filename="hello.txt"');
      expect(download.headers.get("etag")).toBe(`"${sha256}"`);
      const bytes = Buffer.from(await download.arrayBuffer());
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(sha256);

      // Another user's file does not exist for them.
      const asBob = { "x-api-key": bobKey };
      expect((await fetch(`${t.url}${V2}/files/${file.id}`, { headers: asBob })).status).toBe(404);
      expect((await fetch(`${t.url}${V2}/files/${file.id}/download`, { headers: asBob })).status).toBe(404);
      expect((await fetch(`${t.url}${V2}/files/${file.id}`, { method: "DELETE", headers: asBob })).status).toBe(404);
      expect((await bobKeys.UPLOAD_FILES.get(`${V2}/files`)).body.total_count).toBe(0);
      expectError(await keys.READ_LIBRARY.get(`${V2}/files`), 403, "forbidden");

      // A second file of the same name is a conflict unless it overwrites.
      const conflict = await upload({ key }, "hello.txt", "other");
      expect(conflict.status).toBe(409);
      expect((await conflict.json()).error.code).toBe("conflict");
      const replaced = await upload({ key }, "hello.txt", "replaced", {}, "?overwrite=true");
      const newer = await replaced.json();
      expect(replaced.status, JSON.stringify(newer)).toBe(201);
      expect(newer.size_bytes).toBe(8);
      expectError(await keys.UPLOAD_FILES.get(`${V2}/files/${file.id}`), 404, "not_found");
      expect(fs.existsSync(`${t.dataDir}/files/${alice.user.id}/${file.id}`)).toBe(false);

      expect((await keys.UPLOAD_FILES.delete(`${V2}/files/${newer.id}`)).status).toBe(204);
      expectError(await keys.UPLOAD_FILES.get(`${V2}/files/${newer.id}`), 404, "not_found");
      expectError(await keys.UPLOAD_FILES.get(`${V2}/files/${newer.id}/download`), 404, "not_found");
      expectError(await keys.UPLOAD_FILES.delete(`${V2}/files/${newer.id}`), 404, "not_found");
      expect(fs.existsSync(`${t.dataDir}/files/${alice.user.id}/${newer.id}`)).toBe(false);
    });

    it("replays an upload sent again with the same Idempotency-Key, and refuses the key with other content", async () => {
      const headers = { "idempotency-key": "upload-once" };
      const first = await upload({ key }, "once.txt", "same bytes", headers);
      const body = await first.json();
      expect(first.status, JSON.stringify(body)).toBe(201);
      const again = await upload({ key }, "once.txt", "same bytes", headers);
      expect(again.status).toBe(201);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect((await again.json()).id).toBe(body.id);
      // Neither the replay nor the refused request leaves bytes behind, already when its answer arrives.
      const stored = () => fs.readdirSync(`${t.dataDir}/files/${alice.user.id}`);
      expect(stored()).toEqual([body.id]);
      const other = await upload({ key }, "once.txt", "other bytes", headers);
      expect(other.status).toBe(422);
      expect((await other.json()).error.code).toBe("validation_error");
      expect(stored()).toEqual([body.id]);
      const files = (await keys.UPLOAD_FILES.get(`${V2}/files`)).body.items.filter((f: any) => f.name === "once.txt");
      expect(files).toHaveLength(1);
      expect((await keys.UPLOAD_FILES.delete(`${V2}/files/${body.id}`)).status).toBe(204);
    });

    it("refuses an oversize file (413), a non-multipart body (415), a missing file field (422) and a malformed body (400)", async () => {
      const big = await upload({ key }, "big.bin", Buffer.alloc(UPLOAD_LIMIT + 1024, 7));
      expect(big.status).toBe(413);
      expect((await big.json()).error.code).toBe("payload_too_large");
      const exact = await upload({ key }, "exact.bin", Buffer.alloc(UPLOAD_LIMIT, 7));
      expect(exact.status).toBe(201);
      const exactFile = await exact.json();
      expect(exactFile.size_bytes).toBe(UPLOAD_LIMIT);
      expect((await keys.UPLOAD_FILES.delete(`${V2}/files/${exactFile.id}`)).status).toBe(204);

      expectError(
        await keys.UPLOAD_FILES.post(`${V2}/files/upload`, { file: "not a file" }),
        415,
        "unsupported_media_type",
      );
      const form = new FormData();
      form.append("document", new Blob(["x"]), "x.txt");
      const wrongField = await fetch(`${t.url}${V2}/files/upload`, {
        method: "POST",
        headers: { "x-api-key": key },
        body: form,
      });
      expect(wrongField.status).toBe(422);
      expect((await wrongField.json()).error.code).toBe("validation_error");
      const malformed = await fetch(`${t.url}${V2}/files/upload`, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "multipart/form-data; boundary=xyz" },
        body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\ncut short',
      });
      expect(malformed.status).toBe(400);
      expect((await malformed.json()).error.code).toBe("bad_request");
      expect((await keys.UPLOAD_FILES.get(`${V2}/files`)).body.total_count).toBe(0);
      expect(fs.readdirSync(`${t.dataDir}/files/${alice.user.id}`)).toEqual([]);
      const denied = await upload({ key: (await createKey(t.url, alice.api, ["READ_LIBRARY"])).key }, "x.txt", "x");
      expect(denied.status).toBe(403);
    });
  });

  it("documents every route of this part in the v2 OpenAPI document", async () => {
    const doc = (await keys.IDENTITY.get(`${V2}/openapi.json`)).body;
    for (const [path, method] of [
      ["/library/agents", "get"],
      ["/library/agents/{agent_id}", "patch"],
      ["/library/agents/{agent_id}/runs", "post"],
      ["/library/presets", "post"],
      ["/library/presets/{preset_id}/runs", "post"],
      ["/credits", "get"],
      ["/credits/transactions", "get"],
      ["/integrations/credentials", "get"],
      ["/marketplace/agents", "get"],
      ["/search", "get"],
      ["/files/upload", "post"],
      ["/files/{file_id}/download", "get"],
    ]) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(doc.paths["/files/upload"].post.requestBody.content["multipart/form-data"]).toBeDefined();
  });
});
