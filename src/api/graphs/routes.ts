// /api/graphs and /api/builder/graphs (one handler, two paths): create, list, read, version, activate, delete graphs.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type TSchema, Type } from "@sinclair/typebox";
import type { FastifyRequest, preValidationAsyncHookHandler } from "fastify";
import { ApiError } from "../../core/errors.js";
import {
  type GraphDraft,
  type GraphInput,
  type GraphValidationError,
  prepareGraph,
  stripForExport,
  validateGraph,
} from "../../core/graph.js";
import { nextTurn } from "../../core/turn.js";
import * as repo from "../../infra/db/repos/graphs.js";
import { principalOf, requireScope } from "../auth-hooks.js";
import { anyCredentials, DateTime, errors, IdParam, Nullable } from "../schemas.js";

const Json = Type.Record(Type.String(), Type.Unknown());

const Link = Type.Object({
  id: Type.String(),
  source_id: Type.String(),
  sink_id: Type.String(),
  source_name: Type.String(),
  sink_name: Type.String(),
  is_static: Type.Boolean(),
});

const Node = Type.Object({
  id: Type.String(),
  block_id: Type.String(),
  input_default: Json,
  metadata: Json,
  input_links: Type.Array(Link),
  output_links: Type.Array(Link),
  graph_id: Type.Optional(Type.String()),
  graph_version: Type.Optional(Type.Integer()),
  webhook_id: Type.Optional(Nullable(Type.String())),
});

const ObjectSchema = Type.Object(
  { type: Type.Literal("object"), properties: Type.Record(Type.String(), Json), required: Type.Array(Type.String()) },
  { additionalProperties: true },
);

/** Field order as AutoGPT serializes a graph. */
const metaFields = {
  id: Type.String(),
  version: Type.Integer(),
  is_active: Type.Boolean(),
  name: Type.String(),
  description: Type.String(),
  instructions: Nullable(Type.String()),
  recommended_schedule_cron: Nullable(Type.String()),
  forked_from_id: Nullable(Type.String()),
  forked_from_version: Nullable(Type.Integer()),
  user_id: Type.String(),
  created_at: DateTime,
};

const GraphMeta = Type.Object(metaFields, { title: "GraphMeta" });

const modelFields = (subGraphs: TSchema) => ({
  ...metaFields,
  nodes: Type.Array(Node),
  links: Type.Array(Link),
  sub_graphs: subGraphs,
  input_schema: ObjectSchema,
  output_schema: ObjectSchema,
  has_external_trigger: Type.Boolean(),
  has_human_in_the_loop: Type.Boolean(),
  has_sensitive_action: Type.Boolean(),
  trigger_setup_info: Nullable(Json),
  credentials_input_schema: ObjectSchema,
});

/** A sub-graph serializes as AutoGPT's BaseGraph-typed list item: no nested sub_graphs. */
const { sub_graphs: _omit, ...subGraphFields } = modelFields(Type.Array(Json));
const GraphModel = Type.Object(modelFields(Type.Array(Type.Object(subGraphFields))), { title: "GraphModel" });

/**
 * A nullable request field as a JSON type list: with Ajv's coerceTypes, an `anyOf [string, null]` would turn
 * a null into "" (and an integer's null into 0) while trying the first branch.
 */
function OrNull<T extends keyof JsonTypes>(type: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<JsonTypes[T] | null>({ ...options, type: [type, "null"] });
}
type JsonTypes = { string: string; integer: number; boolean: boolean };

const LinkBody = Type.Object({
  id: Type.Optional(OrNull("string")),
  source_id: Type.String(),
  sink_id: Type.String(),
  source_name: Type.String(),
  sink_name: Type.String(),
  is_static: Type.Optional(OrNull("boolean")),
});

const NodeBody = Type.Object({
  id: Type.Optional(OrNull("string")),
  block_id: Type.String({ minLength: 1 }),
  input_default: Type.Optional(Json),
  metadata: Type.Optional(Json),
});

const baseGraphBody = {
  id: Type.Optional(OrNull("string")),
  version: Type.Optional(OrNull("integer", { minimum: 1 })),
  is_active: Type.Optional(OrNull("boolean")),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  instructions: Type.Optional(OrNull("string")),
  recommended_schedule_cron: Type.Optional(OrNull("string")),
  forked_from_id: Type.Optional(OrNull("string")),
  forked_from_version: Type.Optional(OrNull("integer")),
  nodes: Type.Optional(Type.Array(NodeBody, { maxItems: 20_000 })),
  links: Type.Optional(Type.Array(LinkBody, { maxItems: 100_000 })),
};

/** AutoGPT's `Graph`: computed fields and other extra keys of an export are accepted and ignored. */
const GraphBody = Type.Object(
  { ...baseGraphBody, sub_graphs: Type.Optional(Type.Array(Type.Object(baseGraphBody), { maxItems: 1000 })) },
  { title: "Graph" },
);

const CreateGraphBody = Type.Object({
  graph: GraphBody,
  source: Type.Optional(OrNull("string", { description: '"builder" or "upload"' })),
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

function rejectInvalid(problems: GraphValidationError[]): void {
  if (problems.length === 0) return;
  const first = problems[0] as GraphValidationError;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  throw ApiError.validation(
    `Invalid graph: ${first.message}${more}`,
    problems.slice(0, 200).map((p) => ({ ...p })),
  );
}

/** Defaults, fresh ids and static links, then AutoGPT's save-time validation (422 on any problem). */
async function prepareValid(body: object, userId: string, keepGraphId: boolean): Promise<GraphDraft> {
  const draft = prepareGraph(body as GraphInput, userId, { keepGraphId });
  // Each step is synchronous and linear, some 100 ms for 10,000 nodes: let other requests in between.
  if (draft.nodes.length > LARGE_GRAPH_NODES) await nextTurn();
  rejectInvalid(validateGraph(draft));
  if (draft.nodes.length > LARGE_GRAPH_NODES) await nextTurn();
  return draft;
}

/** From how many nodes saving a graph yields to the event loop between its steps. */
const LARGE_GRAPH_NODES = 1000;

export const graphRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { database, config } = app.platform;
  const db = database.db;
  // Agent exports reach a few hundred KB; allow five times the general body limit for them.
  const bodyLimit = config.bodyLimit * 5;
  // Scopes are checked before the body is validated: a caller without them learns nothing from a 422.
  const read = requireScope("READ_GRAPH");
  const write = requireScope("WRITE_GRAPH");
  const userOf = (request: FastifyRequest) => principalOf(request).user.id;

  async function mustGet(userId: string, id: string, version?: number) {
    const graph = await repo.getGraph(db, userId, id, version);
    if (!graph) throw ApiError.notFound("Graph", { graph_id: id, ...(version ? { version } : {}) });
    // Serializing 10,000 nodes is another synchronous step of its own.
    if (graph.nodes.length > LARGE_GRAPH_NODES) await nextTurn();
    return graph;
  }

  for (const base of ["/graphs", "/builder/graphs"]) {
    const common = { tags: ["graphs"], security: anyCredentials };

    app.get(
      base,
      {
        schema: {
          ...common,
          summary: "List graphs: the active version of each, newest first (page 1 of 250 unless asked)",
          description: "A plain array, as AutoGPT returns it; the total count is in the X-Total-Count header.",
          querystring: ListQuery,
          response: { 200: Type.Array(GraphMeta), ...errors(401, 403, 422) },
        },
        preValidation: read,
      },
      async (request, reply) => {
        const { page, page_size } = request.query;
        const { graphs, total } = await repo.listGraphs(db, userOf(request), { page, pageSize: page_size });
        reply.header("x-total-count", String(total));
        return graphs;
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
      async (request) => {
        const userId = userOf(request);
        const graph = await repo.createGraph(db, userId, await prepareValid(request.body.graph, userId, false));
        if (graph.nodes.length > LARGE_GRAPH_NODES) await nextTurn();
        return graph;
      },
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
      async (request) => {
        const graph = await mustGet(userOf(request), request.params.id, request.query.version);
        return request.query.for_export ? stripForExport(graph) : graph;
      },
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
      async (request) => {
        const graph = await mustGet(userOf(request), request.params.id, request.params.version);
        return request.query.for_export ? stripForExport(graph) : graph;
      },
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
      async (request) => {
        const versions = await repo.listVersions(db, userOf(request), request.params.id);
        if (versions.length === 0) throw ApiError.notFound("Graph", { graph_id: request.params.id });
        return versions;
      },
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
          body: GraphBody,
          response: {
            200: Type.Object({ graph: GraphModel, skipped_webhook_presets: SkippedPresets }),
            ...errors(400, 401, 403, 404, 413, 422),
          },
        },
        preValidation: [write, unwrapBody],
      },
      async (request) => {
        const userId = userOf(request);
        const { id } = request.params;
        if (request.body.id && request.body.id !== id) throw ApiError.badRequest("Graph ID does not match ID in URI");
        const existing = await repo.getGraph(db, userId, id, undefined, { subGraphs: false });
        if (!existing) throw ApiError.notFound("Graph", { graph_id: id });
        const graph = await repo.createVersion(
          db,
          userId,
          id,
          await prepareValid({ ...request.body, id }, userId, true),
        );
        if (!graph) throw ApiError.notFound("Graph", { graph_id: id });
        return { graph, skipped_webhook_presets: [] };
      },
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
        const { id } = request.params;
        const version = request.body.active_graph_version;
        if (!(await repo.setActiveVersion(db, userOf(request), id, version))) {
          throw ApiError.notFound("Graph version", { graph_id: id, version });
        }
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
      async (request) => {
        const deleted = await repo.deleteGraph(db, userOf(request), request.params.id);
        // AutoGPT answers {version_counts: 0} here; a 404 tells a client its id was wrong, and reveals nothing.
        if (deleted === 0) throw ApiError.notFound("Graph", { graph_id: request.params.id });
        return { version_counts: deleted };
      },
    );
  }
};
