// A user's library (AutoGPT's LibraryAgent rows over their graphs, kept up to date as graphs are written) and saved
// run presets (AgentPreset).
import { randomUUID } from "node:crypto";
import { and, count, desc, eq, ilike, or, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../index.js";
import { agentGraphs, agentPresets, libraryAgents, users } from "../schema.js";
import type { Executor } from "./graphs.js";

export type LibraryAgentRow = typeof libraryAgents.$inferSelect;
export type PresetRow = typeof agentPresets.$inferSelect;
type GraphRow = typeof agentGraphs.$inferSelect;

/** A library row with the graph version it points at and the name of that graph's owner. */
export interface LibraryEntry {
  agent: LibraryAgentRow;
  graph: GraphRow;
  creatorName: string | null;
}

/** The version a library row following its graph points at: the active one, or else the latest. */
const currentVersion = (graphId: SQL | AnyPgColumn) =>
  sql<number>`(select ${agentGraphs.version} from ${agentGraphs} where ${agentGraphs.id} = ${graphId}
    order by ${agentGraphs.isActive} desc, ${agentGraphs.version} desc limit 1)`;

/**
 * Adds a library row for a graph the user just made or added (a new graph, a fork, an agent from the
 * marketplace); returns it. `createdByUser` is false for an agent added from someone else's listing.
 */
export async function insertLibraryAgent(
  db: Executor,
  userId: string,
  graph: { id: string; version: number },
  options: { createdByUser?: boolean } = {},
): Promise<LibraryAgentRow> {
  const now = new Date();
  const [row] = await db
    .insert(libraryAgents)
    .values({
      id: randomUUID(),
      userId,
      graphId: graph.id,
      graphVersion: graph.version,
      useGraphIsActiveVersion: true,
      isCreatedByUser: options.createdByUser ?? true,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return row as LibraryAgentRow;
}

/** Moves the user's rows that follow `graphId` to its current version (after a new or newly active version). */
export async function followCurrentVersion(db: Executor, userId: string, graphId: string): Promise<void> {
  await db
    .update(libraryAgents)
    .set({ graphVersion: sql`coalesce(${currentVersion(libraryAgents.graphId)}, ${libraryAgents.graphVersion})` })
    .where(
      and(
        eq(libraryAgents.userId, userId),
        eq(libraryAgents.graphId, graphId),
        eq(libraryAgents.useGraphIsActiveVersion, true),
        eq(libraryAgents.isDeleted, false),
      ),
    );
}

/** Removes every library row of a deleted graph (for its owner and whoever added it). */
export async function removeGraph(db: Executor, graphId: string): Promise<void> {
  await db
    .update(libraryAgents)
    .set({ isDeleted: true, updatedAt: new Date() })
    .where(and(eq(libraryAgents.graphId, graphId), eq(libraryAgents.isDeleted, false)));
}

/**
 * Brings libraries written before they were maintained on write up to date, in two statements: every graph
 * without a library row of its owner gets one (a removed row counts: a removed agent stays removed), and rows
 * that follow their graph point at its current version. Idempotent; returns how many rows were added.
 */
export async function backfillLibrary(db: Db): Promise<number> {
  // Processes starting together take turns: there is no unique key for two of them to meet on.
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('library:backfill'))`);
    const added = await tx.execute(sql`
    insert into ${libraryAgents} (id, user_id, graph_id, graph_version, use_graph_is_active_version,
      is_created_by_user, created_at, updated_at)
    select gen_random_uuid()::text, g.user_id, g.id, g.version, true, true, now(), now()
    from (select distinct on (${agentGraphs.id}) ${agentGraphs.id} as id, ${agentGraphs.userId} as user_id,
            ${agentGraphs.version} as version
          from ${agentGraphs}
          order by ${agentGraphs.id}, ${agentGraphs.isActive} desc, ${agentGraphs.version} desc) g
    where not exists (select 1 from ${libraryAgents} l where l.graph_id = g.id and l.user_id = g.user_id)
    returning 1`);
    await tx
      .update(libraryAgents)
      .set({ graphVersion: currentVersion(libraryAgents.graphId) })
      .where(
        and(
          eq(libraryAgents.useGraphIsActiveVersion, true),
          eq(libraryAgents.isDeleted, false),
          sql`${libraryAgents.graphVersion} is distinct from ${currentVersion(libraryAgents.graphId)}`,
          sql`${currentVersion(libraryAgents.graphId)} is not null`,
        ),
      );
    return (added as unknown as { rows: unknown[] }).rows.length;
  });
}

/** The user's library row of the graph `graphId`, if it has one. */
export async function libraryAgentIdOfGraph(db: Db, userId: string, graphId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ id: libraryAgents.id })
    .from(libraryAgents)
    .where(
      and(eq(libraryAgents.userId, userId), eq(libraryAgents.graphId, graphId), eq(libraryAgents.isDeleted, false)),
    )
    .limit(1);
  return row?.id;
}

/** Merges `changes` into a library agent's settings (one atomic update); returns the settings now stored. */
export async function updateLibrarySettings(
  db: Db,
  agentId: string,
  changes: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const [row] = await db
    .update(libraryAgents)
    .set({ settings: sql`${libraryAgents.settings} || ${JSON.stringify(changes)}::jsonb`, updatedAt: new Date() })
    .where(eq(libraryAgents.id, agentId))
    .returning({ settings: libraryAgents.settings });
  return (row?.settings ?? {}) as Record<string, unknown>;
}

const entryColumns = { agent: libraryAgents, graph: agentGraphs, creatorName: users.name };

function entriesQuery(db: Db, where: SQL | undefined) {
  return db
    .select(entryColumns)
    .from(libraryAgents)
    .innerJoin(
      agentGraphs,
      and(eq(agentGraphs.id, libraryAgents.graphId), eq(agentGraphs.version, libraryAgents.graphVersion)),
    )
    .leftJoin(users, eq(users.id, agentGraphs.userId))
    .where(where);
}

const visible = (userId: string) =>
  and(eq(libraryAgents.userId, userId), eq(libraryAgents.isDeleted, false), eq(libraryAgents.isArchived, false));

export interface LibraryFilter {
  favorite?: boolean;
  /** Listed on the marketplace or not: Agentry has no marketplace listings, so nothing is published. */
  published?: boolean;
  /** Words that the graph's name or description must contain (case-insensitive), as AutoGPT's search_term. */
  search?: string;
  /** Newest first by this time (AutoGPT's LibraryAgentSort); updatedAt unless given. */
  sortBy?: "createdAt" | "updatedAt";
  offset: number;
  limit: number;
}

/** The user's library, most recently updated first (archived and removed agents left out). */
export async function listLibraryAgents(
  db: Db,
  userId: string,
  filter: LibraryFilter,
): Promise<{ entries: LibraryEntry[]; total: number }> {
  if (filter.published === true) return { entries: [], total: 0 };
  const pattern = filter.search?.trim() ? `%${escapeLike(filter.search.trim())}%` : undefined;
  const where = and(
    visible(userId),
    filter.favorite === undefined ? undefined : eq(libraryAgents.isFavorite, filter.favorite),
    pattern ? or(ilike(agentGraphs.name, pattern), ilike(agentGraphs.description, pattern)) : undefined,
  );
  const order = filter.sortBy === "createdAt" ? libraryAgents.createdAt : libraryAgents.updatedAt;
  const [entries, [total]] = await Promise.all([
    entriesQuery(db, where).orderBy(desc(order), desc(libraryAgents.id)).limit(filter.limit).offset(filter.offset),
    db
      .select({ n: count() })
      .from(libraryAgents)
      .innerJoin(
        agentGraphs,
        and(eq(agentGraphs.id, libraryAgents.graphId), eq(agentGraphs.version, libraryAgents.graphVersion)),
      )
      .where(where),
  ]);
  return { entries, total: Number(total?.n ?? 0) };
}

/** One of the user's library agents (archived ones included, as AutoGPT's get); undefined for anyone else's. */
export async function getLibraryAgent(db: Db, userId: string, id: string): Promise<LibraryEntry | undefined> {
  const [entry] = await entriesQuery(
    db,
    and(eq(libraryAgents.id, id), eq(libraryAgents.userId, userId), eq(libraryAgents.isDeleted, false)),
  ).limit(1);
  return entry;
}

export interface LibraryAgentChanges {
  useGraphIsActiveVersion?: boolean;
  graphVersion?: number;
  isFavorite?: boolean;
  isArchived?: boolean;
}

export async function updateLibraryAgent(
  db: Db,
  userId: string,
  id: string,
  changes: LibraryAgentChanges,
): Promise<boolean> {
  const rows = await db
    .update(libraryAgents)
    .set({ ...changes, updatedAt: new Date() })
    .where(and(eq(libraryAgents.id, id), eq(libraryAgents.userId, userId), eq(libraryAgents.isDeleted, false)))
    .returning({ id: libraryAgents.id });
  return rows.length === 1;
}

/** Removes an agent from the library (soft delete, as AutoGPT); false when the user has no such agent. */
export async function deleteLibraryAgent(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .update(libraryAgents)
    .set({ isDeleted: true, updatedAt: new Date() })
    .where(and(eq(libraryAgents.id, id), eq(libraryAgents.userId, userId), eq(libraryAgents.isDeleted, false)))
    .returning({ id: libraryAgents.id });
  return rows.length === 1;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Library agents whose graph name, description or instructions contain every word of `words`. */
export async function searchLibraryAgents(db: Db, userId: string, words: string[]): Promise<LibraryEntry[]> {
  const matches = words.map((word) => {
    const pattern = `%${escapeLike(word)}%`;
    return or(
      ilike(agentGraphs.name, pattern),
      ilike(agentGraphs.description, pattern),
      ilike(agentGraphs.instructions, pattern),
    ) as SQL;
  });
  return entriesQuery(db, and(visible(userId), ...matches))
    .orderBy(desc(libraryAgents.updatedAt), desc(libraryAgents.id))
    .limit(1000);
}

// ---------------------------------------------------------------------------------------------
// Presets

export interface NewPreset {
  graphId: string;
  graphVersion: number;
  name: string;
  description: string;
  inputs: Record<string, unknown>;
  credentials: Record<string, unknown>;
  isActive: boolean;
  /** The webhook that triggers the preset's runs. */
  webhookId?: string | null;
}

export async function createPreset(db: Db, userId: string, preset: NewPreset): Promise<PresetRow> {
  const now = new Date();
  const [row] = await db
    .insert(agentPresets)
    .values({ id: randomUUID(), userId, ...preset, createdAt: now, updatedAt: now })
    .returning();
  return row as PresetRow;
}

export async function listPresets(
  db: Db,
  userId: string,
  filter: { graphId?: string; offset: number; limit: number },
): Promise<{ rows: PresetRow[]; total: number }> {
  const where = and(
    eq(agentPresets.userId, userId),
    eq(agentPresets.isDeleted, false),
    filter.graphId === undefined ? undefined : eq(agentPresets.graphId, filter.graphId),
  );
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(agentPresets)
      .where(where)
      .orderBy(desc(agentPresets.updatedAt), desc(agentPresets.id))
      .limit(filter.limit)
      .offset(filter.offset),
    db.select({ n: count() }).from(agentPresets).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

/** One of the user's presets; undefined for a deleted one or anyone else's. */
export async function getPreset(db: Db, userId: string, id: string): Promise<PresetRow | undefined> {
  const [row] = await db
    .select()
    .from(agentPresets)
    .where(and(eq(agentPresets.id, id), eq(agentPresets.userId, userId), eq(agentPresets.isDeleted, false)))
    .limit(1);
  return row;
}

export type PresetChanges = Partial<Pick<NewPreset, "name" | "description" | "inputs" | "credentials" | "isActive">>;

export async function updatePreset(
  db: Db,
  userId: string,
  id: string,
  changes: PresetChanges,
): Promise<PresetRow | undefined> {
  const [row] = await db
    .update(agentPresets)
    .set({ ...changes, updatedAt: new Date() })
    .where(and(eq(agentPresets.id, id), eq(agentPresets.userId, userId), eq(agentPresets.isDeleted, false)))
    .returning();
  return row;
}

/** The active presets a webhook triggers. */
export async function presetsOfWebhook(db: Db, webhookId: string): Promise<PresetRow[]> {
  return db
    .select()
    .from(agentPresets)
    .where(
      and(eq(agentPresets.webhookId, webhookId), eq(agentPresets.isActive, true), eq(agentPresets.isDeleted, false)),
    );
}

/** Soft-deletes a preset (its runs keep their preset_id); false when the user has no such preset. */
export async function deletePreset(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .update(agentPresets)
    .set({ isDeleted: true, updatedAt: new Date() })
    .where(and(eq(agentPresets.id, id), eq(agentPresets.userId, userId), eq(agentPresets.isDeleted, false)))
    .returning({ id: agentPresets.id });
  return rows.length === 1;
}
