// The v2 run listing's query: the caller's runs filtered by graph, statuses and creation time, newest first.
// (repos/executions.ts lists by graph and status only; this adds the time window v2 filters on.)
import { and, count, desc, eq, gte, inArray, lte, type SQL } from "drizzle-orm";
import type { ExecutionStatus } from "../../../engine/types.js";
import type { Db } from "../../../infra/db/index.js";
import type { GraphExecutionRow } from "../../../infra/db/repos/executions.js";
import { graphExecutions } from "../../../infra/db/schema.js";

export interface RunFilter {
  graphId?: string;
  statuses?: ExecutionStatus[];
  createdFrom?: Date;
  createdUntil?: Date;
  offset: number;
  limit: number;
}

export async function listRuns(
  db: Db,
  userId: string,
  filter: RunFilter,
): Promise<{ rows: GraphExecutionRow[]; total: number }> {
  const conditions: SQL[] = [eq(graphExecutions.userId, userId), eq(graphExecutions.isDeleted, false)];
  if (filter.graphId) conditions.push(eq(graphExecutions.graphId, filter.graphId));
  if (filter.statuses?.length) conditions.push(inArray(graphExecutions.status, filter.statuses));
  if (filter.createdFrom) conditions.push(gte(graphExecutions.createdAt, filter.createdFrom));
  if (filter.createdUntil) conditions.push(lte(graphExecutions.createdAt, filter.createdUntil));
  const where = and(...conditions);
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(graphExecutions)
      .where(where)
      .orderBy(desc(graphExecutions.createdAt), desc(graphExecutions.id))
      .limit(filter.limit)
      .offset(filter.offset),
    db.select({ n: count() }).from(graphExecutions).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}
