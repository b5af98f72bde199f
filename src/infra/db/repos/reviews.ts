// Human reviews (AutoGPT's PendingHumanReview rows): created by a parked node, listed for their user, decided once.
import { and, asc, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "../index.js";
import { graphExecutions, libraryAgents, nodeExecutions, pendingHumanReviews } from "../schema.js";

export type ReviewRow = typeof pendingHumanReviews.$inferSelect;
export type NewReview = typeof pendingHumanReviews.$inferInsert;

/** The review of a node execution, created with `values` when there is none (one statement, race-free). */
export async function getOrCreateReview(db: Db, values: NewReview): Promise<ReviewRow> {
  const [created] = await db.insert(pendingHumanReviews).values(values).onConflictDoNothing().returning();
  if (created) return created;
  return (await findReviews(db, [values.nodeExecId], values.userId))[0] as ReviewRow;
}

export async function findReviews(db: Db, nodeExecIds: string[], userId: string): Promise<ReviewRow[]> {
  if (nodeExecIds.length === 0) return [];
  return db
    .select()
    .from(pendingHumanReviews)
    .where(and(inArray(pendingHumanReviews.nodeExecId, nodeExecIds), eq(pendingHumanReviews.userId, userId)));
}

/** The user's WAITING reviews of runs still parked in REVIEW, newest first (a stopped run's are not listed). */
export async function listWaitingReviews(
  db: Db,
  userId: string,
  page: { offset: number; limit: number },
): Promise<ReviewRow[]> {
  const rows = await db
    .select({ review: pendingHumanReviews })
    .from(pendingHumanReviews)
    .innerJoin(graphExecutions, eq(graphExecutions.id, pendingHumanReviews.graphExecId))
    .where(
      and(
        eq(pendingHumanReviews.userId, userId),
        eq(pendingHumanReviews.status, "WAITING"),
        eq(graphExecutions.status, "REVIEW"),
        eq(graphExecutions.isDeleted, false),
      ),
    )
    .orderBy(desc(pendingHumanReviews.createdAt))
    .offset(page.offset)
    .limit(page.limit);
  return rows.map((r) => r.review);
}

/** A run's WAITING reviews of the user, oldest first. */
export async function listWaitingReviewsOfRun(db: Db, graphExecId: string, userId: string): Promise<ReviewRow[]> {
  return db
    .select()
    .from(pendingHumanReviews)
    .where(
      and(
        eq(pendingHumanReviews.graphExecId, graphExecId),
        eq(pendingHumanReviews.userId, userId),
        eq(pendingHumanReviews.status, "WAITING"),
      ),
    )
    .orderBy(asc(pendingHumanReviews.createdAt));
}

/** Decides a WAITING review; undefined when it was decided meanwhile. */
export async function decideReview(
  db: Db,
  nodeExecId: string,
  values: Pick<NewReview, "status" | "reviewMessage" | "wasEdited" | "payload">,
): Promise<ReviewRow | undefined> {
  const [row] = await db
    .update(pendingHumanReviews)
    .set({ ...values, reviewedAt: new Date(), updatedAt: new Date() })
    .where(and(eq(pendingHumanReviews.nodeExecId, nodeExecId), eq(pendingHumanReviews.status, "WAITING")))
    .returning();
  return row;
}

export async function markProcessed(db: Db, nodeExecId: string): Promise<void> {
  await db
    .update(pendingHumanReviews)
    .set({ processed: true, updatedAt: new Date() })
    .where(eq(pendingHumanReviews.nodeExecId, nodeExecId));
}

/** Whether the user turned the graph's human-in-the-loop safe mode off (its library agent's settings; on by default). */
export async function safeModeOff(db: Db, userId: string, graphId: string): Promise<boolean> {
  const [row] = await db
    .select({ settings: libraryAgents.settings })
    .from(libraryAgents)
    .where(
      and(eq(libraryAgents.userId, userId), eq(libraryAgents.graphId, graphId), eq(libraryAgents.isDeleted, false)),
    )
    .limit(1);
  return (row?.settings as Record<string, unknown> | undefined)?.human_in_the_loop_safe_mode === false;
}

/**
 * A stopped parked run: its WAITING reviews end REJECTED with `message` (as AutoGPT's stop does) and its nodes
 * parked in REVIEW end TERMINATED, in one transaction.
 */
export async function endReviewsOfStoppedRun(db: Db, graphExecId: string, message: string): Promise<void> {
  await db.transaction(async (tx) => {
    const now = new Date();
    await tx
      .update(pendingHumanReviews)
      .set({ status: "REJECTED", reviewMessage: message, reviewedAt: now, updatedAt: now })
      .where(and(eq(pendingHumanReviews.graphExecId, graphExecId), eq(pendingHumanReviews.status, "WAITING")));
    await tx
      .update(nodeExecutions)
      .set({ status: "TERMINATED", endedAt: now })
      .where(and(eq(nodeExecutions.graphExecutionId, graphExecId), eq(nodeExecutions.status, "REVIEW")));
  });
}
