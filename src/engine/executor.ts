// The executor: takes one job per graph execution from the queue, runs it in-process, persists and publishes what happens.
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { BlockOutput, SubgraphRequest } from "../blocks/sdk.js";
import { AsyncQueue } from "../core/async-queue.js";
import type { GraphModel } from "../core/graph-types.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/executions.js";
import { GraphRun, type NodeExec, type RunHooks, type RunLimits, type RunResult, nodeExecResult } from "./run.js";
import type { EventBus, ExecutionJob, ExecutionQueue } from "./types.js";
import { NodeWriteBuffer } from "./write-buffer.js";

export type GraphLoader = (userId: string, graphId: string, version?: number) => Promise<GraphModel | undefined>;

export interface ExecutorOptions {
  db: Db;
  events: EventBus;
  queue: ExecutionQueue;
  loadGraph: GraphLoader;
  blocks: Pick<RunHooks, "getBlock" | "prepareInput">;
  log: FastifyBaseLogger;
  runConcurrency: number;
  workerConcurrency: number;
  nodeTimeoutSeconds: number;
  httpAllowList: readonly string[];
  /** Per-run limits; every run, sub-graph runs included, ends FAILED naming the one it hits. */
  limits: RunLimits;
}

/** How deep AgentExecutor blocks may nest runs inside runs before the engine refuses (a graph calling itself). */
const MAX_SUBGRAPH_DEPTH = 10;

/** Graph versions kept in memory: a stored version never changes, so runs of a hot agent skip reloading it. */
const GRAPH_CACHE_SIZE = 256;

export class Executor {
  readonly workerId = randomUUID();
  private readonly graphs = new Map<string, GraphModel>();
  private readonly active = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  private readonly writes: NodeWriteBuffer;
  private stopConsuming?: () => Promise<void>;

  constructor(private readonly options: ExecutorOptions) {
    this.writes = new NodeWriteBuffer(options.db, (err) => options.log.error({ err }, "writing node executions failed"));
  }

  start(): void {
    this.stopConsuming = this.options.queue.consume((job) => this.runJob(job), this.options.workerConcurrency);
  }

  /**
   * After a restart of the single embedded process: runs still QUEUED are queued again; runs that were
   * RUNNING cannot be resumed safely (their nodes may have had side effects), so they end FAILED with the reason.
   */
  async recover(): Promise<void> {
    for (const row of await repo.findUnfinishedExecutions(this.options.db)) {
      if (row.status === "QUEUED" && !row.parentGraphExecutionId) {
        await this.options.queue.enqueue({ graphExecId: row.id, userId: row.userId });
        continue;
      }
      const ended = await repo.updateGraphExecution(this.options.db, row.id, {
        status: "FAILED",
        endedAt: new Date(),
        stats: { ...((row.stats as object) ?? {}), error: "Execution was interrupted by a server restart" },
      });
      if (ended) this.publishGraph(ended);
    }
  }

  /** Stops a run this process is executing; resolves when it has ended. False if it is not running here. */
  async stop(graphExecId: string): Promise<boolean> {
    const run = this.active.get(graphExecId);
    if (!run) return false;
    run.controller.abort();
    await run.done;
    return true;
  }

  async close(): Promise<void> {
    for (const run of this.active.values()) run.controller.abort();
    await this.stopConsuming?.();
    await Promise.allSettled([...this.active.values()].map((r) => r.done));
    await this.writes.flush();
  }

  private async runJob(job: ExecutionJob): Promise<void> {
    const row = await repo.findGraphExecution(this.options.db, job.graphExecId);
    if (!row || row.status !== "QUEUED") return;
    const started = await repo.updateGraphExecution(
      this.options.db,
      row.id,
      { status: "RUNNING", startedAt: new Date(), workerId: this.workerId, heartbeatAt: new Date() },
      ["QUEUED"],
    );
    if (!started) return; // stopped while it waited
    this.publishGraph(started);
    await this.execute(started, 0);
  }

  /** Runs a RUNNING execution to its end and records the outcome. */
  private async execute(
    row: repo.GraphExecutionRow,
    depth: number,
    onOutput?: (name: string, value: unknown) => void,
    parentSignal?: AbortSignal,
  ): Promise<RunResult | undefined> {
    const controller = new AbortController();
    const stopWithParent = () => controller.abort();
    parentSignal?.addEventListener("abort", stopWithParent, { once: true });
    let finished!: () => void;
    this.active.set(row.id, { controller, done: new Promise<void>((r) => (finished = r)) });
    let result: RunResult | undefined;
    let failure: string | undefined;
    try {
      const graph = await this.graphVersion(row.userId, row.graphId, row.graphVersion);
      if (!graph) throw new Error(`Graph ${row.graphId} v${row.graphVersion} no longer exists`);
      const runInfo = { userId: row.userId, graphId: row.graphId, graphVersion: row.graphVersion, graphExecId: row.id };
      const run = new GraphRun(
        graph,
        {
          userId: row.userId,
          graphExecId: row.id,
          runConcurrency: this.options.runConcurrency,
          nodeTimeoutMs: this.options.nodeTimeoutSeconds * 1000,
          httpAllowList: this.options.httpAllowList,
          signal: controller.signal,
          limits: this.options.limits,
        },
        {
          ...this.options.blocks,
          onNodeUpdate: (exec) => this.publishNode(exec, runInfo),
          onNodeFinished: (exec) => this.writes.add(nodeRow(exec, row.id)),
          onGraphOutput: onOutput,
          runSubgraph: (request, signal) => this.runSubgraph(row, request, signal, depth + 1),
        },
      );
      result = await run.run(row.inputs as Record<string, unknown>);
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
      this.options.log.warn({ err, graphExecId: row.id }, "graph execution failed");
    } finally {
      parentSignal?.removeEventListener("abort", stopWithParent);
    }
    try {
      await this.writes.flush();
      const ended = await repo.updateGraphExecution(this.options.db, row.id, {
        status: result?.status ?? "FAILED",
        stats: result?.stats ?? { ...emptyStats(), error: failure ?? "Execution failed" },
        outputs: result?.outputs ?? {},
        endedAt: new Date(),
        workerId: null,
      });
      if (ended) this.publishGraph(ended);
    } finally {
      this.active.delete(row.id);
      finished();
    }
    return result;
  }

  private async graphVersion(userId: string, graphId: string, version: number): Promise<GraphModel | undefined> {
    const key = `${graphId}:${version}`;
    const hit = this.graphs.get(key);
    if (hit && hit.user_id === userId) return hit;
    const graph = await this.options.loadGraph(userId, graphId, version);
    if (graph && graph.version === version) {
      if (this.graphs.size >= GRAPH_CACHE_SIZE) this.graphs.delete(this.graphs.keys().next().value as string);
      this.graphs.set(key, graph);
    }
    return graph;
  }

  /** AgentExecutorBlock: runs another graph of the same user as a child execution, streaming its outputs. */
  private async *runSubgraph(
    parent: repo.GraphExecutionRow,
    request: SubgraphRequest,
    signal: AbortSignal,
    depth: number,
  ): AsyncIterable<BlockOutput> {
    if (depth > MAX_SUBGRAPH_DEPTH) throw new Error(`Sub-graphs nest deeper than ${MAX_SUBGRAPH_DEPTH} levels`);
    const graph = await this.options.loadGraph(parent.userId, request.graphId, request.graphVersion);
    if (!graph) throw new Error(`Graph ${request.graphId} v${request.graphVersion} not found`);
    const child = await repo.insertGraphExecution(this.options.db, {
      id: randomUUID(),
      graphId: graph.id,
      graphVersion: graph.version,
      userId: parent.userId,
      parentGraphExecutionId: parent.id,
      status: "RUNNING",
      inputs: request.inputs,
      startedAt: new Date(),
      workerId: this.workerId,
    });
    this.publishGraph(child);
    const outputs = new AsyncQueue<BlockOutput>();
    const running = this.execute(child, depth, (name, value) => outputs.push([name, value]), signal).then(
      (result) => {
        if (!result || result.status === "FAILED") outputs.end(new Error(result?.stats.error ?? "Sub-graph failed"));
        else if (result.status === "TERMINATED") outputs.end(new Error("Sub-graph was stopped"));
        else outputs.end();
      },
      (err) => outputs.end(err),
    );
    yield* outputs;
    await running;
  }

  private publishGraph(row: repo.GraphExecutionRow): void {
    this.options.events.publish({
      type: "graph_execution_event",
      data: { ...repo.toGraphExecution(row), event_type: "graph_execution_update" },
    });
  }

  private publishNode(
    exec: NodeExec,
    run: { userId: string; graphId: string; graphVersion: number; graphExecId: string },
  ): void {
    this.options.events.publish({
      type: "node_execution_event",
      data: { ...nodeExecResult(exec, run), event_type: "node_execution_update" },
    });
  }
}

function nodeRow(exec: NodeExec, graphExecutionId: string): repo.NewNodeExecution {
  return {
    id: exec.id,
    graphExecutionId,
    nodeId: exec.info.node.id,
    blockId: exec.info.block.id,
    status: exec.status,
    inputData: exec.status === "INCOMPLETE" ? exec.pins : exec.input,
    outputData: exec.output,
    addedAt: exec.addTime,
    queuedAt: exec.queueTime,
    startedAt: exec.startTime,
    endedAt: exec.endTime,
    seq: exec.seq,
  };
}

export function emptyStats() {
  return {
    cost: 0,
    duration: 0,
    duration_cpu_only: 0,
    node_exec_time: 0,
    node_exec_time_cpu_only: 0,
    node_exec_count: 0,
    node_error_count: 0,
    error: null as string | null,
    activity_status: null,
    correctness_score: null,
  };
}
