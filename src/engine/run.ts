// One graph execution in memory: which node executions wait for which pins, which are ready, and what each produced.
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { Block, BlockContext, BlockOutput, SubgraphRequest } from "../blocks/sdk.js";
import type { GraphModel, Link, Node } from "../core/graph-types.js";
import { mergeExecutionInput, parseExecutionOutput } from "../core/pins.js";
import type { ExecutionStatus, GraphExecutionStats, NodeExecutionResult } from "./types.js";

/** A node as the scheduler sees it: its block, and the pins links feed (raw names, e.g. `values_#_a`). */
interface NodeInfo {
  node: Node;
  block: Block;
  inboundPins: string[];
  staticInbound: Link[];
  /** Whether a link reads the node's `error` output: if so, a failure there is handled by the graph. */
  handlesErrors: boolean;
}

/** One execution of one node: collecting pins (INCOMPLETE), waiting for a slot (QUEUED), running, finished. */
export interface NodeExec {
  id: string;
  seq: number;
  info: NodeInfo;
  status: ExecutionStatus;
  pins: Record<string, unknown>;
  input: Record<string, unknown>;
  output: Record<string, unknown[]>;
  addTime: Date;
  queueTime: Date | null;
  startTime: Date | null;
  endTime: Date | null;
}

export interface RunHooks {
  /** Resolves a block id; the run refuses nodes whose block is unknown. */
  getBlock(id: string): Block | undefined;
  /** Coerces and validates a node's merged input against its block; returns the input to run with, or why not. */
  prepareInput(block: Block, input: Record<string, unknown>): { ok: true; input: Record<string, unknown> } | { ok: false; error: string };
  /** A node execution changed status (events). */
  onNodeUpdate(exec: NodeExec): void;
  /** A node execution reached a final status (COMPLETED, FAILED, TERMINATED) or was left INCOMPLETE: persist it. */
  onNodeFinished(exec: NodeExec): void;
  /** An AgentOutput node produced a graph output. */
  onGraphOutput?(name: string, value: unknown): void;
  runSubgraph(request: SubgraphRequest, signal: AbortSignal): AsyncIterable<BlockOutput>;
}

export interface RunOptions {
  userId: string;
  graphExecId: string;
  runConcurrency: number;
  nodeTimeoutMs: number;
  httpAllowList: readonly string[];
  /** Aborted when the run is stopped. */
  signal: AbortSignal;
}

export interface RunResult {
  status: ExecutionStatus;
  stats: GraphExecutionStats;
  outputs: Record<string, unknown[]>;
}

const STOPPED = Symbol("stopped");
const TIMED_OUT = Symbol("timed out");

function message(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

export class GraphRun {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pending = new Map<string, NodeExec[]>();
  private readonly lastPins = new Map<string, Record<string, unknown>>();
  private readonly ready: NodeExec[] = [];
  private readonly running = new Set<NodeExec>();
  private readonly outputs: Record<string, unknown[]> = {};
  private seq = 0;
  private unhandledError: string | null = null;
  private nodeCount = 0;
  private nodeErrors = 0;
  private nodeTime = 0;
  private nodeCpu = 0;
  private finish?: () => void;

  constructor(
    private readonly graph: GraphModel,
    private readonly options: RunOptions,
    private readonly hooks: RunHooks,
  ) {
    for (const node of graph.nodes) {
      const block = hooks.getBlock(node.block_id);
      if (!block) throw new Error(`Node ${node.id} uses unknown block ${node.block_id}`);
      this.nodes.set(node.id, { node, block, inboundPins: [], staticInbound: [], handlesErrors: false });
    }
    for (const link of graph.links) {
      const sink = this.nodes.get(link.sink_id);
      const source = this.nodes.get(link.source_id);
      if (!sink || !source) continue;
      if (!sink.inboundPins.includes(link.sink_name)) sink.inboundPins.push(link.sink_name);
      if (link.is_static) sink.staticInbound.push(link);
      if (link.source_name === "error") source.handlesErrors = true;
    }
    // Links are read from the graph's link list, so node.output_links need not be filled in by the caller.
    for (const info of this.nodes.values()) info.node = { ...info.node, output_links: [] };
    for (const link of graph.links) this.nodes.get(link.source_id)?.node.output_links.push(link);
  }

  /** Runs to the end: every ready node executed, or the run stopped. */
  async run(inputs: Record<string, unknown>): Promise<RunResult> {
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    const done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    const onStop = () => this.terminateWaiting();
    // Every running node listens on the run's signal: as many listeners as the run's concurrency.
    setMaxListeners(this.options.runConcurrency + 10, this.options.signal);
    this.options.signal.addEventListener("abort", onStop, { once: true });
    try {
      for (const info of this.nodes.values()) {
        const type = info.block.blockType;
        if (type === "Note") continue;
        if (info.inboundPins.length > 0 && type !== "Input") continue;
        const name = info.node.input_default.name;
        const pins = type === "Input" && typeof name === "string" && name in inputs ? { value: inputs[name] } : {};
        this.tryReady(info, this.newExec(info, pins));
      }
      if (this.options.signal.aborted) this.terminateWaiting();
      this.checkDone();
      await done;
    } finally {
      this.options.signal.removeEventListener("abort", onStop);
    }
    for (const execs of this.pending.values()) for (const exec of execs) this.hooks.onNodeFinished(exec);
    const cpu = process.cpuUsage(cpuStart);
    const status: ExecutionStatus = this.options.signal.aborted
      ? "TERMINATED"
      : this.unhandledError
        ? "FAILED"
        : "COMPLETED";
    return {
      status,
      outputs: this.outputs,
      stats: {
        cost: 0,
        duration: (performance.now() - started) / 1000,
        duration_cpu_only: (cpu.user + cpu.system) / 1e6,
        node_exec_time: this.nodeTime,
        node_exec_time_cpu_only: this.nodeCpu,
        node_exec_count: this.nodeCount,
        node_error_count: this.nodeErrors,
        error: status === "TERMINATED" ? "Execution was stopped" : this.unhandledError,
        activity_status: null,
        correctness_score: null,
      },
    };
  }

  private newExec(info: NodeInfo, pins: Record<string, unknown>): NodeExec {
    return {
      id: randomUUID(),
      seq: this.seq++,
      info,
      status: "INCOMPLETE",
      pins,
      input: {},
      output: {},
      addTime: new Date(),
      queueTime: null,
      startTime: null,
      endTime: null,
    };
  }

  /** Queues the execution once every linked pin has a value; static pins missing are taken from the node's last run. */
  private tryReady(info: NodeInfo, exec: NodeExec): void {
    const last = this.lastPins.get(info.node.id);
    if (last) {
      for (const link of info.staticInbound) {
        if (!(link.sink_name in exec.pins) && link.sink_name in last) exec.pins[link.sink_name] = last[link.sink_name];
      }
    }
    for (const pin of info.inboundPins) {
      if (!(pin in exec.pins)) {
        const queue = this.pending.get(info.node.id);
        if (!queue) this.pending.set(info.node.id, [exec]);
        else if (!queue.includes(exec)) queue.push(exec);
        return;
      }
    }
    const queue = this.pending.get(info.node.id);
    if (queue) {
      const i = queue.indexOf(exec);
      if (i >= 0) queue.splice(i, 1);
    }
    this.lastPins.set(info.node.id, exec.pins);
    if (this.options.signal.aborted) {
      this.end(exec, "TERMINATED");
      return;
    }
    const merged = packAgentInputs(info.block, mergeExecutionInput({ ...info.node.input_default, ...exec.pins }));
    const prepared = this.hooks.prepareInput(info.block, merged);
    if (!prepared.ok) {
      exec.input = merged;
      this.fail(exec, prepared.error);
      return;
    }
    exec.input = prepared.input;
    exec.status = "QUEUED";
    exec.queueTime = new Date();
    this.ready.push(exec);
    this.hooks.onNodeUpdate(exec);
    this.schedule();
  }

  private schedule(): void {
    while (this.running.size < this.options.runConcurrency && this.ready.length > 0) {
      const exec = this.ready.shift() as NodeExec;
      this.running.add(exec);
      this.execute(exec).finally(() => {
        this.running.delete(exec);
        this.schedule();
        this.checkDone();
      });
    }
  }

  private checkDone(): void {
    if (this.running.size === 0 && this.ready.length === 0) this.finish?.();
  }

  private async execute(exec: NodeExec): Promise<void> {
    const { block } = exec.info;
    exec.status = "RUNNING";
    exec.startTime = new Date();
    this.hooks.onNodeUpdate(exec);
    const controller = new AbortController();
    const onStop = () => controller.abort(STOPPED);
    this.options.signal.addEventListener("abort", onStop, { once: true });
    const timer = setTimeout(() => controller.abort(TIMED_OUT), this.options.nodeTimeoutMs);
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }),
    );
    aborted.catch(() => {});
    const t0 = performance.now();
    let failure: string | undefined;
    let generator: AsyncGenerator<BlockOutput, void, unknown> | undefined;
    try {
      generator = block.run(exec.input as never, this.context(exec, controller.signal));
      for (;;) {
        const step = await Promise.race([generator.next(), aborted]);
        if (step.done) break;
        const [name, value] = step.value;
        if (name === "error") {
          failure = String(value);
          break;
        }
        this.emit(exec, name, value);
      }
    } catch (err) {
      if (controller.signal.reason === STOPPED) {
        exec.status = "TERMINATED";
      } else if (controller.signal.reason === TIMED_OUT) {
        failure = `Node execution exceeded ${this.options.nodeTimeoutMs / 1000}s wall-clock cap`;
      } else {
        failure = message(err);
      }
    } finally {
      clearTimeout(timer);
      this.options.signal.removeEventListener("abort", onStop);
      if (!controller.signal.aborted) controller.abort(STOPPED);
      generator?.return(undefined).catch(() => {});
    }
    // Per-node CPU time is not measured (two syscalls per node); node_exec_time_cpu_only reports wall time.
    const elapsed = (performance.now() - t0) / 1000;
    this.nodeTime += elapsed;
    this.nodeCpu += elapsed;
    this.nodeCount++;
    if (exec.status === "TERMINATED") this.end(exec, "TERMINATED");
    else if (failure !== undefined) this.fail(exec, failure);
    else {
      if (block.blockType === "Output" && typeof exec.input.name === "string") {
        const name = exec.input.name;
        (this.outputs[name] ??= []).push(exec.input.value);
        this.hooks.onGraphOutput?.(name, exec.input.value);
      }
      this.end(exec, "COMPLETED");
    }
  }

  /** Records a yielded value and feeds it to every link that reads it. */
  private emit(exec: NodeExec, name: string, value: unknown): void {
    (exec.output[name] ??= []).push(value);
    for (const link of exec.info.node.output_links) {
      const v = parseExecutionOutput(name, value, link.source_name);
      if (v === undefined) continue;
      const sink = this.nodes.get(link.sink_id);
      if (!sink) continue;
      // Non-static values are consumed once, in order: the oldest waiting execution lacking this pin takes it.
      const queue = this.pending.get(sink.node.id) ?? [];
      let target = queue.find((e) => !(link.sink_name in e.pins));
      if (!target) target = this.newExec(sink, {});
      target.pins[link.sink_name] = v;
      this.tryReady(sink, target);
      if (link.is_static) {
        // A static value also completes every execution still waiting for it.
        for (const other of [...(this.pending.get(sink.node.id) ?? [])]) {
          if (!(link.sink_name in other.pins)) {
            other.pins[link.sink_name] = v;
            this.tryReady(sink, other);
          }
        }
      }
    }
  }

  private fail(exec: NodeExec, error: string): void {
    this.nodeErrors++;
    this.emit(exec, "error", error);
    // A failure whose `error` output no link reads ends the run FAILED (once the rest has finished).
    if (!exec.info.handlesErrors && !this.unhandledError) {
      this.unhandledError = `${exec.info.block.name} (node ${exec.info.node.id}) failed: ${error}`;
    }
    this.end(exec, "FAILED");
  }

  private end(exec: NodeExec, status: ExecutionStatus): void {
    exec.status = status;
    exec.endTime = new Date();
    this.hooks.onNodeFinished(exec);
    this.hooks.onNodeUpdate(exec);
  }

  /** On stop: what waits for a slot will not run. Running nodes end through their abort signals. */
  private terminateWaiting(): void {
    for (const exec of this.ready.splice(0)) this.end(exec, "TERMINATED");
    this.checkDone();
  }

  private context(exec: NodeExec, signal: AbortSignal): BlockContext {
    return {
      userId: this.options.userId,
      graphId: this.graph.id,
      graphVersion: this.graph.version,
      graphExecId: this.options.graphExecId,
      nodeId: exec.info.node.id,
      nodeExecId: exec.id,
      signal,
      httpAllowList: this.options.httpAllowList,
      runSubgraph: (request) => this.hooks.runSubgraph(request, signal),
    };
  }
}

/**
 * An AgentExecutor node's links carry the sub-graph's inputs under their own names: gather every pin that is not
 * one of the block's fields into `inputs`, as AutoGPT's executor does.
 */
function packAgentInputs(block: Block, input: Record<string, unknown>): Record<string, unknown> {
  if (block.blockType !== "Agent") return input;
  const fields = block.input.properties;
  const packed: Record<string, unknown> = {};
  const inputs: Record<string, unknown> = { ...((input.inputs as Record<string, unknown> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(input)) {
    if (key in fields) packed[key] = value;
    else inputs[key] = value;
  }
  packed.inputs = inputs;
  return packed;
}

/** The API shape of a node execution. */
export function nodeExecResult(
  exec: NodeExec,
  run: { userId: string; graphId: string; graphVersion: number; graphExecId: string },
): NodeExecutionResult {
  return {
    user_id: run.userId,
    graph_id: run.graphId,
    graph_version: run.graphVersion,
    graph_exec_id: run.graphExecId,
    node_exec_id: exec.id,
    node_id: exec.info.node.id,
    block_id: exec.info.block.id,
    status: exec.status,
    input_data: exec.status === "INCOMPLETE" ? exec.pins : exec.input,
    output_data: exec.output,
    add_time: exec.addTime.toISOString(),
    queue_time: exec.queueTime?.toISOString() ?? null,
    start_time: exec.startTime?.toISOString() ?? null,
    end_time: exec.endTime?.toISOString() ?? null,
  };
}
