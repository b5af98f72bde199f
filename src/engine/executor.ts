// The executor: takes one job per graph execution from the queue, runs it in-process under a lease it renews,
// persists and publishes what happens, and on shutdown lets its runs finish for a grace period.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyBaseLogger } from "fastify";
import type { BlockOutput, HumanReviews, SubgraphRequest, Usage, UserStorage } from "../blocks/sdk.js";
import { AsyncQueue } from "../core/async-queue.js";
import type { GraphModel } from "../core/graph-types.js";
import { runIssuesMessage, runRequestIssues } from "../core/run-request.js";
import type { HttpClient } from "../infra/http/client.js";
import type { CredentialsResolver, RunCredentials } from "./credentials.js";
import type { CreditLedger, ExecutionStore, NodeExecutionWrite, RunRecord } from "./ports.js";
import { toGraphExecution } from "./records.js";
import {
  GraphRun,
  type NodeExec,
  nodeExecResult,
  type ResumeState,
  type RunHooks,
  type RunLimits,
  type RunResult,
} from "./run.js";
import type { EventBus, ExecutionJob, ExecutionQueue, ExecutionStatus, GraphExecutionStats } from "./types.js";
import { NodeWriteBuffer } from "./write-buffer.js";

export type GraphLoader = (userId: string, graphId: string, version?: number) => Promise<GraphModel | undefined>;

export interface ExecutorOptions {
  store: ExecutionStore;
  events: EventBus;
  queue: ExecutionQueue;
  loadGraph: GraphLoader;
  blocks: Pick<RunHooks, "getBlock" | "prepareInput">;
  log: FastifyBaseLogger;
  runConcurrency: number;
  workerConcurrency: number;
  nodeTimeoutSeconds: number;
  /** The one outgoing-request client blocks use (ctx.http). */
  http: HttpClient;
  /** Decrypts the credentials nodes select (ctx.credentials). */
  credentials: CredentialsResolver;
  /** Where blocks keep the user's values across runs (ctx.storage). */
  storage?: UserStorage;
  /** The human reviews HumanInTheLoop nodes park on (ctx.humanReview); a run waiting on one ends in REVIEW. */
  reviews?: HumanReviews;
  /** Per-run limits; every run, sub-graph runs included, ends FAILED naming the one it hits. */
  limits: RunLimits;
  /** Where node executions are paid from (credits enabled); absent, runs are free. */
  credits?: CreditLedger;
  /** How often the leases of this process's running runs are renewed (one UPDATE for all of them). */
  heartbeatMs: number;
  /** The clock leases are stamped with (tests inject one). */
  now?: () => Date;
}

/** The reason a run gets when the process stops before the run finished, even after the grace period. */
export const SHUTDOWN_REASON = "Server shut down before the execution finished";

/** A run this process is executing, or is about to (its claim in flight). */
interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
  finish(): void;
  /** The row is RUNNING under this worker's lease. */
  leased: boolean;
  /** Its final write has begun: a lease missing from a renewal then means it ended, not that it was taken. */
  ending: boolean;
  /** Set when the process, not the graph, ends the run (shutdown): the status and reason it ends with. */
  endedBy?: { status: ExecutionStatus; error: string };
}

/** How deep AgentExecutor blocks may nest runs inside runs before the engine refuses (a graph calling itself). */
const MAX_SUBGRAPH_DEPTH = 10;

/** Graph versions kept in memory: a stored version never changes, so runs of a hot agent skip reloading it. */
const GRAPH_CACHE_SIZE = 256;

export class Executor {
  readonly workerId = randomUUID();
  private readonly graphs = new Map<string, GraphModel>();
  private readonly active = new Map<string, ActiveRun>();
  private readonly writes: NodeWriteBuffer;
  private readonly now: () => Date;
  private stopConsuming?: () => Promise<void>;
  private heartbeat?: NodeJS.Timeout;
  private renewing = false;
  private closing?: Promise<void>;
  private cutGrace?: () => void;

  constructor(private readonly options: ExecutorOptions) {
    this.now = options.now ?? (() => new Date());
    this.writes = new NodeWriteBuffer(options.store, {
      onError: (err, graphExecId) => options.log.error({ err, graphExecId }, "writing node executions failed"),
    });
  }

  start(): void {
    this.stopConsuming = this.options.queue.consume((job) => this.runJob(job), this.options.workerConcurrency);
    this.heartbeat = setInterval(() => void this.renewLeases(), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Whether this process is executing the run (or claiming it): its lease is alive while the process is. */
  owns(graphExecId: string): boolean {
    return this.active.has(graphExecId);
  }

  /** Ids of the runs this process executes, sub-executions included. */
  activeRuns(): string[] {
    return [...this.active.keys()];
  }

  /** Stops a run this process is executing; resolves when it has ended. False if it is not running here. */
  async stop(graphExecId: string): Promise<boolean> {
    const run = this.active.get(graphExecId);
    if (!run) return false;
    run.controller.abort();
    await run.done;
    return true;
  }

  /**
   * Stops taking runs, lets the running ones finish for up to `graceMs`, then ends the rest FAILED with
   * SHUTDOWN_REASON and flushes the writes. Runs still queued stay QUEUED for the next process to take.
   * Called again (a second signal), it cuts the grace period short.
   */
  close(graceMs = 0): Promise<void> {
    if (this.closing) {
      if (graceMs === 0) this.cutGrace?.();
      return this.closing;
    }
    this.closing = this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    // Detaches the consumer at once; what it returns settles when the jobs it had taken have ended.
    const consumed = this.stopConsuming?.();
    if (this.active.size > 0 && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        this.cutGrace = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([this.idle(), grace]);
      clearTimeout(timer);
    }
    for (const run of this.active.values()) {
      run.endedBy = { status: "FAILED", error: SHUTDOWN_REASON };
      run.controller.abort();
    }
    await this.idle();
    await consumed;
    clearInterval(this.heartbeat);
    await this.writes.flush();
  }

  /** Resolves when no run is active (runs may start sub-executions while it waits). */
  private async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active.values()].map((r) => r.done));
  }

  /** One UPDATE renews every lease; a run whose lease was taken away (stopped elsewhere, swept) is stopped here. */
  private async renewLeases(): Promise<void> {
    if (this.renewing) return;
    const ids = [...this.active].filter(([, run]) => run.leased && !run.ending).map(([id]) => id);
    if (ids.length === 0) return;
    this.renewing = true;
    try {
      const held = await this.options.store.renewLeases(this.workerId, ids, this.now());
      for (const id of ids) {
        const run = this.active.get(id);
        if (held.has(id) || !run || run.ending) continue;
        this.options.log.warn({ graphExecId: id }, "execution lost its lease (ended elsewhere); stopping it here");
        run.controller.abort();
      }
    } catch (err) {
      this.options.log.warn({ err }, "renewing execution leases failed");
    } finally {
      this.renewing = false;
    }
  }

  /** Registers a run before its row is claimed, so a stop arriving meanwhile finds it. */
  private register(graphExecId: string): ActiveRun {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const run: ActiveRun = { controller: new AbortController(), done, finish, leased: false, ending: false };
    this.active.set(graphExecId, run);
    return run;
  }

  private release(graphExecId: string, run: ActiveRun): void {
    if (this.active.get(graphExecId) === run) this.active.delete(graphExecId);
    run.finish();
  }

  private async runJob(job: ExecutionJob): Promise<void> {
    if (this.active.has(job.graphExecId)) return; // the same run queued twice
    const run = this.register(job.graphExecId);
    try {
      // The conditional claim is what makes a run that was queued twice (or by two processes) run once.
      const started = await this.options.store.claimRun(job.graphExecId, this.workerId, this.now());
      if (!started) return; // stopped while it waited, or taken by another process
      run.leased = true;
      this.publishGraph(started);
      await this.execute(started, run, 0);
    } finally {
      this.release(job.graphExecId, run);
    }
  }

  /** Runs a RUNNING execution to its end and records the outcome. */
  private async execute(
    row: RunRecord,
    active: ActiveRun,
    depth: number,
    onOutput?: (name: string, value: unknown) => void,
    parentSignal?: AbortSignal,
    parentCredentials?: RunCredentials,
  ): Promise<RunResult | undefined> {
    const { controller } = active;
    const stopWithParent = () => controller.abort();
    parentSignal?.addEventListener("abort", stopWithParent, { once: true });
    if (parentSignal?.aborted) controller.abort();
    let result: RunResult | undefined;
    let failure: string | undefined;
    let resume: ResumeState | undefined;
    try {
      // A top-level run queued again with stats already recorded was parked in REVIEW: it picks up where it stopped.
      resume = depth === 0 && row.stats != null ? await this.resumeState(row) : undefined;
      const graph = await this.graphVersion(row.userId, row.graphId, row.graphVersion);
      if (!graph) throw new Error(`Graph ${row.graphId} v${row.graphVersion} no longer exists`);
      const runInfo = { userId: row.userId, graphId: row.graphId, graphVersion: row.graphVersion, graphExecId: row.id };
      // A sub-graph uses its parent's credential inputs: the parent's credentials_input_schema includes its own.
      const credentials =
        parentCredentials ??
        this.options.credentials.forRun({ userId: row.userId, graphExecId: row.id, stored: row.credentialInputs });
      const run = new GraphRun(
        graph,
        {
          userId: row.userId,
          graphExecId: row.id,
          runConcurrency: this.options.runConcurrency,
          nodeTimeoutMs: this.options.nodeTimeoutSeconds * 1000,
          http: this.options.http,
          credentials,
          storage: this.options.storage,
          // Sub-agent runs do not park: resuming one inside its parent's node is not supported.
          reviews: depth === 0 ? this.options.reviews : undefined,
          signal: controller.signal,
          limits: this.options.limits,
          credits: this.options.credits,
        },
        {
          ...this.options.blocks,
          onNodeUpdate: (exec) => this.publishNode(exec, runInfo),
          onNodeFinished: (exec) => this.writes.add(nodeRow(exec, row.id)),
          onGraphOutput: onOutput,
          graphInfo: async (graphId, graphVersion) => {
            const found = await this.graphVersion(row.userId, graphId, graphVersion);
            return found && { name: found.name, description: found.description };
          },
          runSubgraph: (request, signal, report) =>
            this.runSubgraph(row, request, signal, depth + 1, report, credentials),
        },
      );
      result = await run.run(
        row.inputs as Record<string, unknown>,
        (row.nodesInputMasks as Record<string, Record<string, unknown>> | null) ?? {},
        resume,
      );
      if (resume) result = { ...result, stats: addStats(row.stats as GraphExecutionStats, result.stats) };
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
      this.options.log.warn({ err, graphExecId: row.id }, "graph execution failed");
    } finally {
      parentSignal?.removeEventListener("abort", stopWithParent);
    }
    active.ending = true;
    await this.writes.flush();
    const outcome = this.outcome(row.id, active, result, failure);
    const ended = await retryOnce(() =>
      this.options.store.finishRun(row.id, this.workerId, {
        ...outcome,
        endedAt: outcome.status === "REVIEW" ? null : new Date(),
      }),
    ).catch((err) => {
      // The row stays RUNNING under a lease nobody renews: the sweeper ends it.
      this.options.log.error({ err, graphExecId: row.id }, "recording the end of an execution failed");
      return undefined;
    });
    if (ended) this.publishGraph(ended);
    else this.options.log.info({ graphExecId: row.id }, "execution had already been ended elsewhere");
    return result && { ...result, status: outcome.status, stats: outcome.stats };
  }

  /** What a run ends as: its graph's result, unless the process ended it or its node results were lost. */
  private outcome(graphExecId: string, active: ActiveRun, result: RunResult | undefined, failure: string | undefined) {
    let status: ExecutionStatus = result?.status ?? "FAILED";
    let stats = result?.stats ?? { ...emptyStats(), error: failure ?? "Execution failed" };
    if (active.endedBy && status === "TERMINATED") {
      status = active.endedBy.status;
      stats = { ...stats, error: active.endedBy.error };
    }
    const lost = this.writes.takeFailure(graphExecId);
    if (lost) {
      const reason = `Node results could not be stored: ${lost}`;
      if (status === "COMPLETED") status = "FAILED";
      stats = { ...stats, error: stats.error ? `${stats.error}; ${reason}` : reason };
    }
    return { status, stats, outputs: result?.outputs ?? {} };
  }

  /** What a parked run left unfinished (its INCOMPLETE and REVIEW node executions); undefined if it parked none. */
  private async resumeState(row: RunRecord): Promise<ResumeState | undefined> {
    const graphExecId = row.id;
    const execs: ResumeState["execs"] = [];
    const lastInputs: ResumeState["lastInputs"] = {};
    const lastSeq = new Map<string, number>();
    let nextSeq = 0;
    const limit = 1000;
    for (let offset = 0; ; offset += limit) {
      const page = await this.options.store.listNodeExecutions(graphExecId, { offset, limit });
      for (const n of page) {
        nextSeq = Math.max(nextSeq, n.seq + 1);
        const data = (n.inputData as Record<string, unknown> | null) ?? {};
        if (n.status !== "INCOMPLETE" && n.status !== "REVIEW") {
          if ((lastSeq.get(n.nodeId) ?? -1) < n.seq) {
            lastSeq.set(n.nodeId, n.seq);
            lastInputs[n.nodeId] = data;
          }
          continue;
        }
        execs.push({ id: n.id, nodeId: n.nodeId, status: n.status, data, seq: n.seq, addedAt: n.addedAt });
      }
      if (page.length < limit) break;
    }
    if (!execs.some((e) => e.status === "REVIEW")) return undefined;
    return { execs, nextSeq, lastInputs, outputs: (row.outputs as Record<string, unknown[]> | null) ?? {} };
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
    parent: RunRecord,
    request: SubgraphRequest,
    signal: AbortSignal,
    depth: number,
    report: (usage: Usage) => void,
    credentials: RunCredentials,
  ): AsyncIterable<BlockOutput> {
    if (depth > MAX_SUBGRAPH_DEPTH) throw new Error(`Sub-graphs nest deeper than ${MAX_SUBGRAPH_DEPTH} levels`);
    const graph = await this.options.loadGraph(parent.userId, request.graphId, request.graphVersion);
    if (!graph) throw new Error(`Graph ${request.graphId} v${request.graphVersion} not found`);
    // The start-run rules every entry point applies; credentials are the parent run's, so only inputs are checked.
    const issues = runRequestIssues(graph, { inputs: request.inputs }).filter((i) => i.field.startsWith("inputs."));
    if (issues.length > 0) throw new Error(runIssuesMessage(issues));
    const childId = randomUUID();
    const active = this.register(childId);
    let child: RunRecord;
    try {
      child = await this.options.store.createRun({
        id: childId,
        graphId: graph.id,
        graphVersion: graph.version,
        userId: parent.userId,
        parentGraphExecutionId: parent.id,
        status: "RUNNING",
        inputs: request.inputs,
        startedAt: new Date(),
        workerId: this.workerId,
        heartbeatAt: this.now(),
      });
    } catch (err) {
      this.release(childId, active);
      throw err;
    }
    active.leased = true;
    this.publishGraph(child);
    const outputs = new AsyncQueue<BlockOutput>();
    const onOutput = (name: string, value: unknown) => outputs.push([name, value]);
    const running = this.execute(child, active, depth, onOutput, signal, credentials)
      .finally(() => this.release(childId, active))
      .then(
        (result) => {
          // As AutoGPT's AgentExecutorBlock: the sub-run's cost and node count become the node's.
          if (result) report({ cost: result.stats.cost, steps: result.stats.node_exec_count });
          if (!result || result.status === "FAILED") outputs.end(new Error(result?.stats.error ?? "Sub-graph failed"));
          else if (result.status === "TERMINATED") outputs.end(new Error("Sub-graph was stopped"));
          else outputs.end();
        },
        (err) => outputs.end(err),
      );
    yield* outputs;
    await running;
  }

  private publishGraph(row: RunRecord): void {
    this.options.events.publish({
      type: "graph_execution_event",
      data: { ...toGraphExecution(row), event_type: "graph_execution_update" },
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

/** One retry for the write that ends a run: a dropped connection must not leave it RUNNING for a lease period. */
async function retryOnce<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch {
    await sleep(200);
    return write();
  }
}

/** A resumed run's stats: what it used before it parked plus what it used since. */
function addStats(before: GraphExecutionStats | null, after: GraphExecutionStats): GraphExecutionStats {
  if (!before) return after;
  const sum = (key: keyof GraphExecutionStats) => ((before[key] as number) ?? 0) + ((after[key] as number) ?? 0);
  return {
    ...after,
    cost: sum("cost"),
    duration: sum("duration"),
    duration_cpu_only: sum("duration_cpu_only"),
    node_exec_time: sum("node_exec_time"),
    node_exec_time_cpu_only: sum("node_exec_time_cpu_only"),
    node_exec_count: sum("node_exec_count"),
    node_error_count: sum("node_error_count"),
  };
}

function nodeRow(exec: NodeExec, graphExecutionId: string): NodeExecutionWrite {
  return {
    id: exec.id,
    graphExecutionId,
    nodeId: exec.info.node.id,
    blockId: exec.info.block.id,
    status: exec.status,
    inputData: exec.status === "INCOMPLETE" ? exec.pins : exec.input,
    outputData: exec.output,
    stats: exec.status === "INCOMPLETE" ? null : exec.stats,
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
