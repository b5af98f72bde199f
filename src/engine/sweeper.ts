// The recovery sweeper: every interval, the one process that gets the sweeper's lock ends the RUNNING runs whose
// owner stopped renewing its lease and queues again the QUEUED runs nobody holds. It runs once at start, so a
// restart after a crash recovers at once; it is the same code on PGlite and PostgreSQL.
import type { FastifyBaseLogger } from "fastify";
import { emptyStats } from "./executor.js";
import type { ExecutionStore, NodeExecutionRecord, RunRecord } from "./ports.js";
import { toGraphExecution, toNodeExecutionResult } from "./records.js";
import type { EventBus, ExecutionQueue } from "./types.js";

/** The reason a run gets when the process executing it went away (crash, kill -9, lost host). */
export const LEASE_EXPIRED_REASON = "The worker running this execution stopped responding (lease expired)";

/** Rows one sweep handles of each kind; the next sweep takes the rest. */
const BATCH = 500;

export interface SweeperOptions {
  store: ExecutionStore;
  events: EventBus;
  queue: ExecutionQueue;
  log: Pick<FastifyBaseLogger, "info" | "warn" | "error">;
  /** This process's worker id: the QUEUED runs it queues again are held under it. */
  workerId: string;
  /** Runs this process executes right now: never swept, whatever their lease says. */
  activeRuns(): string[];
  leaseTtlMs: number;
  queuedGraceMs: number;
  intervalMs: number;
  /** The clock leases are compared with (tests inject one). */
  now?: () => Date;
}

export interface SweepResult {
  /** RUNNING runs ended FAILED because their lease expired. */
  expired: string[];
  /** QUEUED runs queued again. */
  requeued: string[];
}

export class Sweeper {
  private readonly now: () => Date;
  private readonly startedAt: Date;
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepResult | undefined>;

  constructor(private readonly options: SweeperOptions) {
    this.now = options.now ?? (() => new Date());
    this.startedAt = this.now();
  }

  /** Sweeps once now (awaited: a restart recovers before it serves), then every interval. */
  async start(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  /** One sweep; undefined when another process holds the sweeper's lock (it is sweeping right now). */
  sweep(): Promise<SweepResult | undefined> {
    // A slow sweep is not overlapped by the next tick.
    this.running ??= this.sweepOnce()
      .catch((err) => {
        this.options.log.warn({ error: (err as Error).message }, "recovery sweep failed");
        return undefined;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async sweepOnce(): Promise<SweepResult | undefined> {
    const { store, leaseTtlMs, queuedGraceMs, workerId } = this.options;
    const now = this.now();
    const leaseCutoff = new Date(now.getTime() - leaseTtlMs);
    // A run nobody holds may still be on its way into the queue of the process that created it, for a grace
    // period; one created before this process started can only be in the queue of a process that is gone.
    const unheldBefore = new Date(Math.max(this.startedAt.getTime(), now.getTime() - queuedGraceMs));
    const swept = await store.asSweepLeader(async (tx) => {
      const expired = await tx.endExpiredRuns({
        cutoff: leaseCutoff,
        exclude: this.options.activeRuns(),
        reason: LEASE_EXPIRED_REASON,
        emptyStats: emptyStats(),
        limit: BATCH,
      });
      const nodes = await tx.endUnfinishedNodes(
        expired.map((r) => r.id),
        "FAILED",
      );
      const queued = await tx.holdOrphanedQueuedRuns({
        workerId,
        now,
        leaseCutoff,
        unheldBefore,
        limit: BATCH,
      });
      return { expired, nodes, queued };
    });
    if (!swept) return undefined;
    // Side effects after the commit: what clients see, and the jobs.
    const runs = new Map(swept.expired.map((r) => [r.id, r]));
    for (const row of swept.expired) this.publishGraph(row);
    for (const node of swept.nodes) {
      const run = runs.get(node.graphExecutionId);
      if (run) this.publishNode(node, run);
    }
    const requeued: string[] = [];
    for (const job of swept.queued) {
      if (await this.options.queue.has(job.id)) continue; // still waiting here: now held again
      await this.options.queue.enqueue({ graphExecId: job.id, userId: job.userId });
      requeued.push(job.id);
    }
    const result = { expired: swept.expired.map((r) => r.id), requeued };
    if (result.expired.length > 0 || result.requeued.length > 0) {
      this.options.log.info(
        { expired: result.expired.length, requeued: result.requeued.length },
        "recovered executions left by a stopped worker",
      );
    }
    return result;
  }

  private publishGraph(row: RunRecord): void {
    this.options.events.publish({
      type: "graph_execution_event",
      data: { ...toGraphExecution(row), event_type: "graph_execution_update" },
    });
  }

  private publishNode(node: NodeExecutionRecord, run: RunRecord): void {
    this.options.events.publish({
      type: "node_execution_event",
      data: { ...toNodeExecutionResult(node, run), event_type: "node_execution_update" },
    });
  }
}
