// The in-process execution queue: the embedded default. Jobs are lost with the process; the recovery sweep re-queues them from the database.
import type { ExecutionJob, ExecutionQueue } from "../../engine/types.js";

export class MemoryExecutionQueue implements ExecutionQueue {
  readonly shared = false;
  private readonly waiting: ExecutionJob[] = [];
  /** Runs with a job waiting or being handled, and how many jobs each has. */
  private readonly held = new Map<string, number>();
  private consumer?: { handler: (job: ExecutionJob) => Promise<void>; concurrency: number; active: Set<Promise<void>> };

  async enqueue(job: ExecutionJob): Promise<void> {
    this.waiting.push(job);
    this.held.set(job.graphExecId, (this.held.get(job.graphExecId) ?? 0) + 1);
    this.pump();
  }

  async has(graphExecId: string): Promise<boolean> {
    return this.held.has(graphExecId);
  }

  private release(job: ExecutionJob): void {
    const n = (this.held.get(job.graphExecId) ?? 1) - 1;
    if (n > 0) this.held.set(job.graphExecId, n);
    else this.held.delete(job.graphExecId);
  }

  consume(handler: (job: ExecutionJob) => Promise<void>, concurrency: number): () => Promise<void> {
    const consumer = { handler, concurrency, active: new Set<Promise<void>>() };
    this.consumer = consumer;
    this.pump();
    return async () => {
      if (this.consumer === consumer) this.consumer = undefined;
      await Promise.allSettled([...consumer.active]);
    };
  }

  private pump(): void {
    const consumer = this.consumer;
    if (!consumer) return;
    while (consumer.active.size < consumer.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift() as ExecutionJob;
      const running: Promise<void> = consumer
        .handler(job)
        .catch(() => {})
        .finally(() => {
          this.release(job);
          consumer.active.delete(running);
          this.pump();
        });
      consumer.active.add(running);
    }
  }

  async close(): Promise<void> {
    this.consumer = undefined;
    this.waiting.length = 0;
    this.held.clear();
  }
}
