// The execution shapes of the AutoGPT Platform API (GraphExecutionMeta, NodeExecutionResult, events) and the engine's ports.
import type { ExecutionStatus } from "../core/execution-status.js";

export { type ExecutionStatus, TERMINAL_STATUSES } from "../core/execution-status.js";

export interface GraphExecutionStats {
  cost: number;
  duration: number;
  duration_cpu_only: number;
  node_exec_time: number;
  node_exec_time_cpu_only: number;
  node_exec_count: number;
  node_error_count: number;
  error: string | null;
  activity_status: string | null;
  correctness_score: number | null;
}

export interface GraphExecutionMeta {
  id: string;
  user_id: string;
  graph_id: string;
  graph_version: number;
  inputs: Record<string, unknown>;
  credential_inputs: Record<string, unknown> | null;
  nodes_input_masks: Record<string, unknown> | null;
  preset_id: string | null;
  status: ExecutionStatus;
  started_at: string | null;
  ended_at: string | null;
  is_shared: boolean;
  share_token: string | null;
  is_dry_run: boolean;
  stats: GraphExecutionStats | null;
}

export interface GraphExecution extends GraphExecutionMeta {
  outputs: Record<string, unknown[]>;
}

export interface NodeExecutionResult {
  user_id: string;
  graph_id: string;
  graph_version: number;
  graph_exec_id: string;
  node_exec_id: string;
  node_id: string;
  block_id: string;
  status: ExecutionStatus;
  input_data: Record<string, unknown>;
  output_data: Record<string, unknown[]>;
  add_time: string;
  queue_time: string | null;
  start_time: string | null;
  end_time: string | null;
}

/** AutoGPT's Pagination model. */
export interface PageInfo {
  total_items: number;
  total_pages: number;
  current_page: number;
  page_size: number;
}

export interface GraphExecutionWithNodes extends GraphExecution {
  /** One page of the run's node executions, in the order they were created. */
  node_executions: NodeExecutionResult[];
  node_executions_pagination: PageInfo;
}

export type ExecutionEvent =
  | { type: "graph_execution_event"; data: GraphExecution & { event_type: "graph_execution_update" } }
  | { type: "node_execution_event"; data: NodeExecutionResult & { event_type: "node_execution_update" } };

/** Execution events from any worker to any API process: in-process by default, Redis pub/sub when scaled out. */
export interface EventBus {
  publish(event: ExecutionEvent): void;
  subscribe(listener: (event: ExecutionEvent) => void): () => void;
  close(): Promise<void>;
}

/** One job per graph execution (not per node): the worker that takes it schedules the run's nodes in-process. */
export interface ExecutionJob {
  graphExecId: string;
  userId: string;
}

export interface ExecutionQueue {
  /**
   * Whether other processes take jobs from this queue too. The in-process queue is not shared: only the process
   * that queued a run can run it, so a process that does not execute may not use it.
   */
  readonly shared: boolean;
  enqueue(job: ExecutionJob): Promise<void>;
  /** Whether a job for this run is waiting or being taken (the sweeper does not queue a run twice). */
  has(graphExecId: string): Promise<boolean>;
  /** Starts taking jobs, at most `concurrency` at a time; returns a function that stops taking new ones. */
  consume(handler: (job: ExecutionJob) => Promise<void>, concurrency: number): () => Promise<void>;
  close(): Promise<void>;
}
