// Human in the loop through HTTP: a HumanInTheLoopBlock parks its run in REVIEW, the reviewer lists and decides it,
// and the run resumes with the (edited) data, or takes the rejected branch; nobody else sees or decides it.
import fs from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pendingHumanReviews } from "../src/infra/db/schema.js";
import { fitsIn } from "./helpers/autogpt-schemas.js";
import { client, createKey, signUp } from "./helpers/client.js";
import { create, execute, graph, INPUT, OUTPUT, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { storedRows, watch } from "./helpers/watch.js";

const HITL = "8b2a7b3c-6e9d-4a5f-8c1b-2e3f4a5b6c7d";

const expectFits = fitsIn(["v0.6.44"]);

/** input `data` -> HumanInTheLoop -> outputs `approved`, `rejected`, `message`. */
const reviewGraph = () =>
  graph(
    "needs a human",
    [
      { id: "in", block_id: INPUT, input_default: { name: "data" } },
      { id: "review", block_id: HITL, input_default: { name: "Order" } },
      { id: "ok", block_id: OUTPUT, input_default: { name: "approved" } },
      { id: "no", block_id: OUTPUT, input_default: { name: "rejected" } },
      { id: "msg", block_id: OUTPUT, input_default: { name: "message" } },
    ],
    [
      ["in", "result", "review", "data"],
      ["review", "approved_data", "ok", "value"],
      ["review", "rejected_data", "no", "value"],
      ["review", "review_message", "msg", "value"],
    ],
  );

const parked = (run: { status: string }) => run.status === "REVIEW";
const done = (run: { status: string }) => ["COMPLETED", "FAILED", "TERMINATED"].includes(run.status);

describe("human in the loop", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  let g: { id: string; version: number };

  beforeAll(async () => {
    t = await startTestServer();
    alice = await signUp(t.url);
    bob = await signUp(t.url);
    g = await create(alice.api, reviewGraph());
  });
  let restarted: TestServer | undefined;
  afterAll(async () => {
    if (!restarted) return t?.close();
    await restarted.close();
    fs.rmSync(t.dataDir, { recursive: true, force: true });
  });

  it("parks the run in REVIEW, and an approval with edited data resumes it with that data", async () => {
    const events = await watch(t, alice.tokens.access_token, g.id);
    const run = await execute(alice.api, g, { data: { item: "book", qty: 1 } });
    const waiting = await waitFor(alice.api, run.id, parked);
    expect(waiting.outputs).toEqual({});
    expect(waiting.ended_at).toBeNull();
    // The routes are documented at AutoGPT's paths and the seed's.
    const doc = (await alice.api.get("/openapi.json")).body;
    for (const p of ["/api/review/pending", "/api/review/execution/{graph_exec_id}", "/api/review/action"]) {
      expect(Object.keys(doc.paths)).toContain(p);
      expect(Object.keys(doc.paths)).toContain(p.replace("/api/review", "/api/executions/review"));
    }
    const reviewNode = waiting.node_executions.find((n: { block_id: string }) => n.block_id === HITL);
    expect(reviewNode).toMatchObject({ status: "REVIEW", output_data: {} });

    const pending = await alice.api.get("/api/review/pending");
    expect(pending.status).toBe(200);
    expectFits(pending.body, "/api/review/pending", "get", 200);
    const mine = pending.body.find((r: { graph_exec_id: string }) => r.graph_exec_id === run.id);
    expect(mine).toMatchObject({
      node_exec_id: reviewNode.node_exec_id,
      node_id: reviewNode.node_id,
      user_id: alice.user.id,
      graph_id: g.id,
      graph_version: g.version,
      payload: { item: "book", qty: 1 },
      instructions: "Review required for Order execution",
      editable: true,
      status: "WAITING",
      processed: false,
    });
    const ofRun = await alice.api.get(`/api/review/execution/${run.id}`);
    expect(ofRun.status).toBe(200);
    expectFits(ofRun.body, "/api/review/execution/{graph_exec_id}", "get", 200);
    expect(ofRun.body.map((r: { node_exec_id: string }) => r.node_exec_id)).toEqual([reviewNode.node_exec_id]);
    // The seed's path is the same handler.
    expect((await alice.api.get(`/api/executions/review/execution/${run.id}`)).body).toEqual(ofRun.body);

    const action = await alice.api.post("/api/review/action", {
      reviews: [
        {
          node_exec_id: reviewNode.node_exec_id,
          approved: true,
          reviewed_data: { item: "book", qty: 3 },
          message: "three, please",
        },
      ],
    });
    expect(action.status, JSON.stringify(action.body)).toBe(200);
    expectFits(action.body, "/api/review/action", "post", 200);
    expect(action.body).toEqual({ approved_count: 1, rejected_count: 0, failed_count: 0, error: null });

    const finished = await waitFor(alice.api, run.id, done);
    expect(finished.status, JSON.stringify(finished.stats)).toBe("COMPLETED");
    expect(finished.outputs).toEqual({ approved: [{ item: "book", qty: 3 }], message: ["three, please"] });
    const node = finished.node_executions.find((n: { block_id: string }) => n.block_id === HITL);
    expect(node).toMatchObject({
      node_exec_id: reviewNode.node_exec_id,
      status: "COMPLETED",
      output_data: { approved_data: [{ item: "book", qty: 3 }], review_message: ["three, please"] },
    });
    // One row per node execution: the parked one was finished in place.
    const { nodes } = await storedRows(t, run.id);
    expect(nodes.filter((n) => n.blockId === HITL)).toHaveLength(1);
    expect((await alice.api.get("/api/review/pending")).body).toEqual([]);

    // The client saw the run park and then end, on the event bus it watches.
    const statuses = () =>
      events.messages
        .map((m) => JSON.parse(m))
        .filter((m) => m.method === "graph_execution_event" && m.data.id === run.id)
        .map((m) => m.data.status);
    const deadline = Date.now() + 10_000;
    while (!statuses().includes("COMPLETED") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const seen = statuses();
    expect(seen).toContain("REVIEW");
    expect(seen.indexOf("REVIEW")).toBeLessThan(seen.lastIndexOf("COMPLETED"));
    events.close();
  });

  it("a rejection takes the rejected branch with AutoGPT's message", async () => {
    const run = await execute(alice.api, g, { data: "draft post" });
    const waiting = await waitFor(alice.api, run.id, parked);
    const id = waiting.node_executions.find((n: { block_id: string }) => n.block_id === HITL).node_exec_id;
    const action = await alice.api.post("/api/review/action", { reviews: [{ node_exec_id: id, approved: false }] });
    expect(action.body).toEqual({ approved_count: 0, rejected_count: 1, failed_count: 0, error: null });
    const finished = await waitFor(alice.api, run.id, done);
    expect(finished.status).toBe("COMPLETED");
    expect(finished.outputs).toEqual({ rejected: ["draft post"], message: ["Execution rejected by reviewer"] });
    // Decided once: deciding it again is refused.
    const again = await alice.api.post("/api/review/action", { reviews: [{ node_exec_id: id, approved: true }] });
    expect(again.status).toBe(409);
  });

  it("another user neither sees nor decides the review (404)", async () => {
    const run = await execute(alice.api, g, { data: 1 });
    const waiting = await waitFor(alice.api, run.id, parked);
    const id = waiting.node_executions.find((n: { block_id: string }) => n.block_id === HITL).node_exec_id;
    expect((await bob.api.get("/api/review/pending")).body).toEqual([]);
    expect((await bob.api.get(`/api/review/execution/${run.id}`)).status).toBe(404);
    const theirs = await bob.api.post("/api/review/action", { reviews: [{ node_exec_id: id, approved: true }] });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe("NOT_FOUND");
    expect((await alice.api.get(`/api/executions/${run.id}`)).body.status).toBe("REVIEW");

    // Bad requests: no reviews, a review that does not exist, edits to a non-editable review.
    expect((await alice.api.post("/api/review/action", { reviews: [] })).status).toBe(400);
    expect((await alice.api.post("/api/review/action", {})).status).toBe(422);
    expect((await alice.api.get("/api/review/pending?page_size=101")).status).toBe(422);
    expect((await alice.api.get("/api/review/pending", { authorization: "" })).status).toBe(401);

    // Stopping a parked run ends it; its review is no longer pending.
    const stopped = await alice.api.post(`/api/graphs/${g.id}/executions/${run.id}/stop`);
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    expect((await alice.api.get(`/api/executions/${run.id}`)).body.status).toBe("TERMINATED");
    const pending = (await alice.api.get("/api/review/pending")).body as Array<{ graph_exec_id: string }>;
    expect(pending.some((r) => r.graph_exec_id === run.id)).toBe(false);
    expect((await alice.api.get(`/api/review/execution/${run.id}`)).body).toEqual([]);
    // As AutoGPT's stop: the review ends rejected and the parked node ends with the run.
    const after = await alice.api.get(`/api/executions/${run.id}`);
    expect(after.body.node_executions.map((n: { status: string }) => n.status)).not.toContain("REVIEW");
    const rows = await t.server.platform.database.db
      .select()
      .from(pendingHumanReviews)
      .where(eq(pendingHumanReviews.graphExecId, run.id));
    expect(rows.map((r) => [r.status, r.reviewMessage])).toEqual([["REJECTED", "Execution stopped before review"]]);
  });

  it("refuses edits of a review that is not editable", async () => {
    const fixed = await create(
      alice.api,
      graph(
        "fixed",
        [
          { id: "in", block_id: INPUT, input_default: { name: "data" } },
          { id: "review", block_id: HITL, input_default: { name: "Fixed", editable: false } },
          { id: "ok", block_id: OUTPUT, input_default: { name: "approved" } },
        ],
        [
          ["in", "result", "review", "data"],
          ["review", "approved_data", "ok", "value"],
        ],
      ),
    );
    const run = await execute(alice.api, fixed, { data: "as is" });
    const waiting = await waitFor(alice.api, run.id, parked);
    const id = waiting.node_executions.find((n: { block_id: string }) => n.block_id === HITL).node_exec_id;
    const edited = await alice.api.post("/api/review/action", {
      reviews: [{ node_exec_id: id, approved: true, reviewed_data: "changed" }],
    });
    expect(edited.status).toBe(400);
    const ok = await alice.api.post("/api/review/action", { reviews: [{ node_exec_id: id, approved: true }] });
    expect(ok.status).toBe(200);
    const finished = await waitFor(alice.api, run.id, done);
    expect(finished.outputs.approved).toEqual(["as is"]);
  });

  it("what waited for the parked node gets its pins back: a node already holding a value resumes with it", async () => {
    const calc = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";
    const body = graph(
      "review then add",
      [
        { id: "n", block_id: INPUT, input_default: { name: "n" } },
        { id: "b", block_id: INPUT, input_default: { name: "b" } },
        { id: "review", block_id: HITL, input_default: { name: "Number" } },
        { id: "calc", block_id: calc, input_default: { operation: "Add" } },
        { id: "out", block_id: OUTPUT, input_default: { name: "sum" } },
      ],
      [
        ["n", "result", "review", "data"],
        ["review", "approved_data", "calc", "a"],
        ["b", "result", "calc", "b"],
        ["calc", "result", "out", "value"],
      ],
    );
    body.links[2] = { ...(body.links[2] as (typeof body.links)[number]), is_static: true };
    const sum = await create(alice.api, body);
    const run = await execute(alice.api, sum, { n: 2, b: 5 });
    const waiting = await waitFor(alice.api, run.id, parked);
    const calcNode = waiting.node_executions.find((n: { block_id: string }) => n.block_id === calc);
    expect(calcNode).toMatchObject({ status: "INCOMPLETE", input_data: { b: 5 } });
    const id = waiting.node_executions.find((n: { block_id: string }) => n.block_id === HITL).node_exec_id;
    await alice.api.post("/api/review/action", { reviews: [{ node_exec_id: id, approved: true, reviewed_data: 10 }] });
    const finished = await waitFor(alice.api, run.id, done);
    expect(finished.status, JSON.stringify(finished.stats)).toBe("COMPLETED");
    expect(finished.outputs).toEqual({ sum: [15] });
    const after = finished.node_executions.filter((n: { block_id: string }) => n.block_id === calc);
    expect(after).toEqual([expect.objectContaining({ node_exec_id: calcNode.node_exec_id, status: "COMPLETED" })]);
  });

  it("with the graph's safe mode off, the data passes unreviewed as AutoGPT's block does", async () => {
    const other = await create(alice.api, reviewGraph());
    const key = await createKey(t.url, alice.api, ["WRITE_GRAPH"]);
    const off = await key.api.request("PATCH", `/external-api/v2/graphs/${other.id}/settings`, {
      human_in_the_loop_safe_mode: false,
    });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    const run = await execute(alice.api, other, { data: "straight through" });
    const finished = await waitFor(alice.api, run.id, done);
    expect(finished.status).toBe("COMPLETED");
    expect(finished.outputs).toEqual({
      approved: ["straight through"],
      message: ["Auto-approved (safe mode disabled)"],
    });
    expect((await alice.api.get(`/api/review/execution/${run.id}`)).body).toEqual([]);
  });

  it("a parked run survives a restart, and resumes on the new process once approved", async () => {
    const run = await execute(alice.api, g, { data: "kept" });
    const waiting = await waitFor(alice.api, run.id, parked);
    const id = waiting.node_executions.find((n: { block_id: string }) => n.block_id === HITL).node_exec_id;
    await t.server.close();
    // The same data directory: the new process's sweeper leaves the parked run alone.
    restarted = await startTestServer({ dataDir: t.dataDir });
    const api = client(restarted.url, { authorization: `Bearer ${alice.tokens.access_token}` });
    expect((await api.get(`/api/executions/${run.id}`)).body.status).toBe("REVIEW");
    const pending = (await api.get("/api/review/pending")).body as Array<{ node_exec_id: string }>;
    expect(pending.map((r) => r.node_exec_id)).toContain(id);
    const action = await api.post("/api/review/action", { reviews: [{ node_exec_id: id, approved: true }] });
    expect(action.status).toBe(200);
    const finished = await waitFor(api, run.id, done);
    expect(finished.status).toBe("COMPLETED");
    expect(finished.outputs).toEqual({ approved: ["kept"], message: ["Execution approved by reviewer"] });
  });
});
