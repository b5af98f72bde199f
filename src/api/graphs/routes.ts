// /api/graphs and /api/builder/graphs (one handler, two paths): create, list, read, version, activate, delete graphs.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyRequest, preValidationAsyncHookHandler } from "fastify";
import { GraphInput, GraphMeta, GraphModel } from "../../core/graph-schema.js";
import { principalOf, requireScope } from "../auth-hooks.js";
import { anyCredentials, errors, IdParam, Nullable } from "../schemas.js";

const Json = Type.Record(Type.String(), Type.Unknown());

const CreateGraphBody = Type.Object({
  graph: GraphInput,
  source: Type.Optional(Nullable(Type.String({ description: '"builder" or "upload"' }))),
});

const VersionParams = Type.Object({ id: IdParam.properties.id, version: Type.Integer({ minimum: 1 }) });

const GraphQuery = Type.Object({
  version: Type.Optional(Type.Integer({ minimum: 1 })),
  for_export: Type.Optional(Type.Boolean({ default: false })),
});

const ListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 250, default: 250 }),
});

const SkippedPresets = Type.Array(Json, { description: "Always empty: there are no webhook-triggered presets" });

/** Clients may send a bare graph where AutoGPT wants `{graph: ...}` (POST), or the reverse (PUT). */
function isWrapped(body: unknown): body is { graph: unknown } {
  return typeof body === "object" && body !== null && "graph" in body && !("nodes" in body);
}

const wrapBody: preValidationAsyncHookHandler = async (request) => {
  if (!isWrapped(request.body)) request.body = { graph: request.body };
};

const unwrapBody: preValidationAsyncHookHandler = async (request) => {
  if (isWrapped(request.body)) request.body = request.body.graph;
};

export const graphRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { graphs, config } = app.platform;
  // Agent exports reach a few hundred KB; allow five times the general body limit for them.
  const bodyLimit = config.bodyLimit * 5;
  // Scopes are checked before the body is validated: a caller without them learns nothing from a 422.
  const read = requireScope("READ_GRAPH");
  const write = requireScope("WRITE_GRAPH");
  const userOf = (request: FastifyRequest) => principalOf(request).user.id;

  for (const base of ["/graphs", "/builder/graphs"]) {
    const common = { tags: ["graphs"], security: anyCredentials };

    app.get(
      base,
      {
        schema: {
          ...common,
          summary: "List graphs: the active version of each, newest first (page 1 of 250 unless asked)",
          description:
            "A plain array of AutoGPT's GraphMeta (computed schemas included, without nodes), as AutoGPT returns it; " +
            "the total count is in the X-Total-Count header.",
          querystring: ListQuery,
          response: { 200: Type.Array(GraphMeta), ...errors(401, 403, 422) },
        },
        preValidation: read,
      },
      async (request, reply) => {
        const { page, page_size } = request.query;
        const list = await graphs.list(userOf(request), { page, pageSize: page_size });
        reply.header("x-total-count", String(list.total));
        return list.graphs;
      },
    );

    app.post(
      base,
      {
        bodyLimit,
        schema: {
          ...common,
          summary: "Create a graph (import an agent): new ids for the graph, its nodes, links and sub-graphs",
          description:
            "Body `{graph, source?}` as AutoGPT; a bare graph object is accepted too. Validation problems give " +
            "422 with `details.errors = [{node_id, field, message}]`.",
          body: CreateGraphBody,
          response: { 200: GraphModel, ...errors(400, 401, 403, 413, 422) },
        },
        preValidation: [write, wrapBody],
      },
      async (request) => graphs.create(userOf(request), request.body.graph),
    );

    app.get(
      `${base}/:id`,
      {
        schema: {
          ...common,
          summary: "Get a graph: the given version, else the active one (with its sub-graphs)",
          params: IdParam,
          querystring: GraphQuery,
          response: { 200: GraphModel, ...errors(401, 403, 404, 422) },
        },
        preValidation: read,
      },
      async (request) =>
        graphs.get(userOf(request), request.params.id, request.query.version, { forExport: request.query.for_export }),
    );

    app.get(
      `${base}/:id/versions/:version`,
      {
        schema: {
          ...common,
          summary: "Get one version of a graph",
          params: VersionParams,
          querystring: Type.Object({ for_export: Type.Optional(Type.Boolean({ default: false })) }),
          response: { 200: GraphModel, ...errors(401, 403, 404, 422) },
        },
        preValidation: read,
      },
      async (request) =>
        graphs.get(userOf(request), request.params.id, request.params.version, { forExport: request.query.for_export }),
    );

    app.get(
      `${base}/:id/versions`,
      {
        schema: {
          ...common,
          summary: "List every version of a graph, newest first",
          params: IdParam,
          response: { 200: Type.Array(GraphModel), ...errors(401, 403, 404) },
        },
        preValidation: read,
      },
      async (request) => graphs.listVersions(userOf(request), request.params.id),
    );

    app.put(
      `${base}/:id`,
      {
        bodyLimit,
        schema: {
          ...common,
          summary:
            "Update a graph: stores version max+1 (active unless is_active=false); returns {graph, skipped_webhook_presets}",
          description:
            "The body is the graph itself, as AutoGPT (`{graph: ...}` is accepted too). The response is AutoGPT's " +
            "newest shape: the new version under `graph`, and an always-empty `skipped_webhook_presets`.",
          params: IdParam,
          body: GraphInput,
          response: {
            200: Type.Object({ graph: GraphModel, skipped_webhook_presets: SkippedPresets }),
            ...errors(400, 401, 403, 404, 413, 422),
          },
        },
        preValidation: [write, unwrapBody],
      },
      async (request) => ({
        graph: await graphs.createVersion(userOf(request), request.params.id, request.body),
        skipped_webhook_presets: [],
      }),
    );

    app.put(
      `${base}/:id/versions/active`,
      {
        schema: {
          ...common,
          summary: "Make a version the only active one; returns {skipped_webhook_presets: []} as AutoGPT's newest",
          params: IdParam,
          body: Type.Object({ active_graph_version: Type.Integer({ minimum: 1 }) }),
          response: { 200: Type.Object({ skipped_webhook_presets: SkippedPresets }), ...errors(401, 403, 404, 422) },
        },
        preValidation: write,
      },
      async (request) => {
        await graphs.setActiveVersion(userOf(request), request.params.id, request.body.active_graph_version);
        return { skipped_webhook_presets: [] };
      },
    );

    app.delete(
      `${base}/:id`,
      {
        schema: {
          ...common,
          summary: "Delete a graph, all versions; returns how many versions were deleted",
          params: IdParam,
          response: { 200: Type.Object({ version_counts: Type.Integer() }), ...errors(401, 403, 404) },
        },
        preValidation: write,
      },
      // AutoGPT answers {version_counts: 0} for an unknown graph; a 404 tells a client its id was wrong.
      async (request) => ({ version_counts: await graphs.delete(userOf(request), request.params.id) }),
    );
  }
};
