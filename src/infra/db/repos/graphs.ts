// Graphs: versioned (id, version) rows with their nodes and links, read back as AutoGPT's GraphModel.
import { and, count, desc, eq, getTableColumns, ilike, ne, or, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import {
  AGENT_EXECUTOR_BLOCK_ID,
  computeCredentialsInputSchema,
  type DraftNode,
  type GraphDraft,
  toGraphModel,
  versionMetaOf,
} from "../../../core/graph.js";
import type { GraphModel, GraphVersionMeta, Link, SubGraphModel } from "../../../core/graph-types.js";
import { nextTurn } from "../../../core/turn.js";
import type { Db } from "../index.js";
import { agentGraphs, agentNodeLinks, agentNodes } from "../schema.js";

type GraphRow = typeof agentGraphs.$inferSelect;
type NodeRow = typeof agentNodes.$inferSelect;
type LinkRow = typeof agentNodeLinks.$inferSelect;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** The database or a transaction on it: what a repository function that may join a caller's transaction takes. */
export type Executor = Db | Tx;
/** Runs inside a graph write's transaction, after the rows are written (the library follows graphs this way). */
export type OnWrite = (tx: Tx) => Promise<void>;

/** Rows per INSERT statement: each statement blocks the embedded database's thread for its whole duration. */
const CHUNK = 1000;
/** AgentExecutor chains deeper than this are not followed when collecting sub-graphs. */
const MAX_SUBGRAPH_DEPTH = 32;

function metaOf(row: GraphRow): GraphVersionMeta {
  return versionMetaOf(
    {
      id: row.id,
      version: row.version,
      is_active: row.isActive,
      name: row.name ?? "",
      description: row.description ?? "",
      instructions: row.instructions,
      recommended_schedule_cron: row.recommendedScheduleCron,
      forked_from_id: row.forkedFromId,
      forked_from_version: row.forkedFromVersion,
    },
    { user_id: row.userId, created_at: row.createdAt.toISOString() },
  );
}

function draftNodeOf(n: NodeRow): DraftNode {
  return {
    id: n.id,
    block_id: n.blockId,
    input_default: n.inputDefault as Record<string, unknown>,
    metadata: n.metadata as Record<string, unknown>,
    webhook_id: n.webhookId,
  };
}

function draftOf(row: GraphRow, nodes: NodeRow[], links: LinkRow[]): GraphDraft {
  return {
    ...metaOf(row),
    nodes: nodes.map(draftNodeOf),
    links: links.map(
      (l): Link => ({
        id: l.id,
        source_id: l.sourceId,
        sink_id: l.sinkId,
        source_name: l.sourceName,
        sink_name: l.sinkName,
        is_static: l.isStatic,
      }),
    ),
    sub_graphs: [],
  };
}

function modelOf(row: GraphRow, nodes: NodeRow[], links: LinkRow[], subGraphs: SubGraphModel[] = []): GraphModel {
  return toGraphModel(
    draftOf(row, nodes, links),
    { user_id: row.userId, created_at: row.createdAt.toISOString() },
    subGraphs,
  );
}

/** Sub-graphs' credentials pins belong to the graph's credentials_input_schema too. */
function withSubGraphs(model: GraphModel, subGraphs: SubGraphModel[]): GraphModel {
  if (subGraphs.length === 0) return model;
  const credentials_input_schema = computeCredentialsInputSchema({ nodes: model.nodes, sub_graphs: subGraphs });
  return { ...model, sub_graphs: subGraphs, credentials_input_schema };
}

const key = (id: string, version: number) => `${id}\u0000${version}`;

function groupBy<T extends { graphId: string; graphVersion: number }>(rows: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row.graphId, row.graphVersion);
    (out.get(k) ?? out.set(k, []).get(k))?.push(row);
  }
  return out;
}

/**
 * A node or link query's rows as one JSON array, in submitted order, keyed as the schema's row type: the database
 * builds it, and the client parses one text value instead of decoding 10,000 rows field by field (three to four
 * times faster on the embedded database, whose work blocks this thread).
 */
function recordsOf(table: typeof agentNodes | typeof agentNodeLinks) {
  const fields = Object.entries(getTableColumns(table)).map(([key, column]) => sql`${sql.raw(`'${key}'`)}, ${column}`);
  const order = sql`${table.graphId}, ${table.graphVersion}, ${table.position}`;
  return sql<string>`coalesce(json_agg(json_build_object(${sql.join(fields, sql`, `)}) order by ${order}), '[]')::text`;
}

function parseRecords<T>(result: Array<{ records: string }>): T[] {
  return JSON.parse(result[0]?.records ?? "[]") as T[];
}

/** A condition on (graph_id, graph_version) columns that matches exactly these versions. */
function versionsMatch(versions: Array<{ id: string; version: number }>) {
  const ids = [...new Set(versions.map((v) => v.id))];
  return (graphId: AnyPgColumn, graphVersion: AnyPgColumn): SQL =>
    ids.length === 1 && versions.length > 1
      ? eq(graphId, ids[0] as string)
      : (or(...versions.map((v) => and(eq(graphId, v.id), eq(graphVersion, v.version)))) as SQL);
}

async function loadRecords<T extends { graphId: string; graphVersion: number }>(
  db: Executor,
  table: typeof agentNodes | typeof agentNodeLinks,
  versions: Array<{ id: string; version: number }>,
): Promise<Map<string, T[]>> {
  if (versions.length === 0) return new Map();
  const match = versionsMatch(versions);
  const rows = parseRecords<T>(
    await db
      .select({ records: recordsOf(table) })
      .from(table)
      .where(match(table.graphId, table.graphVersion)),
  );
  return groupBy(rows);
}

/** Nodes and links of several versions in two queries, each list in submitted order. */
async function loadContents(db: Executor, versions: Array<{ id: string; version: number }>) {
  // One after the other, with a turn of the event loop between: on the embedded database each blocks this thread.
  const nodesBy = await loadRecords<NodeRow>(db, agentNodes, versions);
  let count = 0;
  for (const list of nodesBy.values()) count += list.length;
  if (count > 1000) await nextTurn();
  const linksBy = await loadRecords<LinkRow>(db, agentNodeLinks, versions);
  return (id: string, version: number) => ({
    nodes: nodesBy.get(key(id, version)) ?? [],
    links: linksBy.get(key(id, version)) ?? [],
  });
}

/** The nodes of several versions in one query (what their computed fields are made from), by version. */
export async function versionNodes(
  db: Db,
  versions: Array<{ id: string; version: number }>,
): Promise<(id: string, version: number) => DraftNode[]> {
  const nodesBy = await loadRecords<NodeRow>(db, agentNodes, versions);
  return (id, version) => (nodesBy.get(key(id, version)) ?? []).map(draftNodeOf);
}

/** These versions of the user's graphs (without sub-graphs), in the order asked, in three queries. */
export async function getVersions(
  db: Db,
  userId: string,
  versions: Array<{ id: string; version: number }>,
): Promise<GraphModel[]> {
  if (versions.length === 0) return [];
  const match = versionsMatch(versions);
  const rows = await db
    .select()
    .from(agentGraphs)
    .where(and(eq(agentGraphs.userId, userId), match(agentGraphs.id, agentGraphs.version)));
  const byKey = new Map(rows.map((r) => [key(r.id, r.version), r]));
  const contents = await loadContents(db, rows);
  return versions.flatMap((v) => {
    const row = byKey.get(key(v.id, v.version));
    if (!row) return [];
    const { nodes, links } = contents(row.id, row.version);
    return [modelOf(row, nodes, links)];
  });
}

/** The AgentExecutor targets of these graphs, as (id, version) pairs not yet seen. */
function subGraphRefs(graphs: GraphModel[], seen: Set<string>): Array<{ id: string; version: number }> {
  const refs = new Map<string, { id: string; version: number }>();
  for (const graph of graphs) {
    for (const node of graph.nodes) {
      if (node.block_id !== AGENT_EXECUTOR_BLOCK_ID) continue;
      const id = node.input_default.graph_id;
      const version = Number(node.input_default.graph_version);
      if (typeof id === "string" && id && Number.isInteger(version) && version > 0 && !seen.has(id)) {
        refs.set(key(id, version), { id, version });
      }
    }
  }
  return [...refs.values()];
}

/**
 * Every graph the root reaches through AgentExecutor nodes, flattened, owned by the same user (as AutoGPT's
 * get_sub_graphs: one round of queries per level of nesting, each graph id once).
 */
async function loadSubGraphs(db: Executor, userId: string, root: GraphModel): Promise<SubGraphModel[]> {
  const seen = new Set([root.id]);
  const out: GraphModel[] = [];
  let frontier = [root];
  for (let depth = 0; depth < MAX_SUBGRAPH_DEPTH && frontier.length > 0; depth++) {
    const refs = subGraphRefs(frontier, seen);
    if (refs.length === 0) break;
    const rows = await db
      .select()
      .from(agentGraphs)
      .where(
        and(
          eq(agentGraphs.userId, userId),
          or(...refs.map((r) => and(eq(agentGraphs.id, r.id), eq(agentGraphs.version, r.version)))),
        ),
      );
    const contents = await loadContents(db, rows);
    frontier = [];
    for (const row of rows) {
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      const { nodes, links } = contents(row.id, row.version);
      const model = modelOf(row, nodes, links);
      out.push(model);
      frontier.push(model);
    }
  }
  return out;
}

/**
 * Inserts rows as one JSON parameter per statement, unpacked by `jsonb_to_recordset`: no bind parameter per value
 * for the query builder to assemble (the slow part of a 10,000-row insert), and on the embedded database, which
 * runs in this thread, the event loop gets a turn between statements. Columns and types come from the schema;
 * every row sets the columns the first one sets.
 */
async function insertRecords<T extends typeof agentNodes | typeof agentNodeLinks>(
  tx: Tx,
  table: T,
  rows: Array<T["$inferInsert"]>,
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => key in (rows[0] as object));
  const names = sql.raw(columns.map(([, c]) => `"${c.name}"`).join(", "));
  const types = sql.raw(columns.map(([, c]) => `"${c.name}" ${c.getSQLType()}`).join(", "));
  for (let i = 0; i < rows.length; i += CHUNK) {
    if (i > 0) await nextTurn();
    const records = rows
      .slice(i, i + CHUNK)
      .map((row) => Object.fromEntries(columns.map(([key, c]) => [c.name, (row as Record<string, unknown>)[key]])));
    await tx.execute(
      sql`insert into ${table} (${names}) select ${names} from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as r(${types})`,
    );
  }
}

async function insertVersion(tx: Tx, userId: string, graph: GraphDraft, createdAt: Date): Promise<void> {
  await tx.insert(agentGraphs).values({
    id: graph.id,
    version: graph.version,
    name: graph.name,
    description: graph.description,
    instructions: graph.instructions,
    recommendedScheduleCron: graph.recommended_schedule_cron,
    isActive: graph.is_active,
    userId,
    forkedFromId: graph.forked_from_id,
    forkedFromVersion: graph.forked_from_version,
    createdAt,
    updatedAt: createdAt,
  });
  const nodes = graph.nodes.map((n, position) => ({
    id: n.id,
    graphId: graph.id,
    graphVersion: graph.version,
    blockId: n.block_id,
    inputDefault: n.input_default,
    metadata: n.metadata,
    webhookId: n.webhook_id ?? null,
    position,
  }));
  const links = graph.links.map((l, position) => ({
    id: l.id,
    graphId: graph.id,
    graphVersion: graph.version,
    sourceId: l.source_id,
    sourceName: l.source_name,
    sinkId: l.sink_id,
    sinkName: l.sink_name,
    isStatic: l.is_static,
    position,
  }));
  await insertRecords(tx, agentNodes, nodes);
  await insertRecords(tx, agentNodeLinks, links);
}

function modelOfDraft(graph: GraphDraft, userId: string, createdAt: Date): GraphModel {
  const meta = { user_id: userId, created_at: createdAt.toISOString() };
  const subGraphs = graph.sub_graphs.map((g) => toGraphModel(g, meta));
  return toGraphModel(graph, meta, subGraphs);
}

/**
 * Stores a new graph (ids already fresh) and its sub-graphs, each as a graph of this user, in one transaction.
 * Returns the stored model without re-reading it: every id, link id included, was chosen before the insert.
 */
export async function createGraph(db: Db, userId: string, graph: GraphDraft, onWrite?: OnWrite): Promise<GraphModel> {
  const now = new Date();
  await db.transaction(async (tx) => {
    for (const g of [...graph.sub_graphs, graph]) await insertVersion(tx, userId, g, now);
    await onWrite?.(tx);
  });
  return modelOfDraft(graph, userId, now);
}

/**
 * Stores `graph` as version max+1 of the user's graph `graphId`; an active new version becomes the only active
 * one. Undefined when the user has no such graph. Concurrent updates of one graph queue on an advisory lock,
 * so two of them never pick the same version number.
 */
export async function createVersion(
  db: Db,
  userId: string,
  graphId: string,
  graph: GraphDraft,
  onWrite?: OnWrite,
): Promise<GraphModel | undefined> {
  const now = new Date();
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`graph:${graphId}`}))`);
    const [latest] = await tx
      .select({ max: sql<number | null>`max(${agentGraphs.version})` })
      .from(agentGraphs)
      .where(and(eq(agentGraphs.id, graphId), eq(agentGraphs.userId, userId)));
    if (latest?.max === null || latest?.max === undefined) return undefined;
    const version: GraphDraft = { ...graph, id: graphId, version: Number(latest.max) + 1 };
    for (const g of [...version.sub_graphs, version]) await insertVersion(tx, userId, g, now);
    if (version.is_active) await deactivateOthers(tx, userId, graphId, version.version);
    await onWrite?.(tx);
    return modelOfDraft(version, userId, now);
  });
}

async function deactivateOthers(tx: Tx, userId: string, graphId: string, version: number) {
  await tx
    .update(agentGraphs)
    .set({ isActive: false, updatedAt: new Date() })
    .where(
      and(
        eq(agentGraphs.id, graphId),
        eq(agentGraphs.userId, userId),
        ne(agentGraphs.version, version),
        eq(agentGraphs.isActive, true),
      ),
    );
}

/**
 * One version of the user's graph with its sub-graphs: `version`, or else the active one, or else the latest.
 * Another user's graph reads as absent.
 */
export async function getGraph(
  db: Db,
  userId: string,
  graphId: string,
  version?: number,
  options: { subGraphs?: boolean } = {},
): Promise<GraphModel | undefined> {
  const [row] = await db
    .select()
    .from(agentGraphs)
    .where(
      and(
        eq(agentGraphs.id, graphId),
        eq(agentGraphs.userId, userId),
        version === undefined ? undefined : eq(agentGraphs.version, version),
      ),
    )
    .orderBy(desc(agentGraphs.isActive), desc(agentGraphs.version))
    .limit(1);
  if (!row) return undefined;
  const { nodes, links } = (await loadContents(db, [row]))(row.id, row.version);
  const model = modelOf(row, nodes, links);
  return options.subGraphs === false ? model : withSubGraphs(model, await loadSubGraphs(db, userId, model));
}

function prepareRunQueries(db: Db) {
  const p = (name: string) => sql.placeholder(name);
  const byVersion = db
    .select()
    .from(agentGraphs)
    .where(and(eq(agentGraphs.id, p("id")), eq(agentGraphs.userId, p("userId")), eq(agentGraphs.version, p("version"))))
    .limit(1)
    .prepare("graph_for_run_version");
  const current = db
    .select()
    .from(agentGraphs)
    .where(and(eq(agentGraphs.id, p("id")), eq(agentGraphs.userId, p("userId"))))
    .orderBy(desc(agentGraphs.isActive), desc(agentGraphs.version))
    .limit(1)
    .prepare("graph_for_run_current");
  const nodes = db
    .select({ records: recordsOf(agentNodes) })
    .from(agentNodes)
    .where(and(eq(agentNodes.graphId, p("id")), eq(agentNodes.graphVersion, p("version"))))
    .prepare("graph_for_run_nodes");
  const links = db
    .select({ records: recordsOf(agentNodeLinks) })
    .from(agentNodeLinks)
    .where(and(eq(agentNodeLinks.graphId, p("id")), eq(agentNodeLinks.graphVersion, p("version"))))
    .prepare("graph_for_run_links");
  return { byVersion, current, nodes, links };
}

const runQueries = new WeakMap<Db, ReturnType<typeof prepareRunQueries>>();

/**
 * The engine's read: a version (or the active/latest one) of the user's graph with its sub-graphs, through
 * prepared statements: three queries, plus one round per level of AgentExecutor nesting.
 */
export async function getGraphForRun(
  db: Db,
  userId: string,
  graphId: string,
  version?: number,
): Promise<GraphModel | undefined> {
  let q = runQueries.get(db);
  if (!q) {
    q = prepareRunQueries(db);
    runQueries.set(db, q);
  }
  const [row] =
    version === undefined
      ? await q.current.execute({ id: graphId, userId })
      : await q.byVersion.execute({ id: graphId, userId, version });
  if (!row) return undefined;
  const [nodes, links] = await Promise.all([
    q.nodes.execute({ id: row.id, version: row.version }),
    q.links.execute({ id: row.id, version: row.version }),
  ]);
  const model = modelOf(row, parseRecords<NodeRow>(nodes), parseRecords<LinkRow>(links));
  if (!model.nodes.some((n) => n.block_id === AGENT_EXECUTOR_BLOCK_ID)) return model;
  return withSubGraphs(model, await loadSubGraphs(db, userId, model));
}

/**
 * The user's graphs for listing: for each graph its latest active version, most recently created first.
 * Graphs without an active version are not listed (as in AutoGPT).
 */
export async function listGraphs(
  db: Db,
  userId: string,
  page = { page: 1, pageSize: 250 },
): Promise<{ graphs: GraphVersionMeta[]; total: number }> {
  const active = and(eq(agentGraphs.userId, userId), eq(agentGraphs.isActive, true));
  const latest = db
    .selectDistinctOn([agentGraphs.id])
    .from(agentGraphs)
    .where(active)
    .orderBy(agentGraphs.id, desc(agentGraphs.version))
    .as("latest");
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(latest)
      .orderBy(desc(latest.createdAt), desc(latest.id))
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize),
    db
      .select({ n: count(sql`distinct ${agentGraphs.id}`) })
      .from(agentGraphs)
      .where(active),
  ]);
  return { graphs: rows.map((r) => metaOf(r as GraphRow)), total: Number(total?.n ?? 0) };
}

/** Every version of the user's graph, newest first (without sub-graphs); empty when there is no such graph. */
export async function listVersions(db: Db, userId: string, graphId: string): Promise<GraphModel[]> {
  const rows = await db
    .select()
    .from(agentGraphs)
    .where(and(eq(agentGraphs.id, graphId), eq(agentGraphs.userId, userId)))
    .orderBy(desc(agentGraphs.version));
  const contents = await loadContents(db, rows);
  return rows.map((row) => {
    const { nodes, links } = contents(row.id, row.version);
    return modelOf(row, nodes, links);
  });
}

/** Makes `version` the only active version of the user's graph; false when that version does not exist. */
export async function setActiveVersion(
  db: Db,
  userId: string,
  graphId: string,
  version: number,
  onWrite?: OnWrite,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const activated = await tx
      .update(agentGraphs)
      .set({ isActive: true, updatedAt: new Date() })
      .where(and(eq(agentGraphs.id, graphId), eq(agentGraphs.userId, userId), eq(agentGraphs.version, version)))
      .returning({ version: agentGraphs.version });
    if (activated.length === 0) return false;
    await deactivateOthers(tx, userId, graphId, version);
    await onWrite?.(tx);
    return true;
  });
}

/** Deletes every version of the user's graph with its nodes and links; returns how many versions there were. */
export async function deleteGraph(db: Db, userId: string, graphId: string, onWrite?: OnWrite): Promise<number> {
  return db.transaction(async (tx) => {
    const deleted = await tx
      .delete(agentGraphs)
      .where(and(eq(agentGraphs.id, graphId), eq(agentGraphs.userId, userId)))
      .returning({ version: agentGraphs.version });
    if (deleted.length === 0) return 0;
    await tx.delete(agentNodeLinks).where(eq(agentNodeLinks.graphId, graphId));
    await tx.delete(agentNodes).where(eq(agentNodes.graphId, graphId));
    await onWrite?.(tx);
    return deleted.length;
  });
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The latest active version of each of the user's graphs whose name or description contains `text` (every graph
 * for ""), most recently created first, at most `limit`.
 */
export async function searchGraphs(
  db: Db,
  userId: string,
  text: string,
  limit: number,
): Promise<Array<{ id: string; version: number }>> {
  const pattern = `%${escapeLike(text)}%`;
  const matches =
    text === "" ? undefined : or(ilike(agentGraphs.name, pattern), ilike(agentGraphs.description, pattern));
  const latest = db
    .selectDistinctOn([agentGraphs.id], {
      id: agentGraphs.id,
      version: agentGraphs.version,
      createdAt: agentGraphs.createdAt,
    })
    .from(agentGraphs)
    .where(and(eq(agentGraphs.userId, userId), eq(agentGraphs.isActive, true), matches))
    .orderBy(agentGraphs.id, desc(agentGraphs.version))
    .as("latest");
  return db
    .select({ id: latest.id, version: latest.version })
    .from(latest)
    .orderBy(desc(latest.createdAt), desc(latest.id))
    .limit(limit);
}
