// One graph execution in memory: which node executions wait for which pins, which are ready, and what each produced.
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import {
  type Credentials,
  credentialsFields,
  metaOf,
  redactSecrets,
  redactSecretsInText,
  secretsOf,
} from "../blocks/credentials.js";
import type {
  Block,
  BlockContext,
  BlockOutput,
  GraphInfo,
  HumanReviewDecision,
  HumanReviewRequest,
  HumanReviews,
  LinkedNode,
  SubgraphRequest,
  Usage,
  UserStorage,
} from "../blocks/sdk.js";
import { blockUsageCost } from "../core/block-cost.js";
import type { GraphModel, Link, Node } from "../core/graph-types.js";
import { mergeExecutionInput, parseExecutionOutput } from "../core/pins.js";
import type { HttpClient } from "../infra/http/client.js";
import { type RunCredentials, resolvePins } from "./credentials.js";
import type { CreditLedger, NodeCharge } from "./ports.js";
import type { ExecutionStatus, GraphExecutionStats, NodeExecutionResult } from "./types.js";

/** A node as the scheduler sees it: its block, and the pins links feed (raw names, e.g. `values_#_a`). */
interface NodeInfo {
  node: Node;
  block: Block;
  inboundPins: string[];
  /** The linked pins the node waits for before it runs: all of them, but those its block may run without. */
  requiredPins: string[];
  /** The nodes its output links feed, as its block sees them (built on first use). */
  linked?: LinkedNode[];
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
  stats: NodeExecutionStats;
  /** Its block asked for a human review that has no decision yet: it ends in REVIEW and the run parks. */
  parked?: boolean;
}

/**
 * Where a run parked in REVIEW picks up again: its node executions that had not finished (stored INCOMPLETE, with
 * the pins they had, or REVIEW, with their input), its graph outputs so far and the next sequence number.
 */
export interface ResumeState {
  execs: Array<{
    id: string;
    nodeId: string;
    status: "INCOMPLETE" | "REVIEW";
    data: Record<string, unknown>;
    seq: number;
    addedAt: Date;
  }>;
  nextSeq: number;
  outputs: Record<string, unknown[]>;
  /** Per node, the input of its latest finished execution: where its static links' values are found again. */
  lastInputs: Record<string, Record<string, unknown>>;
}

/** AutoGPT's NodeExecutionStats (the fields we measure), plus `cost` and `request_count`; stored with the node. */
export interface NodeExecutionStats {
  walltime: number;
  /** Per-node CPU time is not measured (two syscalls per node): wall time, as node_exec_time_cpu_only. */
  cputime: number;
  output_size: number;
  llm_call_count: number;
  llm_retry_count: number;
  input_token_count: number;
  output_token_count: number;
  request_count: number;
  /** What the block reported beyond its listed cost (AutoGPT's extra_cost), in credits. */
  extra_cost: number;
  extra_steps: number;
  /** This node execution's cost in credits; the run's `stats.cost` is their sum. */
  cost: number;
  error: string | null;
}

const emptyNodeStats = (): NodeExecutionStats => ({
  walltime: 0,
  cputime: 0,
  output_size: 0,
  llm_call_count: 0,
  llm_retry_count: 0,
  input_token_count: 0,
  output_token_count: 0,
  request_count: 0,
  extra_cost: 0,
  extra_steps: 0,
  cost: 0,
  error: null,
});

const USAGE_FIELDS: Record<keyof Usage, Array<keyof NodeExecutionStats>> = {
  tokens_in: ["input_token_count"],
  tokens_out: ["output_token_count"],
  requests: ["request_count"],
  llm_calls: ["llm_call_count"],
  llm_retries: ["llm_retry_count"],
  cost: ["extra_cost", "cost"],
  steps: ["extra_steps"],
};

/** Adds reported usage to a node's stats; a negative or non-numeric figure is the block's bug and throws. */
export function addUsage(stats: NodeExecutionStats, usage: Usage): void {
  for (const [key, value] of Object.entries(usage)) {
    if (value === undefined) continue;
    const fields = USAGE_FIELDS[key as keyof Usage];
    if (!fields) throw new TypeError(`Unknown usage field ${key}`);
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`Usage ${key} must be a number >= 0, got ${String(value)}`);
    }
    for (const field of fields) (stats[field] as number) += value;
  }
}

export interface RunHooks {
  /** Resolves a block id; the run refuses nodes whose block is unknown. */
  getBlock(id: string): Block | undefined;
  /** Coerces and validates a node's merged input against its block; returns the input to run with, or why not. */
  prepareInput(
    block: Block,
    input: Record<string, unknown>,
  ): { ok: true; input: Record<string, unknown> } | { ok: false; error: string };
  /** A node execution changed status (events). */
  onNodeUpdate(exec: NodeExec): void;
  /** A node execution reached a final status (COMPLETED, FAILED, TERMINATED) or was left INCOMPLETE: persist it. */
  onNodeFinished(exec: NodeExec): void;
  /** An AgentOutput node produced a graph output. */
  onGraphOutput?(name: string, value: unknown): void;
  /** A graph version of the run's user, for a block that names a sub-agent (SmartDecisionMaker's tools). */
  graphInfo?(graphId: string, graphVersion: number): Promise<GraphInfo | undefined>;
  /** Runs a sub-graph; `report` receives its cost and node count once it has ended. */
  runSubgraph(
    request: SubgraphRequest,
    signal: AbortSignal,
    report: (usage: Usage) => void,
  ): AsyncIterable<BlockOutput>;
}

/** What one run may use before it ends FAILED with the limit named (operator settings, see src/config.ts). */
export interface RunLimits {
  /** Node executions the run may create, INCOMPLETE ones included (EXECUTOR_MAX_NODE_EXECUTIONS). */
  maxNodeExecutions: number;
  /** Wall time from the run's start (EXECUTOR_MAX_RUN_SECONDS). */
  maxRunSeconds: number;
  /** JSON bytes of every value its nodes yield, added up (EXECUTOR_MAX_OUTPUT_BYTES). */
  maxOutputBytes: number;
  /** JSON bytes of one yielded value; a larger one fails its node (EXECUTOR_MAX_BLOCK_OUTPUT_BYTES). */
  maxBlockOutputBytes: number;
}

export const DEFAULT_RUN_LIMITS: RunLimits = {
  maxNodeExecutions: 10_000,
  maxRunSeconds: 3600,
  maxOutputBytes: 64 * 1024 * 1024,
  maxBlockOutputBytes: 4 * 1024 * 1024,
};

export interface RunOptions {
  userId: string;
  graphExecId: string;
  runConcurrency: number;
  nodeTimeoutMs: number;
  /** The shared outgoing-request client; each node gets it bound to its signal. */
  http: HttpClient;
  /** Where the nodes' credentials come from (the run's credential inputs, later the store). */
  credentials?: RunCredentials;
  /** Where blocks keep the user's values across runs (ctx.storage). */
  storage?: UserStorage;
  /** The human reviews nodes wait on (ctx.humanReview). */
  reviews?: HumanReviews;
  /** Aborted when the run is stopped. */
  signal: AbortSignal;
  limits: RunLimits;
  /** Where node executions are paid from, before they run; absent, runs are free. */
  credits?: CreditLedger;
}

export interface RunResult {
  status: ExecutionStatus;
  stats: GraphExecutionStats;
  outputs: Record<string, unknown[]>;
}

const STOPPED = Symbol("stopped");
const TIMED_OUT = Symbol("timed out");

/** The balance could not pay for a node: it does not run, and the run ends FAILED with the reason. */
class Unpaid extends Error {}

function message(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/**
 * Continuous engine work allowed before the event loop gets a turn. Node executions chain on microtasks (a
 * block's generator, the scheduler), which never let timers or sockets run: every run checks the clock at each
 * node start and each yielded value, and past the slice all runs wait for one shared `setImmediate`.
 */
const SLICE_MS = 10;
let sliceStart = performance.now();
let turn: Promise<void> | undefined;

function sliceUsed(): boolean {
  return performance.now() - sliceStart > SLICE_MS;
}

function sharedTurn(): Promise<void> {
  turn ??= new Promise((resolve) =>
    setImmediate(() => {
      turn = undefined;
      sliceStart = performance.now();
      resolve();
    }),
  );
  return turn;
}

/** Longest error message a failed node keeps, in characters. */
const MAX_ERROR_LENGTH = 16 * 1024;

/** Node's setTimeout fires at once past 2^31-1 ms; a longer limit is no limit in practice. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/**
 * The size of `value` as JSON in bytes (UTF-8; string escapes not counted), without building the JSON: counting
 * stops once past `cap`, so a huge value costs no more than the cap and allocates nothing.
 */
export function jsonSize(value: unknown, cap: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && size <= cap) {
    const v = stack.pop();
    switch (typeof v) {
      case "string":
        // A UTF-16 unit is at least one UTF-8 byte: a string longer than the cap is over it without counting.
        size += v.length > cap ? v.length : Buffer.byteLength(v) + 2;
        break;
      case "number":
      case "bigint":
        size += String(v).length;
        break;
      case "boolean":
        size += v ? 4 : 5;
        break;
      case "object": {
        if (v === null) {
          size += 4;
          break;
        }
        const toJSON = (v as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === "function") {
          stack.push(toJSON.call(v));
          break;
        }
        if (Array.isArray(v)) {
          // Brackets and commas; each item is at least one more byte, so a longer array is over the cap as it is.
          size += 1 + Math.max(v.length, 1);
          if (size + v.length > cap) size += v.length;
          else for (const item of v) stack.push(item);
          break;
        }
        const keys = Object.keys(v);
        size += 1 + Math.max(keys.length, 1);
        if (size + keys.length * 3 > cap) {
          size += keys.length * 3;
          break;
        }
        for (const key of keys) {
          size += Buffer.byteLength(key) + 3;
          stack.push((v as Record<string, unknown>)[key]);
        }
        break;
      }
      default:
        break; // undefined, functions, symbols: left out of JSON
    }
  }
  return size;
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
  private cost = 0;
  private outputBytes = 0;
  /** Node executions parked in REVIEW: the run ends in REVIEW when nothing else failed or stopped it. */
  private parked = 0;
  private finish?: () => void;
  /** Aborted on stop (the caller's signal) or when a limit is hit (`limitError` set first). */
  private readonly halt = new AbortController();
  private limitError: string | null = null;

  constructor(
    private readonly graph: GraphModel,
    private readonly options: RunOptions,
    private readonly hooks: RunHooks,
  ) {
    for (const node of graph.nodes) {
      const block = hooks.getBlock(node.block_id);
      if (!block) throw new Error(`Node ${node.id} uses unknown block ${node.block_id}`);
      this.nodes.set(node.id, {
        node,
        block,
        inboundPins: [],
        requiredPins: [],
        staticInbound: [],
        handlesErrors: false,
      });
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
    for (const info of this.nodes.values()) {
      info.node = { ...info.node, output_links: [] };
      const optional = info.block.optionalLinkedPins ?? [];
      info.requiredPins = info.inboundPins.filter((pin) => !optional.includes(pin));
    }
    for (const link of graph.links) this.nodes.get(link.source_id)?.node.output_links.push(link);
  }

  /** Runs to the end: every ready node executed, or the run stopped. */
  async run(
    inputs: Record<string, unknown>,
    nodesInputMasks: Record<string, Record<string, unknown>> = {},
    resume?: ResumeState,
  ): Promise<RunResult> {
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    const done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    const { limits } = this.options;
    const onStop = () => this.halt.abort();
    // Every running node listens on the run's signal: as many listeners as the run's concurrency.
    setMaxListeners(this.options.runConcurrency + 10, this.halt.signal);
    this.halt.signal.addEventListener("abort", () => this.terminateWaiting(), { once: true });
    this.options.signal.addEventListener("abort", onStop, { once: true });
    const wallMs = limits.maxRunSeconds * 1000;
    const wallTimer =
      wallMs <= MAX_TIMER_MS
        ? setTimeout(() => {
            const unit = limits.maxRunSeconds === 1 ? "second" : "seconds";
            this.stopWith(
              `Run exceeded the limit of ${limits.maxRunSeconds} ${unit} of wall time (EXECUTOR_MAX_RUN_SECONDS)`,
            );
          }, wallMs)
        : undefined;
    try {
      if (this.options.signal.aborted) this.halt.abort();
      if (resume) this.restore(resume);
      for (const info of resume ? [] : this.nodes.values()) {
        const type = info.block.blockType;
        if (type === "Note") continue;
        if (info.inboundPins.length > 0 && type !== "Input") continue;
        const name = info.node.input_default.name;
        const given = type === "Input" && typeof name === "string" && name in inputs ? { value: inputs[name] } : {};
        // A node's masked inputs (a webhook trigger's payload) arrive as if on its pins.
        const pins = { ...given, ...nodesInputMasks[info.node.id] };
        if (!this.admit()) break;
        this.tryReady(info, this.newExec(info, pins));
      }
      this.checkDone();
      await done;
    } finally {
      clearTimeout(wallTimer);
      this.options.signal.removeEventListener("abort", onStop);
    }
    for (const execs of this.pending.values()) for (const exec of execs) this.hooks.onNodeFinished(exec);
    const cpu = process.cpuUsage(cpuStart);
    const status: ExecutionStatus = this.limitError
      ? "FAILED"
      : this.options.signal.aborted
        ? "TERMINATED"
        : this.unhandledError
          ? "FAILED"
          : this.parked > 0
            ? "REVIEW"
            : "COMPLETED";
    return {
      status,
      outputs: this.outputs,
      stats: {
        cost: this.cost,
        duration: (performance.now() - started) / 1000,
        duration_cpu_only: (cpu.user + cpu.system) / 1e6,
        node_exec_time: this.nodeTime,
        node_exec_time_cpu_only: this.nodeCpu,
        node_exec_count: this.nodeCount,
        node_error_count: this.nodeErrors,
        error: this.limitError ?? (status === "TERMINATED" ? "Execution was stopped" : this.unhandledError),
        activity_status: null,
        correctness_score: null,
      },
    };
  }

  /**
   * A parked run's unfinished node executions, back under their ids: those parked in REVIEW run again (their
   * block reads the decision), those that waited for pins wait again.
   */
  private restore(resume: ResumeState): void {
    this.seq = Math.max(this.seq, resume.nextSeq);
    for (const [name, values] of Object.entries(resume.outputs)) this.outputs[name] = [...values];
    for (const [nodeId, input] of Object.entries(resume.lastInputs)) {
      const info = this.nodes.get(nodeId);
      if (!info || info.staticInbound.length === 0) continue;
      // A stored input has merged dynamic pins (`values_#_a` is `values.a`): static pins are read back out of it.
      const pins: Record<string, unknown> = {};
      for (const { sink_name } of info.staticInbound) {
        if (sink_name in input) pins[sink_name] = input[sink_name];
        const [base, key] = sink_name.split(/_[#$@]_/);
        const merged = base !== undefined && key !== undefined ? input[base] : undefined;
        if (merged && typeof merged === "object" && key !== undefined && key in merged) {
          pins[sink_name] = (merged as Record<string, unknown>)[key];
        }
      }
      this.lastPins.set(nodeId, pins);
    }
    for (const stored of resume.execs) {
      const info = this.nodes.get(stored.nodeId);
      if (!info) continue;
      const exec: NodeExec = { ...this.newExec(info, {}), id: stored.id, seq: stored.seq, addTime: stored.addedAt };
      this.seq--; // newExec counted one; the stored execution already had its number
      if (stored.status === "INCOMPLETE") {
        exec.pins = { ...stored.data };
        const queue = this.pending.get(info.node.id);
        if (queue) queue.push(exec);
        else this.pending.set(info.node.id, [exec]);
        continue;
      }
      exec.input = { ...stored.data };
      exec.status = "QUEUED";
      exec.queueTime = new Date();
      this.ready.push(exec);
      this.hooks.onNodeUpdate(exec);
    }
    this.schedule();
  }

  /** Ends the run FAILED with `reason`: what waits is dropped, what runs is cancelled. The first reason wins. */
  private stopWith(reason: string): void {
    if (this.halt.signal.aborted) return;
    this.limitError = reason;
    this.halt.abort();
  }

  /** Whether the run may create one more node execution; if not, the run ends at the limit. */
  private admit(): boolean {
    if (this.seq < this.options.limits.maxNodeExecutions) return true;
    const limit = this.options.limits.maxNodeExecutions;
    this.stopWith(`Run exceeded the limit of ${limit} node executions (EXECUTOR_MAX_NODE_EXECUTIONS)`);
    return false;
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
      stats: emptyNodeStats(),
    };
  }

  /** Queues the execution once every linked pin has a value; static pins missing are taken from the node's last run. */
  private tryReady(info: NodeInfo, exec: NodeExec): void {
    this.fillStatic(info, exec);
    const wait = () => {
      const queue = this.pending.get(info.node.id);
      if (!queue) this.pending.set(info.node.id, [exec]);
      else if (!queue.includes(exec)) queue.push(exec);
    };
    if (info.requiredPins.some((pin) => !(pin in exec.pins))) {
      wait();
      return;
    }
    const combined = mergeExecutionInput({ ...info.node.input_default, ...exec.pins });
    // A block may wait on more than its links (SmartDecisionMaker: a tool's output before its next turn).
    if (info.block.waitingFor && !this.halt.signal.aborted) {
      if (info.block.waitingFor(withDefaults(info.block, combined)).length > 0) {
        wait();
        return;
      }
    }
    const queue = this.pending.get(info.node.id);
    if (queue) {
      const i = queue.indexOf(exec);
      if (i >= 0) queue.splice(i, 1);
    }
    this.lastPins.set(info.node.id, exec.pins);
    if (this.halt.signal.aborted) {
      this.end(exec, "TERMINATED");
      return;
    }
    if (!this.prepare(info, exec, combined)) return;
    this.ready.push(exec);
    this.hooks.onNodeUpdate(exec);
    this.schedule();
  }

  /** Static pins the execution lacks, from the node's last run. */
  private fillStatic(info: NodeInfo, exec: NodeExec): void {
    const last = this.lastPins.get(info.node.id);
    if (!last) return;
    for (const link of info.staticInbound) {
      if (!(link.sink_name in exec.pins) && link.sink_name in last) exec.pins[link.sink_name] = last[link.sink_name];
    }
  }

  /** Makes the execution's input from its merged pins and marks it QUEUED; false if it failed validation. */
  private prepare(info: NodeInfo, exec: NodeExec, combined: Record<string, unknown>): boolean {
    const merged = this.withCredentials(info, packAgentInputs(info.block, combined));
    const prepared = this.hooks.prepareInput(info.block, merged);
    if (!prepared.ok) {
      exec.input = merged;
      this.fail(exec, prepared.error);
      return false;
    }
    exec.input = prepared.input;
    exec.status = "QUEUED";
    exec.queueTime = new Date();
    return true;
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

  /** Runs a queued execution; `within` is the node execution it runs inside of (an agent-mode tool), if any. */
  private async execute(exec: NodeExec, within?: AbortSignal): Promise<void> {
    if (sliceUsed()) {
      await sharedTurn();
      if (this.halt.signal.aborted) {
        this.end(exec, "TERMINATED");
        return;
      }
    }
    const { block } = exec.info;
    const { maxBlockOutputBytes, maxOutputBytes } = this.options.limits;
    exec.status = "RUNNING";
    exec.startTime = new Date();
    this.hooks.onNodeUpdate(exec);
    const controller = new AbortController();
    const onStop = () => controller.abort(STOPPED);
    this.halt.signal.addEventListener("abort", onStop, { once: true });
    // A tool run inside another node ends with it (stopped, timed out).
    within?.addEventListener("abort", onStop, { once: true });
    if (within?.aborted) onStop();
    // Timers and sub-agent runs wait by design: the run's wall-time limit and stop bound them, not the node timeout.
    const timer =
      block.nodeTimeout === false
        ? undefined
        : setTimeout(() => controller.abort(TIMED_OUT), this.options.nodeTimeoutMs);
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }),
    );
    aborted.catch(() => {});
    const t0 = performance.now();
    let failure: string | undefined;
    let unpaid = false;
    let generator: AsyncGenerator<BlockOutput, void, unknown> | undefined;
    let secrets: string[] = [];
    const inputBytes = () => Buffer.byteLength(JSON.stringify(exec.input) ?? "");
    // Paid before it runs, as AutoGPT charges block_usage_cost: by run and by input byte (by second: once it ran).
    const prepaid =
      this.options.credits && block.costs?.length
        ? blockUsageCost(block.costs, exec.input, { runSeconds: 0, inputBytes })
        : 0;
    try {
      if (prepaid > 0) await this.charge(exec, prepaid, false);
      const credentials =
        credentialsFields(block.input).length > 0 ? await Promise.race([this.credentialsOf(exec), aborted]) : {};
      secrets = Object.values(credentials).flatMap(secretsOf);
      generator = block.run(exec.input as never, this.context(exec, controller.signal, credentials));
      for (;;) {
        const step = await Promise.race([generator.next(), aborted]);
        if (step.done) break;
        const [name, raw] = step.value;
        // A block that echoes a secret (an error quoting a header, a response body) does not get it stored.
        const value = secrets.length > 0 ? redactSecrets(raw, secrets) : raw;
        if (name === "error") {
          failure = String(value);
          break;
        }
        // Sized once, here; past the per-value cap the value is never stored or passed on.
        const size = jsonSize(value, maxBlockOutputBytes);
        if (size > maxBlockOutputBytes) {
          failure =
            `Output \`${name}\` is larger than the limit of ${formatBytes(maxBlockOutputBytes)} per value ` +
            "(EXECUTOR_MAX_BLOCK_OUTPUT_BYTES)";
          break;
        }
        this.outputBytes += size;
        exec.stats.output_size += size;
        if (this.outputBytes > maxOutputBytes) {
          this.stopWith(
            `Run exceeded the limit of ${formatBytes(maxOutputBytes)} of node output (EXECUTOR_MAX_OUTPUT_BYTES)`,
          );
          exec.status = "TERMINATED";
          break;
        }
        this.emit(exec, name, value);
        if (sliceUsed()) await sharedTurn();
      }
    } catch (err) {
      if (err instanceof Unpaid) {
        unpaid = true;
        failure = err.message;
      } else if (controller.signal.reason === STOPPED) {
        exec.status = "TERMINATED";
      } else if (controller.signal.reason === TIMED_OUT) {
        failure = `Node execution exceeded ${this.options.nodeTimeoutMs / 1000}s wall-clock cap`;
      } else {
        failure = secrets.length > 0 ? redactSecretsInText(message(err), secrets) : message(err);
      }
    } finally {
      clearTimeout(timer);
      this.halt.signal.removeEventListener("abort", onStop);
      within?.removeEventListener("abort", onStop);
      if (!controller.signal.aborted) controller.abort(STOPPED);
      generator?.return(undefined).catch(() => {});
    }
    // Per-node CPU time is not measured (two syscalls per node); node_exec_time_cpu_only reports wall time.
    const elapsed = (performance.now() - t0) / 1000;
    this.nodeTime += elapsed;
    this.nodeCpu += elapsed;
    this.nodeCount++;
    exec.stats.walltime = elapsed;
    exec.stats.cputime = elapsed;
    exec.stats.error = failure ?? null;
    // A block that ran costs what its listed costs say for this input (AutoGPT charges it whatever the outcome),
    // on top of any extra cost it reported.
    if (generator && block.costs?.length) {
      const listed = blockUsageCost(block.costs, exec.input, { runSeconds: elapsed, inputBytes });
      exec.stats.cost += listed;
      // What only the run time tells (a cost by second) is taken after the fact, down to zero at most.
      if (this.options.credits && listed > prepaid) await this.charge(exec, listed - prepaid, true).catch(() => {});
    }
    this.cost += exec.stats.cost;
    if (exec.status === "TERMINATED") this.end(exec, "TERMINATED");
    else if (failure !== undefined) {
      // A node the balance cannot pay stops the whole run (AutoGPT's InsufficientBalanceError), before its error
      // output can start anything else.
      if (unpaid) this.stopWith(failure);
      this.fail(exec, failure);
    } else if (exec.parked) {
      this.parked++;
      this.end(exec, "REVIEW");
    } else {
      if (block.blockType === "Output" && typeof exec.input.name === "string") {
        const name = exec.input.name;
        const values = this.outputs[name] ?? [];
        this.outputs[name] = values;
        values.push(exec.input.value);
        this.hooks.onGraphOutput?.(name, exec.input.value);
      }
      this.end(exec, "COMPLETED");
    }
  }

  /** Takes `amount` credits for the node from its user's balance; throws Unpaid when the balance cannot pay. */
  private async charge(exec: NodeExec, amount: number, partial: boolean): Promise<void> {
    const { credits } = this.options;
    if (!credits) return;
    const charge: NodeCharge = {
      userId: this.options.userId,
      graphId: this.graph.id,
      graphExecId: this.options.graphExecId,
      nodeId: exec.info.node.id,
      nodeExecId: exec.id,
      blockId: exec.info.block.id,
      blockName: exec.info.block.name,
      amount,
      partial,
    };
    let refused: string | undefined;
    try {
      refused = await credits.charge(charge);
    } catch (err) {
      refused = `Charging credits failed: ${message(err)}`;
    }
    if (refused !== undefined) throw new Unpaid(refused);
  }

  /** Records a yielded value and feeds it to every link that reads it. */
  private emit(exec: NodeExec, name: string, value: unknown): void {
    const values = exec.output[name] ?? [];
    exec.output[name] = values;
    values.push(value);
    for (const link of exec.info.node.output_links) {
      const v = parseExecutionOutput(name, value, link.source_name, { id: link.sink_id, name: link.sink_name });
      if (v === undefined) continue;
      const sink = this.nodes.get(link.sink_id);
      if (!sink) continue;
      // Non-static values are consumed once, in order: the oldest waiting execution lacking this pin takes it.
      const queue = this.pending.get(sink.node.id) ?? [];
      let target = queue.find((e) => !(link.sink_name in e.pins));
      if (!target) {
        if (!this.admit()) return;
        target = this.newExec(sink, {});
      }
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

  private fail(exec: NodeExec, reason: string): void {
    // An error message is a value too: a block's exception may carry megabytes of its input.
    const error = reason.length > MAX_ERROR_LENGTH ? `${reason.slice(0, MAX_ERROR_LENGTH)}... (truncated)` : reason;
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

  /**
   * Fills the node's credentials pins the graph left empty with the run's choice, and keeps only the meta
   * ({id, title, provider, type}) of whatever they hold: a node's input is stored and sent in events.
   */
  private withCredentials(info: NodeInfo, input: Record<string, unknown>): Record<string, unknown> {
    const fields = credentialsFields(info.block.input);
    if (fields.length === 0) return input;
    for (const field of fields) {
      const given = metaOf(input[field]);
      const pin = info.block.input.properties[field] as unknown as Record<string, unknown>;
      const meta = given ?? this.options.credentials?.metaFor(pin, info.node.input_default);
      if (meta) input[field] = meta;
      else delete input[field];
    }
    return input;
  }

  /** Decrypts the credentials the node's pins select; a missing one fails the node, naming it (not its secret). */
  private credentialsOf(exec: NodeExec): Promise<Record<string, Credentials>> {
    return resolvePins(exec.info.block, exec.input, async (meta) => this.options.credentials?.resolve(meta));
  }

  /** The nodes a node's output links feed, each with the links into it, in the order the links come. */
  private linkedNodes(info: NodeInfo): LinkedNode[] {
    if (info.linked) return info.linked;
    const byId = new Map<string, LinkedNode & { links: Array<{ sourceName: string; sinkName: string }> }>();
    for (const link of info.node.output_links) {
      const sink = this.nodes.get(link.sink_id);
      if (!sink) continue;
      let linked = byId.get(sink.node.id);
      if (!linked) {
        const { node, block } = sink;
        linked = { id: node.id, block, inputDefault: node.input_default, metadata: node.metadata, links: [] };
        byId.set(node.id, linked);
      }
      linked.links.push({ sourceName: link.source_name, sinkName: link.sink_name });
    }
    info.linked = [...byId.values()];
    return info.linked;
  }

  /**
   * Runs a node `from` links to at once, outside the queue and within `from`'s slot (SmartDecisionMaker's agent
   * mode runs its tools so): `pins` over its constant inputs and the last values of its static links. Its outputs
   * feed its links as any node's do.
   */
  private async runLinkedNode(
    from: NodeInfo,
    nodeId: string,
    pins: Record<string, unknown>,
    within: AbortSignal,
  ): Promise<Record<string, unknown[]>> {
    const info = this.nodes.get(nodeId);
    if (!info || !from.node.output_links.some((l) => l.sink_id === nodeId)) {
      throw new Error(`Node ${nodeId} is not linked from node ${from.node.id}`);
    }
    if (this.halt.signal.aborted) throw new Error("The run has stopped");
    if (!this.admit()) throw new Error(this.limitError ?? "The run has stopped");
    const exec = this.newExec(info, { ...pins });
    this.fillStatic(info, exec);
    this.lastPins.set(info.node.id, exec.pins);
    if (!this.prepare(info, exec, mergeExecutionInput({ ...info.node.input_default, ...exec.pins }))) {
      return exec.output;
    }
    this.hooks.onNodeUpdate(exec);
    await this.execute(exec, within);
    return exec.output;
  }

  /** ctx.humanReview: the decision on this node execution's review, or undefined (and the node parks) while none. */
  private async humanReview(exec: NodeExec, request: HumanReviewRequest): Promise<HumanReviewDecision | undefined> {
    const reviews = this.options.reviews as HumanReviews;
    const review = await reviews.getOrCreate({
      userId: this.options.userId,
      nodeExecId: exec.id,
      nodeId: exec.info.node.id,
      graphExecId: this.options.graphExecId,
      graphId: this.graph.id,
      graphVersion: this.graph.version,
      payload: request.data,
      instructions: `Review required for ${request.name} execution`,
      editable: request.editable,
    });
    if (review.status === "WAITING") {
      exec.parked = true;
      return undefined;
    }
    return { status: review.status, data: review.payload, message: review.reviewMessage ?? "" };
  }

  private context(exec: NodeExec, signal: AbortSignal, credentials: Record<string, Credentials>): BlockContext {
    const report = (usage: Usage) => addUsage(exec.stats, usage);
    const fields = Object.keys(credentials);
    const { storage } = this.options;
    return {
      userId: this.options.userId,
      graphId: this.graph.id,
      graphVersion: this.graph.version,
      graphExecId: this.options.graphExecId,
      nodeId: exec.info.node.id,
      nodeExecId: exec.id,
      signal,
      http: this.options.http.withSignal(signal),
      credentials: credentials.credentials ?? (fields.length === 1 ? credentials[fields[0]] : undefined),
      credentialsFor: (field) => credentials[field],
      reportUsage: report,
      maxOutputBytes: this.options.limits.maxBlockOutputBytes,
      runSubgraph: (request) => this.hooks.runSubgraph(request, signal, report),
      linkedNodes: this.linkedNodes(exec.info),
      runNode: (nodeId, pins) => this.runLinkedNode(exec.info, nodeId, pins, signal),
      graphInfo: async (graphId, graphVersion) => this.hooks.graphInfo?.(graphId, graphVersion),
      humanReview: this.options.reviews && ((request) => this.humanReview(exec, request)),
      storage: storage && {
        get: (key) => storage.get(this.options.userId, key),
        set: (key, value) => storage.set(this.options.userId, key, value, exec.id),
      },
    };
  }
}

/** The block's schema defaults under the given input, as a block's readiness check reads it. */
function withDefaults(block: Block, input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, pin] of Object.entries(block.input.properties)) {
    if ("default" in pin) out[name] = pin.default;
  }
  return Object.assign(out, input);
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
