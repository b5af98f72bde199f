// External API v1: running graphs, POST /graphs/{id}/execute[/{version}], and reading a run's results,
// GET /graphs/{id}/executions/{exec_id}/results. Runs start through the one start-run use case (RunService).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ExecutionStatus } from "../../../core/execution-status.js";
import { principalOf } from "../../auth-hooks.js";
import { NodeExecutionsPageQuery, noBodyIsEmpty } from "../../executions/schemas.js";
import { idempotent } from "../../idempotency.js";
import { errors, Pagination } from "../../schemas.js";
import { scoped } from "../common.js";
import { Id, Json } from "./schemas.js";

const ExecuteBody = Type.Object(
  {
    node_input: Type.Optional(Json),
    inputs: Type.Optional(Json),
    credentials_inputs: Type.Optional(Json),
  },
  {
    description:
      "AutoGPT's v1 body: the graph's inputs under `node_input` (by input name). `inputs` is accepted as an alias.",
    examples: [{ node_input: { Input: 8 } }],
  },
);

const ExecuteResponse = Type.Object({ id: Type.String({ description: "The graph execution's id" }) });

const ResultsParams = Type.Object({ graph_id: Id, graph_exec_id: Id });

/** AutoGPT's GraphExecutionResult. */
const GraphExecutionResult = Type.Object(
  {
    execution_id: Type.String(),
    status: ExecutionStatus,
    nodes: Type.Array(
      Type.Object({
        node_id: Type.String(),
        input: Type.Unknown({ description: "The node's `value` input if it has one, else its whole input" }),
        output: Type.Record(Type.String(), Type.Array(Type.Unknown())),
      }),
    ),
    output: Type.Union([Type.Array(Json), Type.Null()], {
      description: "One `{name: value}` object per graph output value once the run is COMPLETED, else null",
    }),
    nodes_pagination: Type.Object(Pagination.properties, {
      description: "Where `nodes` is among all of the run's node executions (not in AutoGPT's shape)",
    }),
  },
  { title: "GraphExecutionResult" },
);

export const executionsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { runs } = app.platform;

  const execute = async (
    userId: string,
    graphId: string,
    version: number | undefined,
    body: typeof ExecuteBody.static,
  ) => {
    const inputs = { ...(body?.inputs ?? {}), ...(body?.node_input ?? {}) };
    const row = await runs.start(
      userId,
      graphId,
      version,
      { inputs, credentials_inputs: body?.credentials_inputs },
      "external-v1",
    );
    return { id: row.id };
  };

  app.post(
    "/graphs/:graph_id/execute/:graph_version",
    {
      ...scoped(["EXECUTE_GRAPH"], {
        tags: ["graphs"],
        summary: "Execute a graph version",
        description:
          "Queues a run of the given version with `node_input` as its inputs and answers its id. Honours an " +
          "Idempotency-Key header. Another user's graph, or an unknown one, is 404; missing required or unknown " +
          "inputs, and missing credentials, 422.",
        params: Type.Object({ graph_id: Id, graph_version: Type.Integer({ minimum: 1 }) }),
        body: ExecuteBody,
        response: { 200: ExecuteResponse, ...errors(400, 401, 403, 404, 409, 422) },
      }),
      ...idempotent(app),
      preValidation: noBodyIsEmpty,
    },
    async (request) =>
      execute(principalOf(request).user.id, request.params.graph_id, request.params.graph_version, request.body),
  );

  app.post(
    "/graphs/:graph_id/execute",
    {
      ...scoped(["EXECUTE_GRAPH"], {
        tags: ["graphs"],
        summary: "Execute a graph's active version",
        description: "As `POST /graphs/{graph_id}/execute/{graph_version}`, on the graph's active version.",
        params: Type.Object({ graph_id: Id }),
        body: ExecuteBody,
        response: { 200: ExecuteResponse, ...errors(400, 401, 403, 404, 409, 422) },
      }),
      ...idempotent(app),
      preValidation: noBodyIsEmpty,
    },
    async (request) => execute(principalOf(request).user.id, request.params.graph_id, undefined, request.body),
  );

  app.get(
    "/graphs/:graph_id/executions/:graph_exec_id/results",
    scoped(["READ_GRAPH"], {
      tags: ["graphs"],
      summary: "Get a graph execution's results",
      description:
        "The run's status, each node execution's input and outputs (in the order they ran), and the graph's " +
        "outputs once COMPLETED. A run of another user's graph, or of another graph, is 404. AutoGPT returns " +
        "every node execution; this returns the first 1000, and `nodes_pagination` says how many there are: " +
        "read the rest with `?page=2` (and `page_size`, at most 1000).",
      params: ResultsParams,
      querystring: NodeExecutionsPageQuery,
      response: { 200: GraphExecutionResult, ...errors(401, 403, 404, 422) },
    }),
    async (request) => {
      const userId = principalOf(request).user.id;
      const { graph_id, graph_exec_id } = request.params;
      const { page, page_size } = request.query;
      const run = await runs.get(userId, graph_exec_id, graph_id, { page, pageSize: page_size });
      // A run of a graph deleted since is not the caller's to read any more.
      await runs.graphToRun(userId, run.graph_id, run.graph_version);
      return {
        execution_id: run.id,
        status: run.status,
        nodes: run.node_executions.map((node) => ({
          node_id: node.node_id,
          input: "value" in node.input_data ? node.input_data.value : node.input_data,
          output: node.output_data,
        })),
        nodes_pagination: run.node_executions_pagination,
        output:
          run.status === "COMPLETED"
            ? Object.entries(run.outputs).flatMap(([name, values]) => values.map((value) => ({ [name]: value })))
            : null,
      };
    },
  );
};
