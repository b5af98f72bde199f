// The graph repository contract: the same assertions run against embedded PGlite and a real PostgreSQL.
import fs from "node:fs";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newId } from "../../src/auth/tokens.js";
import { AGENT_EXECUTOR_BLOCK_ID, type GraphInput, prepareGraph, validateGraph } from "../../src/core/graph.js";
import type { Database } from "../../src/infra/db/index.js";
import * as graphs from "../../src/infra/db/repos/graphs.js";
import * as library from "../../src/infra/db/repos/library.js";
import * as users from "../../src/infra/db/repos/users.js";
import { agentNodeLinks, agentNodes, libraryAgents } from "../../src/infra/db/schema.js";

const INPUT = "c0a8e994-ebf1-4a9c-a4d8-89d09c86741b";
const OUTPUT = "363ae599-353e-4804-937e-b2ee3cef3da4";
const calculator = JSON.parse(fs.readFileSync(new URL("../fixtures/calculator-agent.json", import.meta.url), "utf8"));

export function graphRepositoryContract(open: () => Promise<{ database: Database; cleanup(): Promise<void> }>) {
  let database: Database;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ database, cleanup } = await open());
  });
  afterAll(async () => {
    await database?.close();
    await cleanup?.();
  });

  async function user() {
    const row = await users.insertUser(database.db, { id: newId(), email: `g-${newId()}@example.com` });
    return row?.id as string;
  }

  function draft(userId: string, input: GraphInput = calculator, keepGraphId = false) {
    const d = prepareGraph(input, userId, { keepGraphId });
    expect(validateGraph(d)).toEqual([]);
    return d;
  }

  it("stores a graph and reads it back in submitted order, with links per node and computed schemas", async () => {
    const db = database.db;
    const u = await user();
    const created = await graphs.createGraph(db, u, draft(u));
    const read = await graphs.getGraph(db, u, created.id);
    expect(read).toEqual(created);
    expect(read?.nodes.map((n) => n.block_id)).toEqual(calculator.nodes.map((n: { block_id: string }) => n.block_id));
    expect(read?.links.map((l) => [l.source_name, l.sink_name])).toEqual([
      ["result", "value"],
      ["result", "a"],
    ]);
    const calc = read?.nodes[2];
    expect(calc?.input_links.map((l) => l.sink_name)).toEqual(["a"]);
    expect(calc?.output_links.map((l) => l.sink_name)).toEqual(["value"]);
    expect(read?.input_schema).toEqual(calculator.input_schema);
    expect(read?.output_schema).toEqual(calculator.output_schema);
    expect(await graphs.getGraph(db, await user(), created.id)).toBeUndefined();
    expect(await graphs.getGraphForRun(db, u, created.id, created.version)).toEqual({ ...created, sub_graphs: [] });
  });

  it("stores a 10,000-node graph in batches and reads it back exactly, awkward values included", async () => {
    const db = database.db;
    const u = await user();
    const STORE = "1ff065e9-88e8-4358-9d82-8dc91f622ba9";
    const odd = {
      text: 'quote " backslash \\ newline \n tab \t é 😀',
      big: 2 ** 53 - 1,
      neg: -0.5,
      list: [null, true, {}],
    };
    const nodes = [{ id: "n0", block_id: INPUT, input_default: { name: "x" }, metadata: {} }];
    const links = [];
    for (let i = 1; i < 10_000; i++) {
      nodes.push({
        id: `n${i}`,
        block_id: STORE,
        input_default: i === 7 ? { data: odd } : { data: i },
        metadata: { i },
      } as never);
      links.push({
        source_id: `n${i - 1}`,
        source_name: i === 1 ? "result" : "output",
        sink_id: `n${i}`,
        sink_name: "input",
      });
    }
    const created = await graphs.createGraph(db, u, draft(u, { name: "large", nodes, links }));
    const read = await graphs.getGraph(db, u, created.id);
    expect(read?.nodes).toHaveLength(10_000);
    expect(read?.links).toHaveLength(9_999);
    expect(read).toEqual(created);
    expect(read?.nodes[7]?.input_default).toEqual({ data: odd });
    expect(await graphs.getGraphForRun(db, u, created.id, created.version)).toEqual({ ...created, sub_graphs: [] });
  });

  it("adds versions as max+1, keeps one active version, and reads the active one by default", async () => {
    const db = database.db;
    const u = await user();
    const v1 = await graphs.createGraph(db, u, draft(u, { ...calculator, version: 1 }));
    const v2 = await graphs.createVersion(db, u, v1.id, draft(u, { ...calculator, id: v1.id, name: "second" }, true));
    expect(v2?.version).toBe(2);
    expect(v2?.nodes[0]?.graph_version).toBe(2);
    const inactive = await graphs.createVersion(db, u, v1.id, draft(u, { ...calculator, is_active: false }, true));
    expect(inactive?.version).toBe(3);
    expect((await graphs.getGraph(db, u, v1.id))?.version).toBe(2);
    expect((await graphs.getGraphForRun(db, u, v1.id))?.version).toBe(2);
    expect((await graphs.getGraph(db, u, v1.id, 3))?.is_active).toBe(false);
    expect((await graphs.listVersions(db, u, v1.id)).map((g) => [g.version, g.is_active])).toEqual([
      [3, false],
      [2, true],
      [1, false],
    ]);

    expect(await graphs.setActiveVersion(db, u, v1.id, 1)).toBe(true);
    expect(await graphs.setActiveVersion(db, u, v1.id, 9)).toBe(false);
    expect(await graphs.setActiveVersion(db, await user(), v1.id, 2)).toBe(false);
    expect((await graphs.getGraph(db, u, v1.id))?.version).toBe(1);
    expect((await graphs.listVersions(db, u, v1.id)).filter((g) => g.is_active).map((g) => g.version)).toEqual([1]);

    expect(await graphs.createVersion(db, await user(), v1.id, draft(u, calculator, true))).toBeUndefined();
    expect(await graphs.createVersion(db, u, newId(), draft(u))).toBeUndefined();
  });

  it("never gives two concurrent updates the same version number", async () => {
    const db = database.db;
    const u = await user();
    const g = await graphs.createGraph(db, u, draft(u, { ...calculator, version: 1 }));
    const results = await Promise.all(
      [1, 2, 3].map(() => graphs.createVersion(db, u, g.id, draft(u, calculator, true))),
    );
    expect(results.map((r) => r?.version).sort()).toEqual([2, 3, 4]);
    expect((await graphs.listVersions(db, u, g.id)).filter((v) => v.is_active)).toHaveLength(1);
  });

  it("lists each graph's active version once, newest first, with paging and a total", async () => {
    const db = database.db;
    const u = await user();
    const a = await graphs.createGraph(db, u, draft(u, { ...calculator, name: "a" }));
    const b = await graphs.createGraph(db, u, draft(u, { ...calculator, name: "b" }));
    await graphs.createVersion(db, u, a.id, draft(u, { ...calculator, name: "a2" }, true));
    await graphs.createGraph(db, u, draft(u, { ...calculator, name: "hidden", is_active: false }));
    const all = await graphs.listGraphs(db, u);
    expect(all.total).toBe(2);
    expect(all.graphs.map((g) => g.name)).toEqual(["a2", "b"]);
    expect(all.graphs[0]).toEqual({
      id: a.id,
      version: 3,
      is_active: true,
      name: "a2",
      description: "",
      instructions: null,
      recommended_schedule_cron: null,
      forked_from_id: null,
      forked_from_version: null,
      user_id: u,
      created_at: expect.any(String),
    });
    const page2 = await graphs.listGraphs(db, u, { page: 2, pageSize: 1 });
    expect(page2).toEqual({ graphs: [expect.objectContaining({ id: b.id })], total: 2 });
    expect((await graphs.listGraphs(db, await user())).graphs).toEqual([]);
  });

  it("stores AgentExecutor targets uploaded together as graphs of the user and returns them as sub_graphs", async () => {
    const db = database.db;
    const u = await user();
    const sub: GraphInput = {
      id: "sub",
      name: "doubler",
      description: "",
      nodes: [
        { id: "x", block_id: INPUT, input_default: { name: "x" } },
        { id: "y", block_id: OUTPUT, input_default: { name: "y" } },
      ],
      links: [{ source_id: "x", sink_id: "y", source_name: "result", sink_name: "value" }],
    };
    const main: GraphInput = {
      name: "outer",
      description: "",
      nodes: [
        { id: "in", block_id: INPUT, input_default: { name: "n" } },
        {
          id: "run",
          block_id: AGENT_EXECUTOR_BLOCK_ID,
          input_default: {
            graph_id: "sub",
            graph_version: 1,
            input_schema: { type: "object", properties: { x: {} }, required: ["x"] },
            output_schema: { type: "object", properties: { y: {} }, required: ["y"] },
          },
        },
        { id: "out", block_id: OUTPUT, input_default: { name: "result" } },
      ],
      links: [
        { source_id: "in", sink_id: "run", source_name: "result", sink_name: "x" },
        { source_id: "run", sink_id: "out", source_name: "y", sink_name: "value" },
      ],
      sub_graphs: [sub],
    };
    const created = await graphs.createGraph(db, u, draft(u, main));
    const executor = created.nodes[1]?.input_default;
    expect(executor?.user_id).toBe(u);
    expect(executor?.inputs).toEqual({});
    expect(created.sub_graphs).toHaveLength(1);
    const subId = created.sub_graphs[0]?.id as string;
    expect(subId).not.toBe("sub");
    expect(executor?.graph_id).toBe(subId);

    const read = await graphs.getGraph(db, u, created.id);
    expect(read?.sub_graphs.map((g) => [g.id, g.name, g.nodes.length])).toEqual([[subId, "doubler", 2]]);
    expect((await graphs.getGraphForRun(db, u, created.id))?.sub_graphs.map((g) => g.id)).toEqual([subId]);
    expect((await graphs.getGraph(db, u, subId))?.output_schema.properties).toHaveProperty("y");
    expect((await graphs.listGraphs(db, u)).total).toBe(2);
  });

  it("deletes every version of the user's graph with its nodes and links, and nothing of others'", async () => {
    const db = database.db;
    const u = await user();
    const g = await graphs.createGraph(db, u, draft(u));
    await graphs.createVersion(db, u, g.id, draft(u, calculator, true));
    expect(await graphs.deleteGraph(db, await user(), g.id)).toBe(0);
    expect(await graphs.deleteGraph(db, u, g.id)).toBe(2);
    expect(await graphs.getGraph(db, u, g.id)).toBeUndefined();
    expect(await graphs.deleteGraph(db, u, g.id)).toBe(0);
    const { eq } = await import("drizzle-orm");
    expect(await db.select().from(agentNodes).where(eq(agentNodes.graphId, g.id))).toEqual([]);
    expect(await db.select().from(agentNodeLinks).where(eq(agentNodeLinks.graphId, g.id))).toEqual([]);
  });

  it("keeps library rows with their graph: backfill once, follow new and newly active versions, leave on delete", async () => {
    const db = database.db;
    const u = await user();
    const rows = async (graphId: string) =>
      db
        .select({ version: libraryAgents.graphVersion, deleted: libraryAgents.isDeleted })
        .from(libraryAgents)
        .where(and(eq(libraryAgents.userId, u), eq(libraryAgents.graphId, graphId)));
    // Stored as an earlier release did: no library row.
    const g = await graphs.createGraph(db, u, draft(u));
    expect(await rows(g.id)).toEqual([]);
    expect(await library.backfillLibrary(db)).toBeGreaterThanOrEqual(1);
    expect(await rows(g.id)).toEqual([{ version: g.version, deleted: false }]);
    expect(await library.backfillLibrary(db)).toBe(0);

    const follow = (tx: graphs.Tx) => library.followCurrentVersion(tx, u, g.id);
    const v2 = await graphs.createVersion(db, u, g.id, draft(u, { ...calculator, id: g.id }, true), follow);
    expect(await rows(g.id)).toEqual([{ version: v2?.version, deleted: false }]);
    await graphs.createVersion(db, u, g.id, draft(u, { ...calculator, is_active: false }, true), follow);
    expect(await rows(g.id)).toEqual([{ version: v2?.version, deleted: false }]);
    expect(await graphs.setActiveVersion(db, u, g.id, g.version, follow)).toBe(true);
    expect(await rows(g.id)).toEqual([{ version: g.version, deleted: false }]);

    await graphs.deleteGraph(db, u, g.id, (tx) => library.removeGraph(tx, g.id));
    expect(await rows(g.id)).toEqual([{ version: g.version, deleted: true }]);
    expect(await library.backfillLibrary(db)).toBe(0);
  });
}
