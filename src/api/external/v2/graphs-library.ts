// The library row of a graph, for the v2 graph routes that read or change it (library-agent, settings).
// (Two small queries repos/library.ts does not have: lookup by graph id, and the settings write.)
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../../infra/db/index.js";
import * as library from "../../../infra/db/repos/library.js";
import { libraryAgents } from "../../../infra/db/schema.js";

/** The caller's library entry of their graph `graphId` (created first if the library has not caught up yet). */
export async function libraryEntryOfGraph(
  db: Db,
  userId: string,
  graphId: string,
): Promise<library.LibraryEntry | undefined> {
  await library.ensureLibraryAgents(db, userId);
  const [row] = await db
    .select({ id: libraryAgents.id })
    .from(libraryAgents)
    .where(
      and(eq(libraryAgents.userId, userId), eq(libraryAgents.graphId, graphId), eq(libraryAgents.isDeleted, false)),
    )
    .limit(1);
  return row ? library.getLibraryAgent(db, userId, row.id) : undefined;
}

/** Merges `changes` into a library agent's settings (one atomic update); returns the settings now stored. */
export async function updateLibrarySettings(
  db: Db,
  entry: library.LibraryEntry,
  changes: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const [row] = await db
    .update(libraryAgents)
    .set({ settings: sql`${libraryAgents.settings} || ${JSON.stringify(changes)}::jsonb`, updatedAt: new Date() })
    .where(eq(libraryAgents.id, entry.agent.id))
    .returning({ settings: libraryAgents.settings });
  return (row?.settings ?? {}) as Record<string, unknown>;
}
