// Human in the loop: the reviews HumanInTheLoop nodes wait on (the engine's HumanReviews port), the reviewer's
// lists, and the decision that queues a parked run again once none of its reviews waits any more.
import { isDeepStrictEqual } from "node:util";
import type { HumanReviews } from "../blocks/sdk.js";
import { ApiError } from "../core/errors.js";
import { toGraphExecution } from "../engine/records.js";
import { type EventBus, type ExecutionQueue, TERMINAL_STATUSES } from "../engine/types.js";
import type { Db } from "../infra/db/index.js";
import { findGraphExecution, updateGraphExecution } from "../infra/db/repos/executions.js";
import * as reviews from "../infra/db/repos/reviews.js";

export type ReviewRow = reviews.ReviewRow;

export interface ReviewServiceDeps {
  db: Db;
  queue: ExecutionQueue;
  events: EventBus;
}

/** One decision of POST /api/review/action (AutoGPT's ReviewItem). */
export interface ReviewDecisionInput {
  node_exec_id: string;
  approved: boolean;
  message?: string | null;
  reviewed_data?: unknown;
  auto_approve_future?: boolean;
}

/** AutoGPT's key for "approve this node's future reviews in this run". */
const autoApproveKey = (graphExecId: string, nodeId: string) => `auto_approve_${graphExecId}_${nodeId}`;

export class ReviewService implements HumanReviews {
  constructor(private readonly deps: ReviewServiceDeps) {}

  private get db() {
    return this.deps.db;
  }

  async getOrCreate(review: Parameters<HumanReviews["getOrCreate"]>[0]) {
    // As AutoGPT: with the graph's safe mode off, the data passes unreviewed.
    if (await reviews.safeModeOff(this.db, review.userId, review.graphId)) {
      return {
        status: "APPROVED" as const,
        payload: review.payload,
        reviewMessage: "Auto-approved (safe mode disabled)",
      };
    }
    const [auto] = await reviews.findReviews(
      this.db,
      [autoApproveKey(review.graphExecId, review.nodeId)],
      review.userId,
    );
    if (auto?.status === "APPROVED") {
      return {
        status: "APPROVED" as const,
        payload: review.payload,
        reviewMessage: "Auto-approved (user approved all future actions for this node)",
      };
    }
    const row = await reviews.getOrCreateReview(this.db, {
      nodeExecId: review.nodeExecId,
      userId: review.userId,
      graphExecId: review.graphExecId,
      graphId: review.graphId,
      graphVersion: review.graphVersion,
      nodeId: review.nodeId,
      payload: review.payload ?? null,
      instructions: review.instructions,
      editable: review.editable,
    });
    if (row.status !== "WAITING" && !row.processed) await reviews.markProcessed(this.db, row.nodeExecId);
    return { status: row.status, payload: row.payload, reviewMessage: row.reviewMessage };
  }

  /** The user's reviews waiting for a decision, newest first. */
  /** A parked run was stopped: what it waited on is rejected, and its parked nodes end with it. */
  endStoppedRun(graphExecId: string): Promise<void> {
    return reviews.endReviewsOfStoppedRun(this.deps.db, graphExecId, "Execution stopped before review");
  }

  pending(userId: string, page: number, pageSize: number): Promise<ReviewRow[]> {
    return reviews.listWaitingReviews(this.db, userId, { offset: (page - 1) * pageSize, limit: pageSize });
  }

  /** One of the user's runs' waiting reviews, oldest first; 404 for a run that is not theirs. */
  async ofExecution(userId: string, graphExecId: string): Promise<ReviewRow[]> {
    const run = await findGraphExecution(this.db, graphExecId, userId);
    if (!run) throw ApiError.notFound(`Graph execution #${graphExecId}`);
    // A run that ended (stopped while parked) has nothing left to review.
    if (TERMINAL_STATUSES.has(run.status)) return [];
    return reviews.listWaitingReviewsOfRun(this.db, graphExecId, userId);
  }

  /**
   * Decides reviews of one run (AutoGPT's process_review_action): each approved (with the reviewer's edits) or
   * rejected; once none of the run's reviews waits, the run is queued again and its parked nodes read the decisions.
   */
  async act(userId: string, items: ReviewDecisionInput[]) {
    const ids = [...new Set(items.map((i) => i.node_exec_id))];
    if (ids.length === 0) throw ApiError.badRequest("At least one review must be provided");
    const found = new Map((await reviews.findReviews(this.db, ids, userId)).map((r) => [r.nodeExecId, r]));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw ApiError.notFound(`Review(s) ${missing.join(", ")}`);
    const runIds = new Set([...found.values()].map((r) => r.graphExecId));
    if (runIds.size > 1) throw ApiError.conflict("All reviews in a single request must belong to the same execution.");
    const graphExecId = [...runIds][0] as string;
    const run = await findGraphExecution(this.db, graphExecId, userId);
    if (!run) throw ApiError.notFound(`Graph execution #${graphExecId}`);
    if (run.status !== "REVIEW" && run.status !== "INCOMPLETE") {
      throw ApiError.conflict(`Cannot process reviews while execution status is ${run.status}`);
    }
    const notWaiting = ids.filter((id) => found.get(id)?.status !== "WAITING");
    if (notWaiting.length > 0) {
      throw ApiError.badRequest(`Reviews not found, access denied, or not in WAITING status: ${notWaiting.join(", ")}`);
    }
    // Checked for all before any is written: a refused request decides nothing.
    for (const item of items) {
      const review = found.get(item.node_exec_id) as ReviewRow;
      const data = item.auto_approve_future ? undefined : item.reviewed_data;
      if (data !== undefined && data !== null && !isDeepStrictEqual(data, review.payload) && !review.editable) {
        throw ApiError.badRequest(`Review ${review.nodeExecId} is not editable`);
      }
    }
    let approved = 0;
    let rejected = 0;
    for (const item of items) {
      const review = found.get(item.node_exec_id) as ReviewRow;
      const data = item.auto_approve_future ? undefined : item.reviewed_data;
      const edited = data !== undefined && data !== null && !isDeepStrictEqual(data, review.payload);
      const message = item.message?.trim() ? item.message : null;
      const decided = await reviews.decideReview(this.db, review.nodeExecId, {
        status: item.approved ? "APPROVED" : "REJECTED",
        reviewMessage: message,
        wasEdited: edited,
        payload: edited ? data : review.payload,
      });
      if (!decided) continue;
      if (item.approved) approved++;
      else rejected++;
      if (item.approved && item.auto_approve_future) {
        await reviews.getOrCreateReview(this.db, {
          nodeExecId: autoApproveKey(graphExecId, review.nodeId),
          userId,
          graphExecId,
          graphId: review.graphId,
          graphVersion: review.graphVersion,
          nodeId: review.nodeId,
          payload: review.payload,
          instructions: "Auto-approval record",
          editable: false,
          status: "APPROVED",
          processed: true,
          reviewedAt: new Date(),
        });
      }
    }
    if ((await reviews.listWaitingReviewsOfRun(this.db, graphExecId, userId)).length === 0) {
      await this.resume(graphExecId, userId);
    }
    return { approved_count: approved, rejected_count: rejected, failed_count: 0, error: null };
  }

  /** Queues a parked run again (the sweeper queues it if this process dies before the queue has it). */
  private async resume(graphExecId: string, userId: string): Promise<void> {
    const row = await updateGraphExecution(this.db, graphExecId, { status: "QUEUED", workerId: null }, ["REVIEW"]);
    if (!row) return;
    this.deps.events.publish({
      type: "graph_execution_event",
      data: { ...toGraphExecution(row), event_type: "graph_execution_update" },
    });
    await this.deps.queue.enqueue({ graphExecId, userId });
  }
}

/** AutoGPT's PendingHumanReviewModel. */
export function reviewJSON(row: ReviewRow) {
  return {
    node_exec_id: row.nodeExecId,
    node_id: row.nodeId,
    user_id: row.userId,
    graph_exec_id: row.graphExecId,
    graph_id: row.graphId,
    graph_version: row.graphVersion,
    payload: row.payload ?? null,
    instructions: row.instructions,
    editable: row.editable,
    status: row.status,
    review_message: row.reviewMessage,
    was_edited: row.wasEdited,
    processed: row.processed,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    reviewed_at: row.reviewedAt?.toISOString() ?? null,
  };
}
