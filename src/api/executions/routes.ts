// Runs: execute a graph version, list and read runs with their node executions, stop, delete.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { toGraphExecution } from "../../services/runs.js";
import { principalOf, requireAnyScope, requireScope } from "../auth-hooks.js";
import { anyCredentials, errors, Pagination, pagination } from "../schemas.js";
import { ExecuteBody, ExecutionStatus, NodeExecutionsPageQuery, noBodyIsEmpty } from "./schemas.js";

const GraphExecParams = Type.Object({ id: Type.String({ maxLength: 200 }), exec_id: Type.String({ maxLength: 200 }) });
const ExecParams = Type.Object({ id: Type.String({ maxLength: 200 }) });
const ListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 100, default: 25 }),
  graph_id: Type.Optional(Type.String({ maxLength: 200 })),
  status: Type.Optional(Type.Array(ExecutionStatus, { description: "Repeat to match any of several statuses" })),
});

const nodePagesNote =
  "AutoGPT returns every node execution of the run; a run may have tens of thousands, so this returns the first " +
  "1000 in the order they were created, and `node_executions_pagination` says how many there are: read the rest " +
  "with `?page=2` (and `page_size`, at most 1000).";

const nodePage = (q: { page: number; page_size: number }) => ({ page: q.page, pageSize: q.page_size });

export const executionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { runs } = app.platform;
  const common = { tags: ["executions"], security: anyCredentials };
  const canRun = requireAnyScope("RUN_AGENT", "EXECUTE_GRAPH");
  const canRead = requireScope("READ_RUN");
  const canWrite = requireScope("WRITE_RUN");

  const execute = async (
    userId: string,
    graphId: string,
    version: number | undefined,
    body: typeof ExecuteBody.static,
  ) => {
    await app.platform.credits.assertCanStart(userId);
    const row = await runs.start(userId, graphId, version, body ?? {}, "api");
    return { ...toGraphExecution(row), graph_exec_id: row.id };
  };

  app.post(
    "/graphs/:id/execute/:version",
    {
      preHandler: canRun,
      preValidation: noBodyIsEmpty,
      schema: {
        ...common,
        summary: "Execute a graph version",
        params: Type.Object({ id: Type.String({ maxLength: 200 }), version: Type.Integer({ minimum: 1 }) }),
        body: ExecuteBody,
        response: { 200: Type.Ref("ExecuteGraphResponse"), ...errors(401, 402, 403, 404, 422) },
      },
    },
    async (request) => execute(principalOf(request).user.id, request.params.id, request.params.version, request.body),
  );

  app.post(
    "/builder/graphs/:id/execute",
    {
      preHandler: canRun,
      preValidation: noBodyIsEmpty,
      schema: {
        ...common,
        summary: "Execute a graph's active version",
        params: ExecParams,
        body: ExecuteBody,
        response: { 200: Type.Ref("ExecuteGraphResponse"), ...errors(401, 402, 403, 404, 422) },
      },
    },
    async (request) => execute(principalOf(request).user.id, request.params.id, undefined, request.body),
  );

  app.get(
    "/executions",
    {
      preHandler: canRead,
      schema: {
        ...common,
        summary: "List the caller's runs, newest first (a plain list as AutoGPT; totals in X-Total-Count)",
        querystring: ListQuery,
        response: { 200: Type.Array(Type.Ref("GraphExecutionMeta")), ...errors(401, 403, 422) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const { rows, total } = await runs.list(principalOf(request).user.id, {
        graphId: q.graph_id,
        statuses: q.status,
        offset: (q.page - 1) * q.page_size,
        limit: q.page_size,
      });
      reply.header("x-total-count", total);
      reply.header("x-total-pages", Math.ceil(total / q.page_size));
      return rows.map(toGraphExecution);
    },
  );

  app.get(
    "/graphs/:id/executions",
    {
      preHandler: canRead,
      schema: {
        ...common,
        summary: "List runs of one graph, paginated",
        params: ExecParams,
        querystring: Type.Omit(ListQuery, ["graph_id"]),
        response: {
          200: Type.Object({ executions: Type.Array(Type.Ref("GraphExecutionMeta")), pagination: Pagination }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const { rows, total } = await runs.list(principalOf(request).user.id, {
        graphId: request.params.id,
        statuses: q.status,
        offset: (q.page - 1) * q.page_size,
        limit: q.page_size,
      });
      return { executions: rows.map(toGraphExecution), pagination: pagination(total, q.page, q.page_size) };
    },
  );

  app.get(
    "/executions/:id",
    {
      preHandler: canRead,
      schema: {
        ...common,
        summary: "One run with its node executions and outputs",
        description: nodePagesNote,
        params: ExecParams,
        querystring: NodeExecutionsPageQuery,
        response: { 200: Type.Ref("GraphExecutionWithNodes"), ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => runs.get(principalOf(request).user.id, request.params.id, undefined, nodePage(request.query)),
  );

  app.get(
    "/graphs/:id/executions/:exec_id",
    {
      preHandler: canRead,
      schema: {
        ...common,
        summary: "One run of a graph with its node executions and outputs",
        description: nodePagesNote,
        params: GraphExecParams,
        querystring: NodeExecutionsPageQuery,
        response: { 200: Type.Ref("GraphExecutionWithNodes"), ...errors(401, 403, 404, 422) },
      },
    },
    async (request) =>
      runs.get(principalOf(request).user.id, request.params.exec_id, request.params.id, nodePage(request.query)),
  );

  const stopSchema = {
    ...common,
    summary: "Stop a run: waiting nodes are dropped, running nodes cancelled; returns the ended run",
    response: { 200: Type.Ref("GraphExecutionMeta"), ...errors(401, 403, 404) },
  };
  app.post(
    "/executions/:id/stop",
    { preHandler: canWrite, schema: { ...stopSchema, params: ExecParams } },
    async (request) => toGraphExecution(await runs.stop(principalOf(request).user.id, request.params.id)),
  );
  app.post(
    "/graphs/:id/executions/:exec_id/stop",
    { preHandler: canWrite, schema: { ...stopSchema, params: GraphExecParams } },
    async (request) =>
      toGraphExecution(await runs.stop(principalOf(request).user.id, request.params.exec_id, request.params.id)),
  );

  app.delete(
    "/executions/:id",
    {
      preHandler: canWrite,
      schema: {
        ...common,
        summary: "Delete a finished run",
        params: ExecParams,
        response: { 204: Type.Null(), ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await runs.remove(principalOf(request).user.id, request.params.id);
      return reply.status(204).send(null);
    },
  );
};
