// Execution sharing: the share token on a run, and the public read of a shared run with its graph's name.
import { and, eq } from "drizzle-orm";
import type { Db } from "../index.js";
import { agentGraphs, graphExecutions } from "../schema.js";

/**
 * Sets (or, with null, clears) the share token of the user's run of graph `graphId`; false when the user has no such
 * run. A new token replaces the old one, so an earlier link stops working.
 */
export async function setShareToken(
  db: Db,
  userId: string,
  graphId: string,
  executionId: string,
  token: string | null,
  at: Date,
): Promise<boolean> {
  const rows = await db
    .update(graphExecutions)
    .set({ shareToken: token, sharedAt: token ? at : null })
    .where(
      and(
        eq(graphExecutions.id, executionId),
        eq(graphExecutions.graphId, graphId),
        eq(graphExecutions.userId, userId),
        eq(graphExecutions.isDeleted, false),
      ),
    )
    .returning({ id: graphExecutions.id });
  return rows.length > 0;
}

/** The shared run the token opens, with the name and description of the graph version it ran. */
export async function findShared(db: Db, token: string) {
  const [row] = await db
    .select({
      id: graphExecutions.id,
      status: graphExecutions.status,
      createdAt: graphExecutions.createdAt,
      outputs: graphExecutions.outputs,
      graphName: agentGraphs.name,
      graphDescription: agentGraphs.description,
    })
    .from(graphExecutions)
    .leftJoin(
      agentGraphs,
      and(eq(agentGraphs.id, graphExecutions.graphId), eq(agentGraphs.version, graphExecutions.graphVersion)),
    )
    .where(and(eq(graphExecutions.shareToken, token), eq(graphExecutions.isDeleted, false)))
    .limit(1);
  return row;
}
