// The block SDK: how a block is declared, what it may ask of the engine while it runs, and how it is serialized.
import { type Static, type TObject, type TSchema, Type } from "@sinclair/typebox";
import type { Http } from "../infra/http/client.js";
import type { Credentials } from "./credentials.js";

/** AutoGPT's BlockCategory values, with the descriptions it serializes beside them. */
export const BLOCK_CATEGORIES = {
  AI: "Block that leverages AI to perform a task.",
  SOCIAL: "Block that interacts with social media platforms.",
  TEXT: "Block that processes text data.",
  SEARCH: "Block that searches or extracts information from the internet.",
  BASIC: "Block that performs basic operations.",
  INPUT: "Block that interacts with input of the graph.",
  OUTPUT: "Block that interacts with output of the graph.",
  LOGIC: "Programming logic to control the flow of your agent",
  COMMUNICATION: "Block that interacts with communication platforms.",
  DEVELOPER_TOOLS: "Developer tools such as GitHub blocks.",
  DATA: "Block that interacts with structured data.",
  HARDWARE: "Block that interacts with hardware.",
  AGENT: "Block that interacts with other agents.",
  CRM: "Block that interacts with CRM services.",
  SAFETY: "Block that provides AI safety mechanisms such as detecting harmful content",
  PRODUCTIVITY: "Block that helps with productivity",
  ISSUE_TRACKING: "Block that helps with issue tracking",
  MULTIMEDIA: "Block that interacts with multimedia content",
  MARKETING: "Block that helps with marketing",
} as const;
export type BlockCategory = keyof typeof BLOCK_CATEGORIES;

/** AutoGPT's BlockType values, serialized as `uiType`. */
export type BlockType =
  | "Standard"
  | "Input"
  | "Output"
  | "Note"
  | "Webhook"
  | "Webhook (manual)"
  | "Agent"
  | "AI"
  | "Ayrshare"
  | "Human In The Loop";

/** One yielded output: the output pin's name and the value on it. */
export type BlockOutput = readonly [name: string, value: unknown];

/** What a sub-graph run (AgentExecutorBlock) asks of the engine. */
export interface SubgraphRequest {
  graphId: string;
  graphVersion: number;
  inputs: Record<string, unknown>;
}

/**
 * Usage a block reports (ctx.reportUsage), added up into its node execution's stats under AutoGPT's
 * NodeExecutionStats names (input_token_count, output_token_count, llm_call_count, llm_retry_count, extra_cost,
 * extra_steps; `request_count` is ours) and summed into the run's stats (`cost`).
 */
export interface Usage {
  tokens_in?: number;
  tokens_out?: number;
  /** Requests made to a provider's API. */
  requests?: number;
  llm_calls?: number;
  llm_retries?: number;
  /** Credits (AutoGPT's cost unit, cents) this run of the block cost beyond its listed cost. */
  cost?: number;
  /** Node executions done on the block's behalf (a sub-agent's). */
  steps?: number;
}

/**
 * Values a block keeps for the user running it, across runs and agents (ctx.storage); the key is the block's to
 * scope (PersistInformationBlock prefixes the agent's id). A missing value (or a stored null) reads as undefined.
 */
export interface BlockStorage {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

/** The engine's storage port behind ctx.storage: every value belongs to one user; writes note their node execution. */
export interface UserStorage {
  get(userId: string, key: string): Promise<unknown>;
  set(userId: string, key: string, value: unknown, nodeExecId: string): Promise<void>;
}

/**
 * A node the running node's output links feed, as the block may see it (SmartDecisionMaker's tools): its block's
 * spec, its constant inputs and metadata, and the links from the running node into it.
 */
export interface LinkedNode {
  id: string;
  block: Pick<Block, "id" | "name" | "description" | "input" | "blockType">;
  inputDefault: Readonly<Record<string, unknown>>;
  metadata: Readonly<Record<string, unknown>>;
  /** The links from the running node into this one, in the graph's order. */
  links: ReadonlyArray<{ sourceName: string; sinkName: string }>;
}

/** A graph version's name and description (AutoGPT's get_graph_metadata). */
export interface GraphInfo {
  name: string;
  description: string;
}

/** The engine's services and the identity of the node execution, handed to every block run. */
export interface BlockContext {
  userId: string;
  graphId: string;
  graphVersion: number;
  graphExecId: string;
  nodeId: string;
  nodeExecId: string;
  /**
   * Aborted when the run is stopped or the node times out (or the run hits a limit). Long waits must honour it;
   * `http` does. Its reason is the engine's: rethrow it (or let it propagate), do not report it as the block's error.
   */
  signal: AbortSignal;
  /** The outgoing-request client: SSRF guard, limits, provider base URLs, retries. Bound to `signal`. */
  http: Http;
  /**
   * The decrypted credentials the node's `credentials` input selects (or its only `*_credentials` input); undefined
   * when the block has none. Never written to node data, events or logs.
   */
  credentials?: Credentials;
  /** The decrypted credentials of another credentials input, by its name (`github_credentials`...). */
  credentialsFor(field: string): Credentials | undefined;
  /** Adds to this node execution's usage and cost (stats); may be called any number of times. */
  reportUsage(usage: Usage): void;
  /**
   * The largest value, in JSON bytes, the engine accepts from one yield. Blocks whose inputs multiply their output
   * (a replacement between every character, a join with a long delimiter) refuse before building a larger one.
   */
  maxOutputBytes?: number;
  /**
   * Runs another graph of the same user as a sub-execution and yields its output-block values as they appear. The
   * sub-run is bounded by its own run limits, not by this node's timeout; its cost is added to this node's.
   */
  runSubgraph(request: SubgraphRequest): AsyncIterable<BlockOutput>;
  /** The running user's stored values; absent outside a graph run (a direct block run, unless given one). */
  storage?: BlockStorage;
  /** The nodes this node's output links feed, grouped by node in link order; empty outside a graph run. */
  linkedNodes: readonly LinkedNode[];
  /**
   * Runs one of `linkedNodes` now with `pins` as its input (over its constant inputs), as a node execution of the
   * run whose outputs also feed its links; resolves with what it yielded (an `error` pin if it failed). Absent
   * outside a graph run. SmartDecisionMaker's agent mode runs its tools this way.
   */
  runNode?(nodeId: string, pins: Record<string, unknown>): Promise<Record<string, unknown[]>>;
  /** A graph of the running user by id and version (a sub-agent's name); undefined if there is none. */
  graphInfo(graphId: string, graphVersion: number): Promise<GraphInfo | undefined>;
  /**
   * Asks a person to review `data` (AutoGPT's HITL review): resolves with their decision once there is one, or
   * undefined when there is none yet. Then the block returns without yielding: the engine parks the node in REVIEW,
   * the run ends in REVIEW, and once the review is decided the node runs again and gets the decision. Absent
   * outside a graph run.
   */
  humanReview?(request: HumanReviewRequest): Promise<HumanReviewDecision | undefined>;
}

export interface HumanReviewRequest {
  data: unknown;
  /** What the data is, for the reviewer ("Review required for {name} execution"). */
  name: string;
  editable: boolean;
}

export interface HumanReviewDecision {
  status: "APPROVED" | "REJECTED";
  /** The data as the reviewer left it (edited, or as it was). */
  data: unknown;
  message: string;
}

/** The reviews a run's nodes wait on (the engine's port; src/services/review.ts implements it). */
export interface HumanReviews {
  /** The review of this node execution, created WAITING with `payload` the first time it is asked for. */
  getOrCreate(review: {
    userId: string;
    nodeExecId: string;
    nodeId: string;
    graphExecId: string;
    graphId: string;
    graphVersion: number;
    payload: unknown;
    instructions: string;
    editable: boolean;
  }): Promise<{ status: "WAITING" | "APPROVED" | "REJECTED"; payload: unknown; reviewMessage: string | null }>;
}

export interface BlockTestCase {
  input: Record<string, unknown>;
  /** Expected yields, in order. A function checks the value instead of comparing it. */
  output: Array<readonly [string, unknown | ((value: unknown) => boolean)]>;
  /** Overrides of the test context (e.g. a runSubgraph stand-in, credentials, an `http` client with an allow-list). */
  context?: Partial<BlockContext>;
}

export interface BlockDefinition<I extends TObject = TObject, O extends TObject = TObject> {
  id: string;
  name: string;
  description: string;
  categories: BlockCategory[];
  input: I;
  output: O;
  blockType?: BlockType;
  /** Outputs of this block feed links as static values (AutoGPT's static_output). */
  staticOutput?: boolean;
  /**
   * False for blocks that wait by design (timers, sub-agent runs): the node timeout (EXECUTOR_NODE_TIMEOUT_SECONDS)
   * does not apply to them; the run's own limits (wall time, stop) still do.
   */
  nodeTimeout?: boolean;
  /**
   * Linked input pins the node may run without (AutoGPT's get_missing_links override): the engine does not wait
   * for values on links into them, and asks `waitingFor` instead.
   */
  optionalLinkedPins?: string[];
  /**
   * The pins a node whose linked pins are all filled still waits for, given its merged input (AutoGPT's
   * get_missing_input override); empty when it may run. Pure and fast: called on every value that reaches it.
   */
  waitingFor?(input: Record<string, unknown>): string[];
  /** Per-run cost in credits, as AutoGPT's BlockCost list. */
  costs?: Array<{ cost_amount: number; cost_filter: Record<string, unknown>; cost_type: "run" | "byte" | "second" }>;
  run(input: Static<I>, context: BlockContext): AsyncGenerator<BlockOutput, void, unknown>;
  test?: BlockTestCase[];
}

export type Block = BlockDefinition<TObject, TObject>;

/** The engine's default per-value limit (EXECUTOR_MAX_BLOCK_OUTPUT_BYTES), for contexts that do not say. */
export const DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * Refuses, as the block's error, to build a text of `length` characters when that is over the per-value limit:
 * checked before allocating, so a multiplying input fails fast instead of exhausting memory.
 */
export function checkOutputLength(length: number, context: Pick<BlockContext, "maxOutputBytes">, what: string): void {
  const limit = context.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (length > limit) {
    throw new Error(
      `The ${what} would be about ${length} characters, over the limit of ${limit} bytes per output value`,
    );
  }
}

/** Every block's output schema carries AutoGPT's `error` pin; a block reports failure by yielding on it. */
const ErrorPin = Type.String({ title: "Error", description: "Error message if the operation failed" });

export function defineBlock<I extends TObject, O extends TObject>(def: BlockDefinition<I, O>): Block {
  const output = def.output.properties.error ? def.output : Type.Object({ ...def.output.properties, error: ErrorPin });
  return {
    blockType: "Standard",
    staticOutput: false,
    nodeTimeout: true,
    costs: [],
    ...def,
    output,
  } as unknown as Block;
}

/** Shorthand for an input/output pin with AutoGPT's SchemaField extras (title, advanced, placeholder...). */
export function pin<T extends TSchema>(schema: T, extras: Record<string, unknown> = {}): T {
  return { ...schema, ...extras } as T;
}
