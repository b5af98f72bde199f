// Node execution rows are written when the node finishes, batched over a few milliseconds into one multi-row INSERT.
// A write that fails is retried; a run whose rows still cannot be stored is told so and ends FAILED, never COMPLETED.
import { setTimeout as sleep } from "node:timers/promises";
import type { ExecutionStore, NodeExecutionWrite } from "./ports.js";

/** Rows per INSERT: keeps the bind parameters well under PostgreSQL's 65,535. */
const CHUNK = 500;
/**
 * How long rows may wait to be batched. On PGlite every statement costs main-thread CPU, so a chain of quick
 * nodes (each finishing on its own tick) must share one INSERT; a run's end always flushes at once.
 */
const WINDOW_MS = 5;
/** Pauses before the retries of a failed write (a dropped connection, a failover, a lock timeout). */
const RETRY_DELAYS_MS = [50, 500];

export interface NodeWriteBufferOptions {
  /** A run's rows could not be stored after the retries. */
  onError(err: unknown, graphExecutionId: string): void;
  retryDelaysMs?: readonly number[];
}

export class NodeWriteBuffer {
  private rows: NodeExecutionWrite[] = [];
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  /** Runs that lost node rows, with the reason; read once by the run's end. */
  private readonly failures = new Map<string, string>();

  constructor(
    private readonly store: Pick<ExecutionStore, "saveNodeExecutions" | "failureMessage">,
    private readonly options: NodeWriteBufferOptions,
  ) {}

  add(row: NodeExecutionWrite): void {
    this.rows.push(row);
    if (this.rows.length >= CHUNK) this.drain();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.timer = setTimeout(() => this.drain(), WINDOW_MS);
    }
  }

  private drain(): void {
    this.scheduled = false;
    clearTimeout(this.timer);
    const rows = this.rows;
    if (rows.length === 0) return;
    this.rows = [];
    this.chain = this.chain.then(async () => {
      for (let i = 0; i < rows.length; i += CHUNK) await this.write(rows.slice(i, i + CHUNK));
    });
  }

  private async write(rows: NodeExecutionWrite[]): Promise<void> {
    try {
      await this.store.saveNodeExecutions(rows);
      return;
    } catch {
      // Retried below, run by run, so that one run's unstorable row does not cost the others theirs.
    }
    const byRun = new Map<string, NodeExecutionWrite[]>();
    for (const row of rows) byRun.set(row.graphExecutionId, [...(byRun.get(row.graphExecutionId) ?? []), row]);
    for (const [runId, group] of byRun) {
      let failure: unknown;
      for (const delay of this.options.retryDelaysMs ?? RETRY_DELAYS_MS) {
        await sleep(delay);
        try {
          // Idempotent: a write that failed only on its way back is not stored twice.
          await this.store.saveNodeExecutions(group);
          failure = undefined;
          break;
        } catch (err) {
          failure = err;
        }
      }
      if (failure !== undefined) {
        if (!this.failures.has(runId)) this.failures.set(runId, this.store.failureMessage(failure));
        this.options.onError(failure, runId);
      }
    }
  }

  /** Resolves once every row added so far is written (or given up on). */
  async flush(): Promise<void> {
    this.drain();
    await this.chain;
  }

  /** Why some of the run's node rows could not be stored, if they could not; forgets it. */
  takeFailure(graphExecutionId: string): string | undefined {
    const failure = this.failures.get(graphExecutionId);
    this.failures.delete(graphExecutionId);
    return failure;
  }
}
