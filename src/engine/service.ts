// What the run service asks of the engine: queue a checked run, stop it, read it, list runs, delete a finished one.
import { randomUUID } from "node:crypto";
import { ApiError } from "../core/errors.js";
import type { GraphModel } from "../core/graph-types.js";
import { sealCredentials } from "./credentials.js";
import { type Executor, emptyStats } from "./executor.js";
import type { ExecutionStore, RunRecord } from "./ports.js";
import { toGraphExecution, toNodeExecutionResult } from "./records.js";
import { type EventBus, type ExecutionQueue, type GraphExecutionWithNodes, TERMINAL_STATUSES } from "./types.js";

const STOPPED = "Execution was stopped";

/**
 * Node executions one read of a run returns, by default and at most. AutoGPT returns all of them; a run may have
 * tens of thousands, so the rest are read page by page (`?page=2`).
 */
export const NODE_EXECUTIONS_PAGE_SIZE = 1000;

export interface ExecutionServiceOptions {
  store: ExecutionStore;
  queue: ExecutionQueue;
  events: EventBus;
  executor?: Executor;
  /** ENCRYPTION_KEY: credential inputs are stored sealed with it. */
  encryptionKey: Buffer;
  /** Told when a run parked in REVIEW is stopped, so what it waited on ends with it. */
  onParkedRunStopped?: (graphExecId: string) => Promise<void>;
}

export interface StartRequest {
  inputs?: Record<string, unknown>;
  credentials_inputs?: Record<string, unknown>;
  presetId?: string | null;
  /** Inputs of particular nodes by id (a webhook trigger's payload). */
  nodesInputMasks?: Record<string, Record<string, unknown>> | null;
}

export class ExecutionService {
  constructor(private readonly options: ExecutionServiceOptions) {}

  private get store() {
    return this.options.store;
  }

  /** Queues a run of a graph version the caller has checked (src/services/runs.ts) and announces it. */
  async start(userId: string, graph: GraphModel, request: StartRequest) {
    const inputs = request.inputs ?? {};
    const row = await this.store.createRun({
      id: randomUUID(),
      graphId: graph.id,
      graphVersion: graph.version,
      userId,
      presetId: request.presetId ?? null,
      status: "QUEUED",
      inputs,
      credentialInputs: sealCredentials(this.options.encryptionKey, request.credentials_inputs),
      nodesInputMasks: request.nodesInputMasks ?? null,
    });
    this.options.events.publish({
      type: "graph_execution_event",
      data: { ...toGraphExecution(row), event_type: "graph_execution_update" },
    });
    await this.options.queue.enqueue({ graphExecId: row.id, userId });
    return row;
  }

  async mustFind(userId: string, graphExecId: string, graphId?: string) {
    const row = await this.store.findRun(graphExecId, userId);
    if (!row || (graphId && row.graphId !== graphId)) throw ApiError.notFound(`Graph execution ${graphExecId}`);
    return row;
  }

  /**
   * Stops a run: one still waiting ends TERMINATED at once; a running one is stopped by the executor that owns it
   * and awaited; one no executor of this process owns (an orphan of a dead process) is ended here.
   */
  async stop(userId: string, graphExecId: string, graphId?: string) {
    const row = await this.mustFind(userId, graphExecId, graphId);
    if (TERMINAL_STATUSES.has(row.status)) return row;
    if (row.status === "RUNNING") return this.stopRunning(row);
    const ended = await this.store.endWaitingRun(row.id, ["QUEUED", "INCOMPLETE", "REVIEW"], {
      status: "TERMINATED",
      stats: { ...((row.stats as object) ?? {}), error: STOPPED },
    });
    if (ended) {
      if (row.status === "REVIEW") await this.options.onParkedRunStopped?.(ended.id);
      this.publish(ended);
      return ended;
    }
    // It started meanwhile: stop it where it runs now.
    const now = await this.mustFind(userId, graphExecId);
    return now.status === "RUNNING" ? this.stopRunning(now) : now;
  }

  private async stopRunning(row: RunRecord): Promise<RunRecord> {
    if (await this.options.executor?.stop(row.id)) return this.mustFind(row.userId, row.id);
    // No executor here owns it: its process is gone (the lease is expiring) or it runs in another process. The
    // scale-out command channel will ask that owner first; without one the run ends here, and an owner still alive
    // sees at its next lease renewal that the run is no longer its own and stops executing it.
    const ended = await this.store.endRunningRun(row.id, "TERMINATED", STOPPED, emptyStats());
    if (!ended) return this.mustFind(row.userId, row.id); // it ended meanwhile
    const nodes = await this.store.endUnfinishedNodes([ended.id], "TERMINATED");
    this.publish(ended);
    for (const node of nodes) {
      this.options.events.publish({
        type: "node_execution_event",
        data: { ...toNodeExecutionResult(node, ended), event_type: "node_execution_update" },
      });
    }
    return ended;
  }

  private publish(row: RunRecord): void {
    this.options.events.publish({
      type: "graph_execution_event",
      data: { ...toGraphExecution(row), event_type: "graph_execution_update" },
    });
  }

  /** A run with one page of its node executions (the first NODE_EXECUTIONS_PAGE_SIZE unless asked). */
  async get(
    userId: string,
    graphExecId: string,
    graphId?: string,
    page: { page: number; pageSize: number } = { page: 1, pageSize: NODE_EXECUTIONS_PAGE_SIZE },
  ): Promise<GraphExecutionWithNodes> {
    const row = await this.mustFind(userId, graphExecId, graphId);
    const [nodes, total] = await Promise.all([
      this.store.listNodeExecutions(row.id, { offset: (page.page - 1) * page.pageSize, limit: page.pageSize }),
      this.store.countNodeExecutions(row.id),
    ]);
    return {
      ...toGraphExecution(row),
      node_executions: nodes.map((n) => toNodeExecutionResult(n, row)),
      node_executions_pagination: {
        total_items: total,
        total_pages: Math.ceil(total / page.pageSize),
        current_page: page.page,
        page_size: page.pageSize,
      },
    };
  }

  async remove(userId: string, graphExecId: string): Promise<void> {
    const row = await this.mustFind(userId, graphExecId);
    if (!TERMINAL_STATUSES.has(row.status)) {
      throw ApiError.conflict("The execution has not finished; stop it before deleting it", { status: row.status });
    }
    await this.store.deleteRun(userId, graphExecId);
  }
}
