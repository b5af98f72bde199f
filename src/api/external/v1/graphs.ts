// External API v1: GET/POST /graphs (running them and reading their runs: executions.ts).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { preValidationAsyncHookHandler } from "fastify";
import { GraphInput, GraphMeta, GraphModel } from "../../../core/graph-schema.js";
import { principalOf } from "../../auth-hooks.js";
import { errors } from "../../schemas.js";
import { scoped } from "../common.js";

const ListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 250, default: 250 }),
});

/** AutoGPT takes the bare graph; Agentry's /api also takes `{graph: ...}`: accept both here too. */
const unwrapGraph: preValidationAsyncHookHandler = async (request) => {
  const body = request.body as Record<string, unknown> | null | undefined;
  if (body && typeof body === "object" && "graph" in body && !("nodes" in body)) request.body = body.graph;
};

export const graphsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, graphs } = app.platform;

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
};
