// JSON shapes of runs as AutoGPT serializes them: GraphExecutionMeta, GraphExecution(WithNodes), NodeExecutionResult.
import { Type } from "@sinclair/typebox";
import { NODE_EXECUTIONS_PAGE_SIZE } from "../../engine/service.js";
import { DateTime, Nullable, Pagination } from "../schemas.js";

export const ExecutionStatus = Type.Union(
  ["INCOMPLETE", "QUEUED", "RUNNING", "COMPLETED", "TERMINATED", "FAILED", "REVIEW"].map((s) => Type.Literal(s)),
  { title: "AgentExecutionStatus" },
);

const AnyRecord = Type.Record(Type.String(), Type.Unknown());

export const GraphExecutionStats = Type.Object({
  cost: Type.Number(),
  duration: Type.Number({ description: "Seconds of wall-clock time" }),
  duration_cpu_only: Type.Number(),
  node_exec_time: Type.Number(),
  node_exec_time_cpu_only: Type.Number(),
  node_exec_count: Type.Integer(),
  node_error_count: Type.Integer(),
  error: Nullable(Type.String()),
  activity_status: Nullable(Type.String()),
  correctness_score: Nullable(Type.Number()),
});

/** AutoGPT's CredentialsMetaInput: a reference to a stored credential; runs show only this, never a secret. */
export const CredentialsMetaInput = Type.Object(
  { id: Type.String(), title: Nullable(Type.String()), provider: Type.String(), type: Type.String() },
  { title: "CredentialsMetaInput" },
);

const metaFields = {
  id: Type.String(),
  user_id: Type.String(),
  graph_id: Type.String(),
  graph_version: Type.Integer(),
  inputs: AnyRecord,
  credential_inputs: Nullable(
    Type.Record(Type.String(), CredentialsMetaInput, {
      description: "The credentials the run uses, as metadata only (no secrets)",
    }),
  ),
  nodes_input_masks: Nullable(AnyRecord),
  preset_id: Nullable(Type.String()),
  status: ExecutionStatus,
  started_at: Nullable(DateTime),
  ended_at: Nullable(DateTime),
  is_shared: Type.Boolean(),
  share_token: Nullable(Type.String()),
  is_dry_run: Type.Boolean(),
  stats: Nullable(Type.Partial(GraphExecutionStats)),
};

export const GraphExecutionMeta = Type.Object(metaFields, { $id: "GraphExecutionMeta", title: "GraphExecutionMeta" });

export const NodeExecutionResult = Type.Object(
  {
    user_id: Type.String(),
    graph_id: Type.String(),
    graph_version: Type.Integer(),
    graph_exec_id: Type.String(),
    node_exec_id: Type.String(),
    node_id: Type.String(),
    block_id: Type.String(),
    status: ExecutionStatus,
    input_data: AnyRecord,
    output_data: Type.Record(Type.String(), Type.Array(Type.Unknown())),
    add_time: DateTime,
    queue_time: Nullable(DateTime),
    start_time: Nullable(DateTime),
    end_time: Nullable(DateTime),
  },
  { $id: "NodeExecutionResult", title: "NodeExecutionResult" },
);

export const GraphExecutionWithNodes = Type.Object(
  {
    ...metaFields,
    outputs: Type.Record(Type.String(), Type.Array(Type.Unknown())),
    node_executions: Type.Array(Type.Ref("NodeExecutionResult"), {
      description: `One page of the run's node executions in the order they were created: the first ${NODE_EXECUTIONS_PAGE_SIZE} unless \`page\`/\`page_size\` ask for others`,
    }),
    node_executions_pagination: Type.Object(Pagination.properties, {
      description: "Where `node_executions` is among all of the run's node executions (not in AutoGPT's shape)",
    }),
  },
  { $id: "GraphExecutionWithNodes", title: "GraphExecutionWithNodes" },
);

/** Which page of a run's node executions to return with it. */
export const NodeExecutionsPageQuery = Type.Object({
  page: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 1,
    description: "Page of the run's node executions, in the order they were created",
  }),
  page_size: Type.Integer({
    minimum: 1,
    maximum: NODE_EXECUTIONS_PAGE_SIZE,
    default: NODE_EXECUTIONS_PAGE_SIZE,
    description: `Node executions per page (at most ${NODE_EXECUTIONS_PAGE_SIZE})`,
  }),
});

/** The execute response: the new run (AutoGPT's newest shape) plus `graph_exec_id` (its older shape). */
export const ExecuteResponse = Type.Object(
  { ...metaFields, graph_exec_id: Type.String() },
  { $id: "ExecuteGraphResponse", title: "ExecuteGraphResponse" },
);

export const ExecuteBody = Type.Object({
  inputs: Type.Optional(AnyRecord),
  credentials_inputs: Type.Optional(AnyRecord),
  source: Type.Optional(Nullable(Type.String())),
  dry_run: Type.Optional(Type.Boolean()),
});
