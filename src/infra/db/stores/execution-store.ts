// The engine's ExecutionStore on the database (PGlite or PostgreSQL alike), over the executions and leases
// repositories: this file only binds them to a connection and to the engine's types.
import type {
  ExecutionStore,
  NewRun,
  NodeExecutionRecord,
  NodeExecutionWrite,
  RunListFilter,
  RunOutcome,
  RunRecord,
  SweepStore,
} from "../../../engine/ports.js";
import type { ExecutionStatus, GraphExecutionStats } from "../../../engine/types.js";
import { databaseErrorMessage } from "../errors.js";
import type { Db } from "../index.js";
import * as runs from "../repos/executions.js";
import * as leases from "../repos/leases.js";

/** The engine's records are the rows exactly: a column added to the schema must be added to them too. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const rowsMatch: [Same<RunRecord, runs.GraphExecutionRow>, Same<NodeExecutionRecord, runs.NodeExecutionRow>] = [
  true,
  true,
];
void rowsMatch;

/** What the sweeper may do inside its leader transaction. */
class SqlSweepStore implements SweepStore {
  constructor(protected readonly db: Db) {}

  endExpiredRuns(options: {
    cutoff: Date;
    exclude: string[];
    reason: string;
    emptyStats: GraphExecutionStats;
    limit: number;
  }): Promise<RunRecord[]> {
    return leases.endExpiredRuns(this.db, options);
  }

  endUnfinishedNodes(runIds: string[], status: ExecutionStatus): Promise<NodeExecutionRecord[]> {
    return leases.endUnfinishedNodes(this.db, runIds, status);
  }

  holdOrphanedQueuedRuns(options: {
    workerId: string;
    now: Date;
    leaseCutoff: Date;
    unheldBefore: Date;
    limit: number;
  }): Promise<Array<{ id: string; userId: string }>> {
    return leases.holdOrphanedQueuedRuns(this.db, options);
  }
}

export class SqlExecutionStore extends SqlSweepStore implements ExecutionStore {
  createRun(run: NewRun): Promise<RunRecord> {
    return runs.insertGraphExecution(this.db, run);
  }

  findRun(id: string, userId?: string): Promise<RunRecord | undefined> {
    return runs.findGraphExecution(this.db, id, userId);
  }

  listRuns(userId: string, filter: RunListFilter): Promise<{ rows: RunRecord[]; total: number }> {
    return runs.listGraphExecutions(this.db, userId, filter);
  }

  endWaitingRun(
    id: string,
    from: ExecutionStatus[],
    values: { status: ExecutionStatus; stats: unknown },
  ): Promise<RunRecord | undefined> {
    return runs.updateGraphExecution(this.db, id, { ...values, endedAt: new Date() }, from);
  }

  endRunningRun(
    id: string,
    status: ExecutionStatus,
    reason: string,
    emptyStats: GraphExecutionStats,
  ): Promise<RunRecord | undefined> {
    return leases.endRunningRun(this.db, id, status, reason, emptyStats);
  }

  deleteRun(userId: string, id: string): Promise<boolean> {
    return runs.softDeleteGraphExecution(this.db, userId, id);
  }

  saveNodeExecutions(rows: NodeExecutionWrite[]): Promise<void> {
    return runs.insertNodeExecutions(this.db, rows);
  }

  listNodeExecutions(runId: string, page: { offset: number; limit: number }): Promise<NodeExecutionRecord[]> {
    return runs.listNodeExecutions(this.db, runId, page);
  }

  countNodeExecutions(runId: string): Promise<number> {
    return runs.countNodeExecutions(this.db, runId);
  }

  claimRun(id: string, workerId: string, now: Date): Promise<RunRecord | undefined> {
    return leases.claimQueuedRun(this.db, id, workerId, now);
  }

  renewLeases(workerId: string, ids: string[], now: Date): Promise<Set<string>> {
    return leases.renewLeases(this.db, workerId, ids, now);
  }

  finishRun(id: string, workerId: string, outcome: RunOutcome): Promise<RunRecord | undefined> {
    return leases.finishOwnedRun(this.db, id, workerId, outcome);
  }

  asSweepLeader<T>(sweep: (store: SweepStore) => Promise<T>): Promise<T | undefined> {
    return leases.asSweepLeader(this.db, (tx) => sweep(new SqlSweepStore(tx)));
  }

  failureMessage(err: unknown): string {
    return databaseErrorMessage(err);
  }
}
