// The caller's own agents as the chat tools see them: search by text, resolve a library agent id or graph id.
import { and, desc, eq, ilike, or } from "drizzle-orm";
import type { GraphModel } from "../../../core/graph-types.js";
import type { Db } from "../../../infra/db/index.js";
import * as graphRepo from "../../../infra/db/repos/graphs.js";
import { agentGraphs, libraryAgents } from "../../../infra/db/schema.js";

/** Words that mean "list everything" rather than a literal search (as AutoGPT's library search). */
const LIST_ALL = new Set(["", "all", "*", "everything", "any"]);

export function isListAll(query: string): boolean {
  return LIST_ALL.has(query.trim().toLowerCase());
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The caller's graphs (each at its latest active version) whose name or description contains `query`,
 * most recently created first; every graph for a list-all query.
 */
export async function searchUserGraphs(db: Db, userId: string, query: string, limit: number): Promise<GraphModel[]> {
  const text = query.trim();
  const pattern = `%${escapeLike(text)}%`;
  const matches = isListAll(text)
    ? undefined
    : or(ilike(agentGraphs.name, pattern), ilike(agentGraphs.description, pattern));
  const rows = await db
    .selectDistinctOn([agentGraphs.id], {
      id: agentGraphs.id,
      version: agentGraphs.version,
      createdAt: agentGraphs.createdAt,
    })
    .from(agentGraphs)
    .where(and(eq(agentGraphs.userId, userId), eq(agentGraphs.isActive, true), matches))
    .orderBy(agentGraphs.id, desc(agentGraphs.version));
  rows.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const graphs = await Promise.all(
    rows.slice(0, limit).map((r) => graphRepo.getGraph(db, userId, r.id, r.version, { subGraphs: false })),
  );
  return graphs.filter((g): g is GraphModel => g !== undefined);
}

export interface ResolvedAgent {
  graph: GraphModel;
  libraryAgentId: string | null;
}

/**
 * AutoGPT's run_agent identifier: a library agent id of the caller, or else one of the caller's graph ids.
 * Undefined when neither matches (another user's agent included).
 */
export async function resolveUserAgent(
  db: Db,
  loadGraph: (userId: string, graphId: string, version?: number) => Promise<GraphModel | undefined>,
  userId: string,
  id: string,
): Promise<ResolvedAgent | undefined> {
  const [library] = await db
    .select()
    .from(libraryAgents)
    .where(and(eq(libraryAgents.id, id), eq(libraryAgents.userId, userId), eq(libraryAgents.isDeleted, false)))
    .limit(1);
  if (library) {
    const version = library.useGraphIsActiveVersion ? undefined : library.graphVersion;
    const graph = await loadGraph(userId, library.graphId, version);
    return graph ? { graph, libraryAgentId: library.id } : undefined;
  }
  const graph = await loadGraph(userId, id);
  if (!graph) return undefined;
  const [byGraph] = await db
    .select({ id: libraryAgents.id })
    .from(libraryAgents)
    .where(
      and(eq(libraryAgents.graphId, graph.id), eq(libraryAgents.userId, userId), eq(libraryAgents.isDeleted, false)),
    )
    .limit(1);
  return { graph, libraryAgentId: byGraph?.id ?? null };
}
