// The caller's own agents as the chat tools see them: search by text, resolve a library agent id or graph id.
// (The rules are GraphService's and LibraryService's; this names them for the tools.)
import type { FastifyInstance } from "fastify";
import type { GraphModel } from "../../../core/graph-types.js";

type Platform = FastifyInstance["platform"];

export { isListAll } from "../../../services/graphs.js";

/**
 * The caller's graphs (each at its latest active version) whose name or description contains `query`,
 * most recently created first; every graph for a list-all query.
 */
export function searchUserGraphs(platform: Platform, userId: string, query: string, limit: number) {
  return platform.graphs.search(userId, query, limit);
}

export interface ResolvedAgent {
  graph: GraphModel;
  libraryAgentId: string | null;
}

/** AutoGPT's run_agent identifier: a library agent id, or else a graph id, of the caller. */
export function resolveUserAgent(platform: Platform, userId: string, id: string): Promise<ResolvedAgent | undefined> {
  return platform.library.resolve(userId, id);
}
