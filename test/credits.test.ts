// AutoGPT's /api/credits routes over the ledger, and the engine charging each node execution before it runs: grants,
// usage visible in the history, a run the balance cannot pay ends FAILED, parallel runs never overdraw, and with
// credits off runs are free.
import { Type } from "@sinclair/typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inputs, outputs } from "../src/blocks/fields.js";
import { registerBlock } from "../src/blocks/index.js";
import { defineBlock } from "../src/blocks/sdk.js";
import { openDatabase } from "../src/infra/db/index.js";
import { addTransaction, getBalance } from "../src/infra/db/repos/credits.js";
import { insertUser } from "../src/infra/db/repos/users.js";
import { fitsIn } from "./helpers/autogpt-schemas.js";
import { client, createKey, signUp } from "./helpers/client.js";
import { createThrowawayDatabase } from "./helpers/postgres.js";
import { create, ended, execute, graph, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const expectFits = fitsIn(["2025-10"]);

/** Costs 5 credits a run (test only). */
const priced = defineBlock({
  id: "5c1b3e7a-9d2f-4a6b-8e0c-2f4d6a8b0c1e",
  name: "CreditsTestBlock",
  description: "Costs 5 credits a run (test only).",
  categories: ["BASIC"],
  input: inputs({}),
  output: outputs({ done: Type.Boolean() }),
  costs: [{ cost_amount: 5, cost_filter: {}, cost_type: "run" }],
  async *run() {
    yield ["done", true];
  },
});
registerBlock(priced);

const pricedGraph = () => graph("priced", [{ id: "p", block_id: priced.id }], []);
const GRANT = 3;

type User = Awaited<ReturnType<typeof signUp>>;

describe("credits (enabled)", () => {
  let t: TestServer;
  let admin: User;
  let alice: User;
  let agent: { id: string; version: number };

  beforeAll(async () => {
    t = await startTestServer({ credits: { enabled: true, signupGrant: GRANT } });
    admin = await signUp(t.url, undefined, { setup_token: t.server.platform.auth.setupToken });
    alice = await signUp(t.url);
    agent = await create(alice.api, pricedGraph());
  }, 60_000);
  afterAll(async () => t?.close());

  const grant = async (user: User, amount: number, comments = "test grant") => {
    const res = await admin.api.post("/api/credits/admin/add_credits", { user_id: user.user.id, amount, comments });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectFits(res.body, "/api/credits/admin/add_credits", "post", 200);
    return res.body as { new_balance: number; transaction_key: string };
  };
  const balance = async (user: User) => {
    const res = await user.api.get("/api/credits");
    expect(res.status).toBe(200);
    expectFits(res.body, "/api/credits", "get", 200);
    return res.body.credits as number;
  };

  it("starts a user with the configured grant; an admin grant adds to it and both are in the history", async () => {
    expect(await balance(alice)).toBe(GRANT);
    const granted = await grant(alice, 20, "welcome");
    expect(granted.new_balance).toBe(GRANT + 20);
    expect(await balance(alice)).toBe(GRANT + 20);

    const history = await alice.api.get("/api/credits/transactions?transaction_type=");
    expect(history.status).toBe(200);
    expectFits(history.body, "/api/credits/transactions", "get", 200);
    expect(history.body.next_transaction_time).toBeNull();
    expect(history.body.transactions.map((l: any) => [l.transaction_type, l.amount])).toEqual([
      ["GRANT", 20],
      ["GRANT", GRANT],
    ]);
    expect(history.body.transactions[0]).toMatchObject({
      transaction_key: granted.transaction_key,
      running_balance: GRANT + 20,
      current_balance: GRANT + 20,
      user_id: alice.user.id,
    });

    // Every user's history, for admins, at AutoGPT's path and at the seed's.
    for (const p of ["/api/credits/admin/users_history", "/api/admin/credits/users_history"]) {
      const all = await admin.api.get(`${p}?search=${encodeURIComponent(alice.email)}&transaction_filter=GRANT`);
      expect(all.status, JSON.stringify(all.body)).toBe(200);
      expectFits(all.body, "/api/credits/admin/users_history", "get", 200);
      expect(all.body.pagination).toEqual({ total_items: 2, total_pages: 1, current_page: 1, page_size: 20 });
      expect(all.body.history[0]).toMatchObject({
        transaction_key: granted.transaction_key,
        amount: 20,
        user_email: alice.email,
        admin_email: admin.email,
        reason: "welcome",
        current_balance: GRANT + 20,
      });
    }
  });

  it("refuses the admin routes to non-admins and to callers without a session", async () => {
    for (const prefix of ["/api/credits/admin", "/api/admin/credits"]) {
      const add = await alice.api.post(`${prefix}/add_credits`, { user_id: alice.user.id, amount: 1000, comments: "" });
      expect(add.status).toBe(403);
      expect(add.body.error.code).toBe("FORBIDDEN");
      expect((await alice.api.get(`${prefix}/users_history`)).status).toBe(403);
      expect((await client(t.url).get(`${prefix}/users_history`)).status).toBe(401);
    }
    expect((await client(t.url).get("/api/credits")).status).toBe(401);
    expect((await alice.api.get("/api/credits/transactions?transaction_type=BONUS")).status).toBe(422);
    const unknown = await admin.api.post("/api/credits/admin/add_credits", {
      user_id: "nobody",
      amount: 5,
      comments: "",
    });
    expect(unknown.status).toBe(404);
  });

  it("charges a run of a priced block and shows the usage as one line per run", async () => {
    const before = await balance(alice);
    const run = await waitFor(alice.api, (await execute(alice.api, agent, {})).id, ended);
    expect(run.status, JSON.stringify(run.stats)).toBe("COMPLETED");
    expect(await balance(alice)).toBe(before - 5);

    const history = await alice.api.get("/api/credits/transactions?transaction_type=USAGE");
    expectFits(history.body, "/api/credits/transactions", "get", 200);
    const line = history.body.transactions.find((l: any) => l.usage_execution_id === run.id);
    expect(line).toMatchObject({
      transaction_type: "USAGE",
      amount: -5,
      usage_graph_id: agent.id,
      usage_node_count: 1,
      description: `Graph #${agent.id.slice(0, 8)} Execution`,
      running_balance: before - 5,
    });
  });

  it("pages the history by transaction_time", async () => {
    const seen: string[] = [];
    let ceiling: string | null = null;
    for (let i = 0; i < 10; i++) {
      const query: string = ceiling ? `&transaction_time=${encodeURIComponent(ceiling)}` : "";
      const page = await alice.api.get(`/api/credits/transactions?transaction_count_limit=1${query}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expectFits(page.body, "/api/credits/transactions", "get", 200);
      seen.push(...page.body.transactions.map((l: any) => `${l.transaction_type}:${l.amount}`));
      ceiling = page.body.next_transaction_time;
      if (!ceiling) break;
    }
    expect(seen).toEqual(["USAGE:-5", "GRANT:20", `GRANT:${GRANT}`]);
  });

  it("ends a run the balance cannot pay FAILED with AutoGPT's message, and takes nothing", async () => {
    const bob = await signUp(t.url);
    const bobs = await create(bob.api, pricedGraph());
    expect(await balance(bob)).toBe(GRANT);
    const run = await waitFor(bob.api, (await execute(bob.api, bobs, {})).id, ended);
    expect(run.status).toBe("FAILED");
    expect(run.stats.error).toBe("Insufficient balance of $0.03, where this will cost $0.05");
    expect(run.node_executions[0].status).toBe("FAILED");
    expect(run.node_executions[0].output_data.error[0]).toContain("Insufficient balance");
    expect(await balance(bob)).toBe(GRANT);
    const usage = await bob.api.get("/api/credits/transactions?transaction_type=USAGE");
    expect(usage.body.transactions).toEqual([]);
  });

  it("refuses to start a run with 402 once the balance is spent, as AutoGPT does, and starts it after a grant", async () => {
    const carol = await signUp(t.url);
    const hers = await create(carol.api, pricedGraph());
    expect(await balance(carol)).toBe(GRANT);
    await grant(carol, -GRANT, "spent");
    expect(await balance(carol)).toBe(0);
    const refused = await carol.api.post(`/api/graphs/${hers.id}/execute/${hers.version}`, { inputs: {} });
    expect(refused.status).toBe(402);
    expect(refused.body.error).toMatchObject({ code: "INSUFFICIENT_BALANCE" });
    expect(refused.body.error.message).toContain("Insufficient balance to execute the agent");
    const runs = await carol.api.get("/api/executions");
    expect(runs.body).toEqual([]);
    await grant(carol, 100);
    const run = await waitFor(carol.api, (await execute(carol.api, hers, {})).id, ended);
    expect(run.status).toBe("COMPLETED");
  });

  it("never overdraws when many runs of one user are charged in parallel", async () => {
    const carol = await signUp(t.url);
    const carols = await create(carol.api, pricedGraph());
    await grant(carol, 20);
    // 23 credits pay for 4 runs of 5; the other 6 of 10 must fail, whatever the interleaving.
    const started = await Promise.all(Array.from({ length: 10 }, () => execute(carol.api, carols, {})));
    const runs = await Promise.all(started.map((r) => waitFor(carol.api, r.id, ended, 60_000)));
    const statuses = runs.map((r) => r.status);
    expect(statuses.filter((s) => s === "COMPLETED")).toHaveLength(4);
    expect(statuses.filter((s) => s === "FAILED")).toHaveLength(6);
    expect(await balance(carol)).toBe(3);
    const usage = await carol.api.get("/api/credits/transactions?transaction_type=USAGE");
    expect(usage.body.transactions.map((l: any) => l.amount)).toEqual([-5, -5, -5, -5]);
    expect(Math.min(...usage.body.transactions.map((l: any) => l.running_balance))).toBeGreaterThanOrEqual(0);
  });

  it("answers top-ups and payment-method management with a clear error when no payment provider is set", async () => {
    const small = await alice.api.post("/api/credits", { credit_amount: 10 });
    expect(small.status).toBe(400);
    expect(small.body.detail).toContain("at least 500 credits");
    const topUp = await alice.api.post("/api/credits", { credit_amount: 500 });
    expect(topUp.status).toBe(501);
    expect(topUp.body.error).toMatchObject({ code: "NOT_IMPLEMENTED" });
    expect(topUp.body.error.message).toContain("payment provider");
    expect((await alice.api.get("/api/credits/manage")).status).toBe(501);
    const fulfil = await alice.api.request("PATCH", "/api/credits");
    expect(fulfil.status).toBe(200);
    expect((await alice.api.post("/api/credits", { credit_amount: "lots" })).status).toBe(422);
    const webhook = await client(t.url).post("/api/credits/stripe_webhook", { type: "checkout.session.completed" });
    expect(webhook.status).toBe(501);
  });

  it("lets an API key with READ_CREDITS read the balance, and nothing else move money", async () => {
    const key = await createKey(t.url, alice.api, ["READ_CREDITS"]);
    const byKey = client(t.url, { "x-api-key": key.key });
    const read = await byKey.get("/api/credits");
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.credits).toBe(await balance(alice));
    expect((await byKey.get("/api/credits/transactions")).status).toBe(200);
    expect((await byKey.post("/api/credits", { credit_amount: 500 })).status).toBe(403);
    expect((await byKey.post("/api/credits/auto-top-up", { amount: 0, threshold: 0 })).status).toBe(403);
    const noScope = await createKey(t.url, alice.api, ["READ_GRAPH"]);
    const other = client(t.url, { "x-api-key": noScope.key });
    expect((await other.get("/api/credits")).status).toBe(403);
  });

  it("keeps auto top-up settings with AutoGPT's checks", async () => {
    const got = await alice.api.get("/api/credits/auto-top-up");
    expect(got.status).toBe(200);
    expectFits(got.body, "/api/credits/auto-top-up", "get", 200);
    expect(got.body).toEqual({ amount: 0, threshold: 0 });
    const off = await alice.api.post("/api/credits/auto-top-up", { amount: 0, threshold: 100 });
    expect(off.status).toBe(200);
    expectFits(off.body, "/api/credits/auto-top-up", "post", 200);
    expect((await alice.api.get("/api/credits/auto-top-up")).body).toEqual({ amount: 0, threshold: 100 });
    const tooSmall = await alice.api.post("/api/credits/auto-top-up", { amount: 100, threshold: 0 });
    expect(tooSmall.status).toBe(422);
    expect(tooSmall.body.detail).toContain("greater than or equal to 500");
    const belowThreshold = await alice.api.post("/api/credits/auto-top-up", { amount: 600, threshold: 700 });
    expect(belowThreshold.status).toBe(422);
    expect((await alice.api.post("/api/credits/auto-top-up", { amount: 1000, threshold: 500 })).status).toBe(501);
  });

  it("records a refund request for a top-up, once, and lists it", async () => {
    const history = await alice.api.get("/api/credits/transactions?transaction_type=GRANT");
    const grantKey = history.body.transactions[0].transaction_key;
    const notTopUp = await alice.api.post(`/api/credits/${grantKey}/refund`, { reason: "no" });
    expect(notTopUp.status).toBe(404);
    // A top-up as a payment provider would have written it.
    const topUp = await addTransaction(t.server.platform.database.db, {
      userId: alice.user.id,
      amount: 500,
      type: "TOP_UP",
      key: "pi_test_1",
    });
    expect(topUp?.ok).toBe(true);
    const refund = await alice.api.post("/api/credits/pi_test_1/refund", { reason: "changed my mind" });
    expect(refund.status, JSON.stringify(refund.body)).toBe(200);
    expectFits(refund.body, "/api/credits/{transaction_key}/refund", "post", 200);
    expect(refund.body).toBe(0);
    expect((await alice.api.post("/api/credits/pi_test_1/refund", { reason: "again" })).status).toBe(400);
    const listed = await alice.api.get("/api/credits/refunds");
    expectFits(listed.body, "/api/credits/refunds", "get", 200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0]).toMatchObject({
      transaction_key: "pi_test_1",
      amount: 500,
      reason: "changed my mind",
      status: "PENDING",
    });
    // Another user neither sees it nor can refund alice's top-up.
    const other = await signUp(t.url);
    expect((await other.api.get("/api/credits/refunds")).body).toEqual([]);
    expect((await other.api.post("/api/credits/pi_test_1/refund", { reason: "mine?" })).status).toBe(404);
  });

  it("lists every /api/credits operation in the OpenAPI document", async () => {
    const doc = (await client(t.url).get("/openapi.json")).body;
    const ours = Object.keys(doc.paths).filter((p) => p.includes("credits"));
    for (const p of [
      "/api/credits",
      "/api/credits/{transaction_key}/refund",
      "/api/credits/auto-top-up",
      "/api/credits/stripe_webhook",
      "/api/credits/manage",
      "/api/credits/transactions",
      "/api/credits/refunds",
      "/api/credits/admin/add_credits",
      "/api/credits/admin/users_history",
      "/api/admin/credits/add_credits",
      "/api/admin/credits/users_history",
    ]) {
      expect(ours).toContain(p);
    }
    expect(Object.keys(doc.paths["/api/credits"]).sort()).toEqual(["get", "patch", "post"]);
  });
});

describe("credits (disabled)", () => {
  let t: TestServer;
  let user: User;

  beforeAll(async () => {
    t = await startTestServer({ credits: { enabled: false, signupGrant: 100 } });
    user = await signUp(t.url);
  }, 60_000);
  afterAll(async () => t?.close());

  it("runs priced blocks for free and answers the credit routes as AutoGPT's disabled credits do", async () => {
    const agent = await create(user.api, pricedGraph());
    const run = await waitFor(user.api, (await execute(user.api, agent, {})).id, ended);
    expect(run.status, JSON.stringify(run.stats)).toBe("COMPLETED");
    const credits = await user.api.get("/api/credits");
    expect(credits.status).toBe(200);
    expect(credits.body).toEqual({ credits: 100 }); // AutoGPT's DisabledUserCredit
    const history = await user.api.get("/api/credits/transactions");
    expectFits(history.body, "/api/credits/transactions", "get", 200);
    expect(history.body).toEqual({ transactions: [], next_transaction_time: null });
    const topUp = await user.api.post("/api/credits", { credit_amount: 500 });
    expect(topUp.status).toBe(200);
    expect(topUp.body).toEqual({ checkout_url: "" });
  });
});

describe("the ledger on PostgreSQL", () => {
  it("serializes one user's debits across connections: the balance never goes below zero", async () => {
    const pg = await createThrowawayDatabase();
    const database = await openDatabase({ databaseUrl: pg.url, dataDir: "unused" });
    try {
      const { db } = database;
      await insertUser(db, { id: "ledger-user", email: "ledger@example.com" });
      expect(await addTransaction(db, { userId: "ledger-user", amount: 23, type: "GRANT" })).toMatchObject({
        ok: true,
      });
      // Ten debits at once over the pool's connections: 23 pays for 4 of 5.
      const results = await Promise.all(
        Array.from({ length: 10 }, () => addTransaction(db, { userId: "ledger-user", amount: -5, type: "USAGE" })),
      );
      expect(results.filter((r) => r?.ok)).toHaveLength(4);
      expect(results.filter((r) => r && !r.ok && r.reason === "insufficient")).toHaveLength(6);
      expect(await getBalance(db, "ledger-user")).toBe(3);
      // Taken after the fact (a cost by run time), a debit stops at zero.
      expect(
        await addTransaction(db, { userId: "ledger-user", amount: -5, type: "USAGE", partial: true }),
      ).toMatchObject({ ok: true, amount: -3, balance: 0 });
      expect(await getBalance(db, "ledger-user")).toBe(0);
      expect(await addTransaction(db, { userId: "nobody", amount: 1, type: "GRANT" })).toBeUndefined();
    } finally {
      await database.close();
      await pg.drop();
    }
  }, 60_000);
});
