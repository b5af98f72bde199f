// The storage the engine asks for, in its own terms: `ExecutionStore` (runs, their node executions, leases and the
// sweeper's recovery statements) and `ScheduleStore` (due schedules and the per-tick claim). The database layer
// implements them on PGlite and PostgreSQL alike; `test/repos/execution-store-contract.ts` is the contract both pass.
import type { ExecutionStatus, GraphExecutionStats } from "./types.js";

/**
 * A graph execution as stored. JSON columns are `unknown` until read through the engine's views
 * (`toGraphExecution` in `records.ts`); `credentialInputs` is sealed (see credentials.ts).
 */
export interface RunRecord {
  id: string;
  graphId: string;
  graphVersion: number;
  userId: string;
  presetId: string | null;
  parentGraphExecutionId: string | null;
  status: ExecutionStatus;
  inputs: unknown;
  credentialInputs: unknown;
  nodesInputMasks: unknown;
  outputs: unknown;
  stats: unknown;
  isDeleted: boolean;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  /** The process that holds the run's lease, and when it last renewed it. */
  workerId: string | null;
  heartbeatAt: Date | null;
  /** Set while the owner shares the run (AutoGPT's share_token), and since when. */
  shareToken: string | null;
  sharedAt: Date | null;
}

/** A run to record: QUEUED for the queue, or RUNNING already leased to a worker (a sub-graph run). */
export interface NewRun {
  id: string;
  graphId: string;
  graphVersion: number;
  userId: string;
  status: ExecutionStatus;
  inputs: Record<string, unknown>;
  presetId?: string | null;
  parentGraphExecutionId?: string | null;
  /** Sealed credential inputs (credentials.ts `sealCredentials`). */
  credentialInputs?: unknown;
  /** Inputs given to particular nodes by id (AutoGPT's nodes_input_masks: a webhook's payload for its trigger). */
  nodesInputMasks?: Record<string, Record<string, unknown>> | null;
  startedAt?: Date | null;
  workerId?: string | null;
  heartbeatAt?: Date | null;
}

/** One node execution as the engine writes it, once, when the node finishes. */
export interface NodeExecutionWrite {
  id: string;
  graphExecutionId: string;
  nodeId: string;
  blockId: string;
  status: ExecutionStatus;
  inputData: Record<string, unknown>;
  outputData: Record<string, unknown[]>;
  /** What the node reported (usage, cost, timing); null while it waits for inputs. */
  stats: object | null;
  addedAt: Date;
  queuedAt: Date | null;
  startedAt: Date | null;
  endedAt: Date | null;
  /** Order of creation within the run. */
  seq: number;
}

/** A node execution as stored. */
export interface NodeExecutionRecord {
  id: string;
  graphExecutionId: string;
  nodeId: string;
  blockId: string;
  status: ExecutionStatus;
  inputData: unknown;
  outputData: unknown;
  stats: unknown;
  addedAt: Date;
  queuedAt: Date | null;
  startedAt: Date | null;
  endedAt: Date | null;
  seq: number;
}

export interface RunListFilter {
  graphId?: string;
  status?: ExecutionStatus[];
  /** 1-based. */
  page: number;
  pageSize: number;
}

/** How a run ends: the final status, stats and outputs its owner records. */
export interface RunOutcome {
  status: ExecutionStatus;
  stats: GraphExecutionStats;
  outputs: Record<string, unknown[]>;
  /** Null for a run parked in REVIEW: it has not ended. */
  endedAt: Date | null;
}

/** What the sweeper does while it holds the leader lock, inside the lock's transaction. */
export interface SweepStore {
  /**
   * Ends FAILED the RUNNING runs whose lease was last renewed before `cutoff` (or never), except `exclude`, at most
   * `limit` of them, oldest first; `reason` goes into `stats.error` (over `emptyStats` when the run had none).
   */
  endExpiredRuns(options: {
    cutoff: Date;
    exclude: string[];
    reason: string;
    emptyStats: GraphExecutionStats;
    limit: number;
  }): Promise<RunRecord[]>;
  /** The QUEUED and RUNNING node executions of these runs end with `status`; returns them. */
  endUnfinishedNodes(runIds: string[], status: ExecutionStatus): Promise<NodeExecutionRecord[]>;
  /**
   * QUEUED top-level runs nobody holds (held under an expired lease, or by nobody and created before
   * `unheldBefore`), at most `limit`: each is held for `workerId` from `now` and returned to be queued again.
   */
  holdOrphanedQueuedRuns(options: {
    workerId: string;
    now: Date;
    leaseCutoff: Date;
    unheldBefore: Date;
    limit: number;
  }): Promise<Array<{ id: string; userId: string }>>;
}

/**
 * Runs and node executions. Every write that changes who owns a run is conditional on its current status (and
 * owner), so two processes racing on one run cannot both win.
 */
export interface ExecutionStore extends SweepStore {
  createRun(run: NewRun): Promise<RunRecord>;
  /** A run that is not deleted, of `userId` when given. */
  findRun(id: string, userId?: string): Promise<RunRecord | undefined>;
  /** The user's runs, newest first, one page, with the total count. */
  listRuns(userId: string, filter: RunListFilter): Promise<{ rows: RunRecord[]; total: number }>;
  /** Ends a run still in one of `from` (not started) with `status` and `stats`; undefined when it is not. */
  endWaitingRun(
    id: string,
    from: ExecutionStatus[],
    values: { status: ExecutionStatus; stats: unknown },
  ): Promise<RunRecord | undefined>;
  /** Ends a RUNNING run whatever its lease (stop of a run no live executor here owns); undefined if not RUNNING. */
  endRunningRun(
    id: string,
    status: ExecutionStatus,
    reason: string,
    emptyStats: GraphExecutionStats,
  ): Promise<RunRecord | undefined>;
  /** Soft-deletes one of the user's runs; false when there is no such run. */
  deleteRun(userId: string, id: string): Promise<boolean>;

  /** Stores finished node executions in one write; storing one again (a retried write) changes nothing. */
  saveNodeExecutions(rows: NodeExecutionWrite[]): Promise<void>;
  /** A run's node executions in creation order, one page. */
  listNodeExecutions(runId: string, page: { offset: number; limit: number }): Promise<NodeExecutionRecord[]>;
  countNodeExecutions(runId: string): Promise<number>;

  /** Takes a QUEUED run for `workerId` (RUNNING, leased from `now`); undefined when it is not QUEUED any more. */
  claimRun(id: string, workerId: string, now: Date): Promise<RunRecord | undefined>;
  /** Renews the leases `workerId` still holds on these RUNNING runs; returns the ids it still holds. */
  renewLeases(workerId: string, ids: string[], now: Date): Promise<Set<string>>;
  /** Records the end of a run `workerId` still owns and releases its lease; undefined when the lease was lost. */
  finishRun(id: string, workerId: string, outcome: RunOutcome): Promise<RunRecord | undefined>;

  /**
   * Runs `sweep` holding the sweeper's leader lock, or returns undefined at once when another process holds it.
   * Its writes commit together; the lock is released at the end, or when the holding process dies.
   */
  asSweepLeader<T>(sweep: (store: SweepStore) => Promise<T>): Promise<T | undefined>;

  /** Why a call failed, in words that may be stored with a run and shown to its owner: never the values written. */
  failureMessage(err: unknown): string;
}

/** A cron schedule as stored; `credentials` is sealed (credentials.ts). */
export interface ScheduleRecord {
  id: string;
  userId: string;
  graphId: string;
  graphVersion: number;
  name: string;
  cron: string;
  timezone: string;
  inputs: unknown;
  credentials: unknown;
  nextRunAt: Date | null;
  lastFiredFor: Date | null;
  createdAt: Date;
}

/** The schedules the scheduler fires. */
export interface ScheduleStore {
  /** Schedules whose next run is at or before `now`, oldest tick first, at most `limit`. */
  findDue(now: Date, limit: number): Promise<ScheduleRecord[]>;
  /**
   * Claims the tick `due` of a schedule and moves it on to `next` (null: it will not run again). Only one claimer
   * of a tick, across processes, gets the schedule back.
   */
  claimTick(id: string, due: Date, next: Date | null): Promise<ScheduleRecord | undefined>;
}

/** One node execution's charge: who pays, what for, and how much (credits, > 0). */
export interface NodeCharge {
  userId: string;
  graphId: string;
  graphExecId: string;
  nodeId: string;
  nodeExecId: string;
  blockId: string;
  blockName: string;
  amount: number;
  /**
   * The charge for a node that has already run (its cost by run time): taken as far as the balance goes instead of
   * refused, as AutoGPT charges what it learns after the fact.
   */
  partial: boolean;
}

/** Where node executions are paid from (the credits ledger; absent when credits are off and runs are free). */
export interface CreditLedger {
  /**
   * Takes the charge in one atomic step, so parallel runs of one user never drive the balance below zero; returns
   * the error the node fails with when the balance cannot pay it (nothing is taken then).
   */
  charge(charge: NodeCharge): Promise<string | undefined>;
}
