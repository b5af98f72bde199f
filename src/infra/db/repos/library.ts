// A user's library (AutoGPT's LibraryAgent rows over their graphs) and saved run presets (AgentPreset).
import { randomUUID } from "node:crypto";
import { and, count, desc, eq, ilike, inArray, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../index.js";
import { agentGraphs, agentPresets, libraryAgents, users } from "../schema.js";

export type LibraryAgentRow = typeof libraryAgents.$inferSelect;
export type PresetRow = typeof agentPresets.$inferSelect;
type GraphRow = typeof agentGraphs.$inferSelect;

/** A library row with the graph version it points at and the name of that graph's owner. */
export interface LibraryEntry {
  agent: LibraryAgentRow;
  graph: GraphRow;
  creatorName: string | null;
}

/**
 * The current version of each of the user's graphs: the active one, or else the latest (as graph reads pick).
 * Keyed by graph id.
 */
async function currentVersions(db: Db, userId: string, graphIds?: string[]): Promise<Map<string, number>> {
  if (graphIds && graphIds.length === 0) return new Map();
  const rows = await db
    .selectDistinctOn([agentGraphs.id], { id: agentGraphs.id, version: agentGraphs.version })
    .from(agentGraphs)
    .where(and(eq(agentGraphs.userId, userId), graphIds ? inArray(agentGraphs.id, graphIds) : undefined))
    .orderBy(agentGraphs.id, desc(agentGraphs.isActive), desc(agentGraphs.version));
  return new Map(rows.map((r) => [r.id, r.version]));
}

/**
 * AutoGPT adds a library agent whenever a graph is created, and moves an auto-updating one to each newly active
 * version. Agentry's graph routes do neither yet, so the library catches up here, lazily, before it is read:
 * every graph of the user without a library row (deleted rows included: a removed agent stays removed) gets one,
 * and auto-updating rows follow their graph's current version. Serialized per user by an advisory lock.
 */
export async function ensureLibraryAgents(db: Db, userId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`library:${userId}`}))`);
    const versions = await currentVersions(tx as unknown as Db, userId);
    if (versions.size === 0) return;
    const rows = await tx
      .select({
        id: libraryAgents.id,
        graphId: libraryAgents.graphId,
        graphVersion: libraryAgents.graphVersion,
        auto: libraryAgents.useGraphIsActiveVersion,
        isDeleted: libraryAgents.isDeleted,
      })
      .from(libraryAgents)
      .where(eq(libraryAgents.userId, userId));
    const known = new Set(rows.map((r) => r.graphId));
    const now = new Date();
    const missing = [...versions].filter(([graphId]) => !known.has(graphId));
    if (missing.length > 0) {
      await tx.insert(libraryAgents).values(
        missing.map(([graphId, version]) => ({
          id: randomUUID(),
          userId,
          graphId,
          graphVersion: version,
          useGraphIsActiveVersion: true,
          isCreatedByUser: true,
          createdAt: now,
          updatedAt: now,
        })),
      );
    }
    for (const row of rows) {
      const current = versions.get(row.graphId);
      if (!row.auto || row.isDeleted || current === undefined || current === row.graphVersion) continue;
      await tx.update(libraryAgents).set({ graphVersion: current }).where(eq(libraryAgents.id, row.id));
    }
  });
}

/** Adds a library row for a graph the user just made (fork); returns it. */
export async function insertLibraryAgent(
  db: Db,
  userId: string,
  graph: { id: string; version: number },
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
      isCreatedByUser: true,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return row as LibraryAgentRow;
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
  const where = and(
    visible(userId),
    filter.favorite === undefined ? undefined : eq(libraryAgents.isFavorite, filter.favorite),
  );
  const [entries, [total]] = await Promise.all([
    entriesQuery(db, where)
      .orderBy(desc(libraryAgents.updatedAt), desc(libraryAgents.id))
      .limit(filter.limit)
      .offset(filter.offset),
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

/** The latest version number of a graph (for `is_latest_version`). */
export async function latestVersion(db: Db, graphId: string): Promise<number | undefined> {
  const [row] = await db
    .select({ max: sql<number | null>`max(${agentGraphs.version})` })
    .from(agentGraphs)
    .where(eq(agentGraphs.id, graphId));
  return row?.max === null || row?.max === undefined ? undefined : Number(row.max);
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

/** Soft-deletes a preset (its runs keep their preset_id); false when the user has no such preset. */
export async function deletePreset(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .update(agentPresets)
    .set({ isDeleted: true, updatedAt: new Date() })
    .where(and(eq(agentPresets.id, id), eq(agentPresets.userId, userId), eq(agentPresets.isDeleted, false)))
    .returning({ id: agentPresets.id });
  return rows.length === 1;
}
