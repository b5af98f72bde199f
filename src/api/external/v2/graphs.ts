// External API v2: /graphs — the caller's graphs: list, read, create, new versions, the active version, settings,
// the graph's library agent, blocks, credential needs and marketplace listing, and creating a run schedule.
//
// AutoGPT's v2 has no graph delete (it is commented out there), so neither has this. Agentry has no marketplace
// yet, so a graph's marketplace listing is always 404.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { getBlock } from "../../../blocks/index.js";
import type { Block } from "../../../blocks/sdk.js";
import { ApiError } from "../../../core/errors.js";
import { graphInterfaceFields, graphMetaFields, Link, NodeModel } from "../../../core/graph-schema.js";
import type { GraphInput, GraphVersionMeta } from "../../../core/graph-types.js";
import { principalOf } from "../../auth-hooks.js";
import { idempotent } from "../../idempotency.js";
import { Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { BlockInfo, toBlockInfo } from "./blocks.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";
import { CredentialRequirement, credentialRequirements } from "./integrations.js";
import { LibraryAgent, tenanted, toLibraryAgent } from "./library-models.js";
import {
  AgentRunSchedule,
  CREATE_SCHEDULE_DESCRIPTION,
  createSchedule,
  GraphScheduleCreateRequest,
  toAgentRunSchedule,
} from "./schedules.js";

/** PostgreSQL text cannot hold NUL: strings that are stored or looked up refuse it up front (422, not 500). */
const NO_NUL = "^[^\\u0000]*$";

const GraphLink = Type.Object(
  {
    id: Type.String({ maxLength: 200, pattern: NO_NUL }),
    source_id: Type.String({ maxLength: 200, pattern: NO_NUL, description: "ID of the source node" }),
    sink_id: Type.String({ maxLength: 200, pattern: NO_NUL, description: "ID of the target node" }),
    source_name: Type.String({ maxLength: 500, pattern: NO_NUL, description: "Output pin name on source node" }),
    sink_name: Type.String({ maxLength: 500, pattern: NO_NUL, description: "Input pin name on target node" }),
    is_static: Type.Boolean({ default: false, description: "Whether this link provides static data" }),
  },
  { title: "GraphLink" },
);

const GraphNode = Type.Object(
  {
    id: Type.String({ maxLength: 200, pattern: NO_NUL }),
    block_id: Type.String({ maxLength: 200, pattern: NO_NUL, description: "ID of the block type" }),
    input_default: Type.Record(Type.String(), Type.Unknown(), { default: {}, description: "Default input values" }),
    metadata: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: "Node metadata (e.g., position)",
    }),
  },
  { title: "GraphNode" },
);

/** AutoGPT v2's field order: `created_at` before the fork fields, and no `user_id`. */
const { user_id: _owner, created_at, forked_from_id, forked_from_version, ...ownFields } = graphMetaFields;
const metaFields = { ...tenanted, ...ownFields, created_at, forked_from_id, forked_from_version };

const GraphMeta = Type.Object(metaFields, { title: "GraphMeta" });

const Graph = Type.Object(
  {
    ...metaFields,
    nodes: Type.Array(Type.Pick(NodeModel, ["id", "block_id", "input_default", "metadata"], { title: "GraphNode" })),
    links: Type.Array(Type.Object(Link.properties, { title: "GraphLink" })),
    input_schema: graphInterfaceFields.input_schema,
    output_schema: graphInterfaceFields.output_schema,
    credentials_input_schema: graphInterfaceFields.credentials_input_schema,
  },
  { title: "Graph" },
);

const GraphCreateRequest = Type.Object(
  {
    name: Type.String({ maxLength: 500, pattern: NO_NUL, description: "Graph name" }),
    description: Type.String({ default: "", maxLength: 50_000, pattern: NO_NUL, description: "Graph description" }),
    nodes: Type.Array(GraphNode, { maxItems: 20_000, description: "List of nodes" }),
    links: Type.Array(GraphLink, { maxItems: 100_000, description: "Links between nodes" }),
    is_active: Type.Boolean({ default: true, description: "Whether this version is active" }),
  },
  { title: "GraphCreateRequest" },
);

const GraphSettings = Type.Object(
  {
    human_in_the_loop_safe_mode: Nullable(
      Type.Boolean({ default: null, description: "Enable safe mode for human-in-the-loop blocks" }),
    ),
  },
  { title: "GraphSettings" },
);

const GraphId = Type.Object({ graph_id: Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL }) });

/** v2 graphs carry AutoGPT's tenancy fields; the response schema leaves out what v2 does not show (user_id). */
function toGraph<G extends GraphVersionMeta>(g: G): G & { organization_id: null; team_id: null } {
  return { ...g, organization_id: null, team_id: null };
}

/** Only the request model's fields: extra keys (an export's version, sub_graphs, computed fields) are ignored. */
function graphInput(body: typeof GraphCreateRequest.static): GraphInput {
  const { name, description, is_active, nodes, links } = body;
  return { name, description, is_active, nodes, links };
}

export const graphsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { graphs, library } = app.platform;
  // Agent definitions reach a few hundred KB; allow five times the general body limit for them (as /api/graphs).
  const bodyLimit = app.platform.config.bodyLimit * 5;
  const tags = ["graphs"];

  app.get(
    "/graphs",
    scoped(["READ_GRAPH"], {
      tags,
      summary: "List graphs",
      operationId: "listGraphs",
      description: "The caller's graphs (the active version of each), newest first.",
      querystring: PageQuery,
      response: { 200: Page(GraphMeta), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => {
      const page = new PageRequest(request.query.limit, request.query.cursor);
      const list = await graphs.list(principalOf(request).user.id, { page: page.page, pageSize: page.limit });
      return page.paged(list.graphs.map(toGraph), list.total);
    },
  );

  app.get(
    "/graphs/:graph_id",
    scoped(["READ_GRAPH"], {
      tags,
      summary: "Get graph details",
      operationId: "getGraphDetails",
      description: "The active version by default; pass `version` for another one.",
      params: GraphId,
      querystring: Type.Object({
        version: Type.Optional(
          Type.Integer({ minimum: 1, description: "Specific version to retrieve (default: active version)" }),
        ),
      }),
      response: { 200: Graph, ...v2Errors(401, 403, 404, 422) },
    }),
    async (request) =>
      toGraph(await graphs.get(principalOf(request).user.id, request.params.graph_id, request.query.version)),
  );

  app.post(
    "/graphs",
    {
      bodyLimit,
      ...scoped(["WRITE_GRAPH"], {
        tags,
        summary: "Create graph",
        operationId: "createGraph",
        description:
          "Creates a graph (version 1) with new ids for it, its nodes and its links, and adds it to the caller's " +
          "library. Validation problems give 422 with `details.errors = [{node_id, field, message}]`.",
        body: GraphCreateRequest,
        response: { 201: Graph, ...v2Errors(400, 401, 403, 413, 422) },
      }),
    },
    async (request, reply) => {
      const graph = await graphs.create(principalOf(request).user.id, graphInput(request.body));
      return reply.code(201).send(toGraph(graph));
    },
  );

  app.put(
    "/graphs/:graph_id",
    {
      bodyLimit,
      ...scoped(["WRITE_GRAPH"], {
        tags,
        summary: "Update graph by creating a new version",
        operationId: "updateGraphCreateVersion",
        description:
          "Stores the body as a new version (latest + 1); existing versions are not changed. The new version is " +
          "the active one unless `is_active` is false.",
        params: GraphId,
        body: GraphCreateRequest,
        response: { 200: Graph, ...v2Errors(400, 401, 403, 404, 413, 422) },
      }),
    },
    async (request) =>
      toGraph(
        await graphs.createVersion(principalOf(request).user.id, request.params.graph_id, graphInput(request.body)),
      ),
  );

  app.get(
    "/graphs/:graph_id/versions",
    scoped(["READ_GRAPH"], {
      tags,
      summary: "List graph versions",
      operationId: "listGraphVersions",
      description: "Every version of the graph, newest first.",
      params: GraphId,
      querystring: PageQuery,
      response: { 200: Page(Graph), ...v2Errors(400, 401, 403, 404, 422) },
    }),
    async (request) => {
      const page = new PageRequest(request.query.limit, request.query.cursor);
      const versions = await graphs.listVersions(principalOf(request).user.id, request.params.graph_id);
      return page.slice(versions.map(toGraph));
    },
  );

  app.put(
    "/graphs/:graph_id/versions/active",
    scoped(["WRITE_GRAPH"], {
      tags,
      summary: "Set active graph version",
      operationId: "updateGraphSetActiveVersion",
      description: "The active version is the one runs use by default.",
      params: GraphId,
      body: Type.Object(
        { active_graph_version: Type.Integer({ minimum: 1, description: "Version number to set as active" }) },
        { title: "GraphSetActiveVersionRequest" },
      ),
      response: { 204: Type.Null({ description: "Activated" }), ...v2Errors(401, 403, 404, 422) },
    }),
    async (request, reply) => {
      const { graph_id } = request.params;
      await graphs.setActiveVersion(principalOf(request).user.id, graph_id, request.body.active_graph_version);
      return reply.code(204).send(null);
    },
  );

  app.patch(
    "/graphs/:graph_id/settings",
    scoped(["WRITE_GRAPH"], {
      tags,
      summary: "Update graph settings",
      operationId: "updateGraphSettings",
      description: "Changes the settings sent (null leaves one as it is) and returns them all.",
      params: GraphId,
      body: GraphSettings,
      response: { 200: GraphSettings, ...v2Errors(401, 403, 404, 422) },
    }),
    async (request) => {
      const changes: Record<string, unknown> = {};
      const safeMode = request.body.human_in_the_loop_safe_mode;
      if (safeMode !== null && safeMode !== undefined) changes.human_in_the_loop_safe_mode = safeMode;
      const settings = await library.updateSettings(principalOf(request).user.id, request.params.graph_id, changes);
      const stored = settings.human_in_the_loop_safe_mode;
      // AutoGPT's default: safe mode on.
      return { human_in_the_loop_safe_mode: typeof stored === "boolean" ? stored : true };
    },
  );

  app.get(
    "/graphs/:graph_id/library-agent",
    scoped(["READ_LIBRARY"], {
      tags,
      summary: "Get library agent for graph",
      operationId: "getLibraryAgentForGraph",
      params: GraphId,
      response: { 200: LibraryAgent, ...v2Errors(401, 403, 404) },
    }),
    async (request) => {
      const userId = principalOf(request).user.id;
      const agent = await library.ofGraph(userId, request.params.graph_id);
      if (!agent) throw ApiError.notFound(`Library agent for graph #${request.params.graph_id}`);
      return toLibraryAgent(agent, userId);
    },
  );

  app.get(
    "/graphs/:graph_id/blocks",
    scoped(["READ_GRAPH"], {
      tags,
      summary: "List blocks used in a graph",
      operationId: "listBlocksInGraph",
      description: "The distinct blocks of the active version's nodes, in node order.",
      params: GraphId,
      querystring: PageQuery,
      response: { 200: Page(BlockInfo), ...v2Errors(400, 401, 403, 404, 422) },
    }),
    async (request) => {
      const page = new PageRequest(request.query.limit, request.query.cursor);
      const graph = await graphs.get(principalOf(request).user.id, request.params.graph_id);
      const ids = [...new Set(graph.nodes.map((n) => n.block_id))];
      const blocks = ids.map((id) => getBlock(id)).filter((b): b is Block => b !== undefined);
      return page.slice(blocks.map(toBlockInfo));
    },
  );

  app.get(
    "/graphs/:graph_id/credentials",
    scoped(["READ_INTEGRATIONS"], {
      tags,
      summary: "Get graph credentials",
      operationId: "getCredentialRequirementsForGraph",
      description:
        "The credentials the graph needs (one item per credentials field and provider) and the caller's " +
        "credentials that match each (none: Agentry stores no third-party credentials yet).",
      params: GraphId,
      querystring: PageQuery,
      response: { 200: Page(CredentialRequirement), ...v2Errors(400, 401, 403, 404, 422) },
    }),
    async (request) => {
      const userId = principalOf(request).user.id;
      const page = new PageRequest(request.query.limit, request.query.cursor);
      const graph = await graphs.get(userId, request.params.graph_id);
      return page.slice(
        await credentialRequirements(app.platform.integrations, graph.credentials_input_schema, userId),
      );
    },
  );

  app.get(
    "/graphs/:graph_id/marketplace-listing",
    scoped(["READ_STORE"], {
      tags,
      summary: "Get marketplace listing for graph",
      operationId: "getMarketplaceListingForGraph",
      description:
        "The marketplace listing of the graph (AutoGPT's MarketplaceAgentDetails). Agentry has no marketplace " +
        "listings yet, so this is always 404.",
      params: GraphId,
      response: {
        200: Type.Record(Type.String(), Type.Unknown(), { title: "MarketplaceAgentDetails" }),
        ...v2Errors(401, 403, 404),
      },
    }),
    async (request) => {
      throw ApiError.notFound(`Marketplace listing for graph #${request.params.graph_id}`);
    },
  );

  app.post(
    "/graphs/:graph_id/schedules",
    {
      ...scoped(["WRITE_SCHEDULE", "RUN_AGENT"], {
        tags: [...tags, "schedules"],
        summary: "Create run schedule for a graph",
        operationId: "createGraphRunScheduleForGraph",
        description: `${CREATE_SCHEDULE_DESCRIPTION} The same as POST /schedules with the graph in the path.`,
        params: GraphId,
        body: GraphScheduleCreateRequest,
        response: { 201: AgentRunSchedule, ...v2Errors(400, 401, 403, 404, 409, 422) },
      }),
      ...idempotent(app),
    },
    async (request, reply) => {
      const row = await createSchedule(app, principalOf(request).user.id, request.params.graph_id, request.body);
      return reply.code(201).send(toAgentRunSchedule(row));
    },
  );
};
