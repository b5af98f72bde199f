// External API v1: GET/POST /graphs, POST /graphs/{id}/execute/{version}, GET /graphs/{id}/executions/{exec_id}/results.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { preValidationAsyncHookHandler } from "fastify";
import { ApiError } from "../../../core/errors.js";
import { GraphInput, GraphMeta, GraphModel } from "../../../core/graph-schema.js";
import * as graphRepo from "../../../infra/db/repos/graphs.js";
import { principalOf } from "../../auth-hooks.js";
import { NodeExecutionsPageQuery } from "../../executions/schemas.js";
import { idempotent } from "../../idempotency.js";
import { errors, Pagination } from "../../schemas.js";
import { scoped } from "../common.js";
import { ExecutionStatus, Id, Json } from "./schemas.js";

const ListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 250, default: 250 }),
});

const ExecuteBody = Type.Object(
  {
    node_input: Type.Optional(Json),
    inputs: Type.Optional(Json),
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

/** AutoGPT takes the bare graph; Agentry's /api also takes `{graph: ...}`: accept both here too. */
const unwrapGraph: preValidationAsyncHookHandler = async (request) => {
  const body = request.body as Record<string, unknown> | null | undefined;
  if (body && typeof body === "object" && "graph" in body && !("nodes" in body)) request.body = body.graph;
};

/** AutoGPT's execute takes no body at all as `{}` (no inputs). */
const emptyBodyIsEmptyObject: preValidationAsyncHookHandler = async (request) => {
  if (request.body === undefined || request.body === null) request.body = {};
};

export const graphsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { database, executions, config, graphs } = app.platform;
  const db = database.db;

  app.get(
    "/graphs",
    scoped(["READ_GRAPH"], {
      tags: ["graphs"],
      summary: "List graphs",
      description:
        "The active version of each of the caller's graphs, newest first, as a plain array; the total count is in " +
        "the X-Total-Count header.",
      querystring: ListQuery,
      response: { 200: Type.Array(GraphMeta), ...errors(401, 403, 422) },
    }),
    async (request, reply) => {
      const { page, page_size } = request.query;
      const list = await graphs.list(principalOf(request).user.id, { page, pageSize: page_size });
      reply.header("x-total-count", String(list.total));
      return list.graphs;
    },
  );

  app.post(
    "/graphs",
    {
      ...scoped(["WRITE_GRAPH"], {
        tags: ["graphs"],
        summary: "Create a graph",
        description:
          "Creates a new agent graph from AutoGPT's graph JSON (an export imports unchanged; `{graph: ...}` is " +
          "accepted too). The graph, its nodes, links and sub-graphs get new ids; it is validated as AutoGPT does " +
          "on save (422 with `details.errors = [{node_id, field, message}]`).",
        body: GraphInput,
        response: { 201: GraphModel, ...errors(400, 401, 403, 413, 422) },
      }),
      bodyLimit: config.bodyLimit * 5,
      preValidation: unwrapGraph,
    },
    async (request, reply) => reply.status(201).send(await graphs.create(principalOf(request).user.id, request.body)),
  );

  const execute = async (
    userId: string,
    graphId: string,
    version: number | undefined,
    body: typeof ExecuteBody.static,
  ) => {
    const inputs = { ...(body?.inputs ?? {}), ...(body?.node_input ?? {}) };
    const row = await executions.start(userId, graphId, version, { inputs });
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
          "Idempotency-Key header. Another user's graph, or an unknown one, is 404; missing required inputs 422.",
        params: Type.Object({ graph_id: Id, graph_version: Type.Integer({ minimum: 1 }) }),
        body: ExecuteBody,
        response: { 200: ExecuteResponse, ...errors(400, 401, 403, 404, 409, 422) },
      }),
      ...idempotent(app),
      preValidation: emptyBodyIsEmptyObject,
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
      preValidation: emptyBodyIsEmptyObject,
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
      const run = await executions.get(userId, graph_exec_id, graph_id, { page, pageSize: page_size });
      const graph = await graphRepo.getGraph(db, userId, run.graph_id, run.graph_version, { subGraphs: false });
      if (!graph) throw ApiError.notFound(`Graph #${graph_id}`, { graph_id });
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
