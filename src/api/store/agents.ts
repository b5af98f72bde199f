// The listed agents: /api/store/agents (list, by creator and slug, by listing version), their reviews, graphs and
// agent files, and /api/store/myagents (the caller's agents not in the store yet).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { GraphModel } from "../../core/graph-schema.js";
import { CONTENT_TYPES, type ContentType } from "../../services/search.js";
import { principalOf, requireScope } from "../auth-hooks.js";
import { anyCredentials, DateTime, errors, Nullable, Pagination, pagination } from "../schemas.js";
import {
  MyAgentsResponse,
  Name,
  StoreAgentDetails,
  StoreAgentsResponse,
  StorePage,
  StoreReview,
  StoreReviewCreate,
  VersionParam,
} from "./schemas.js";

const AgentsQuery = Type.Object({
  featured: Type.Boolean({ default: false, description: "Only featured agents" }),
  creator: Type.Optional(Type.String({ maxLength: 200, description: "Creator username" })),
  sorted_by: Type.Optional(
    Type.Union([Type.Literal("rating"), Type.Literal("runs"), Type.Literal("name"), Type.Literal("updated_at")], {
      description: "Ignored with a search_query",
    }),
  ),
  search_query: Type.Optional(Type.String({ maxLength: 500, description: "Search names, sub-headings, descriptions" })),
  category: Type.Optional(Type.String({ maxLength: 200 })),
  ...StorePage,
});

const AgentParams = Type.Object({ username: Name, agent_name: Name });

const UnifiedSearchResult = Type.Object(
  {
    content_type: Type.String(),
    content_id: Type.String(),
    searchable_text: Type.String(),
    metadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
    updated_at: Nullable(DateTime),
    combined_score: Nullable(Type.Number()),
    semantic_score: Nullable(Type.Number({ description: "Always null: Agentry matches literally" })),
    lexical_score: Nullable(Type.Number()),
  },
  { title: "UnifiedSearchResult" },
);

const SearchQuery = Type.Object({
  query: Type.String({ minLength: 1, maxLength: 500 }),
  content_types: Type.Optional(
    Type.Array(Type.Unsafe<ContentType>(Type.Union(CONTENT_TYPES.map((c) => Type.Literal(c)))), {
      description: "STORE_AGENT, BLOCK, DOCUMENTATION (the default: all public types)",
    }),
  ),
  ...StorePage,
});

export const agentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.platform;
  const tags = ["store"];

  app.get(
    "/agents",
    {
      schema: {
        tags,
        summary: "List store agents",
        description:
          "Listed agents (each listing at its latest approved version) filtered by featured, creator, category and " +
          "search, sorted by rating, runs, name or update; public.",
        querystring: AgentsQuery,
        response: { 200: StoreAgentsResponse, ...errors(422) },
      },
    },
    async (request) => {
      const { items, total } = await store.listAgents(request.query, request.query);
      return { agents: items, pagination: pagination(total, request.query.page, request.query.page_size) };
    },
  );

  app.get(
    "/agents/:username/:agent_name",
    {
      schema: {
        tags,
        summary: "Get specific agent",
        description: "A listed agent by creator username and slug (case-insensitive), at its active version; public.",
        params: AgentParams,
        response: { 200: StoreAgentDetails, ...errors(404, 422) },
      },
    },
    async (request) =>
      store.getAgent(decodeURIComponent(request.params.username), decodeURIComponent(request.params.agent_name)),
  );

  app.get(
    "/agents/:store_listing_version_id",
    {
      schema: {
        tags,
        summary: "Get agent by version",
        description: "A listed agent at one of its approved listing versions (404 for one not approved).",
        params: VersionParam,
        response: { 200: StoreAgentDetails, ...errors(404, 422) },
      },
    },
    async (request) => store.getAgentByListingVersion(request.params.store_listing_version_id),
  );

  app.post(
    "/agents/:username/:agent_name/review",
    {
      schema: {
        tags,
        security: anyCredentials,
        summary: "Create agent review",
        description:
          "Rates an approved version of the agent from 1 to 5, with optional comments; the caller's later review of " +
          "the same version replaces the earlier one. The agent's rating is the average of its reviews.",
        params: AgentParams,
        body: StoreReviewCreate,
        response: { 200: StoreReview, ...errors(401, 403, 404, 422) },
      },
      preValidation: requireScope("WRITE_STORE"),
    },
    async (request) =>
      store.createReview(
        principalOf(request).user.id,
        decodeURIComponent(request.params.username),
        decodeURIComponent(request.params.agent_name),
        request.body,
      ),
  );

  app.get(
    "/graph/:store_listing_version_id",
    {
      schema: {
        tags,
        security: anyCredentials,
        summary: "Get agent graph",
        description: "The graph of an approved listing version, as an export (no credentials, secrets or owner).",
        params: VersionParam,
        response: { 200: GraphModel, ...errors(401, 403, 404, 422) },
      },
      preValidation: requireScope("READ_STORE"),
    },
    async (request) => store.graphOf(request.params.store_listing_version_id),
  );

  app.get(
    "/download/agents/:store_listing_version_id",
    {
      schema: {
        tags,
        summary: "Download agent file",
        description: "The agent file (graph export JSON) of an approved listing version, to import; public.",
        params: VersionParam,
        response: { 200: GraphModel, ...errors(404, 422) },
      },
    },
    async (request, reply) => {
      const graph = await store.download(request.params.store_listing_version_id);
      reply.header("content-disposition", `attachment; filename="agent_${graph.id}.json"`);
      return graph;
    },
  );

  app.get(
    "/search",
    {
      schema: {
        tags,
        security: anyCredentials,
        summary: "Unified search across all content types",
        description:
          "Listed store agents and blocks (documentation has no content in Agentry) holding every word of the " +
          "query, best first; the caller's library agents and files when asked for, with their scopes.",
        querystring: SearchQuery,
        response: {
          200: Type.Object(
            { results: Type.Array(UnifiedSearchResult), pagination: Pagination },
            { title: "UnifiedSearchResponse" },
          ),
          ...errors(401, 403, 422),
        },
      },
      preValidation: requireScope("READ_STORE"),
    },
    async (request) => {
      const principal = principalOf(request);
      const { query, content_types, page, page_size } = request.query;
      const found = await app.platform.search.search(
        { userId: principal.user.id, scopes: principal.scopes },
        { query, contentTypes: content_types as ContentType[] | undefined },
      );
      const results = found
        .slice((page - 1) * page_size, page * page_size)
        .map((r) => ({ ...r, semantic_score: null, lexical_score: r.combined_score }));
      return { results, pagination: pagination(found.length, page, page_size) };
    },
  );

  app.get(
    "/myagents",
    {
      schema: {
        tags,
        security: anyCredentials,
        summary: "Get my agents",
        description: "The caller's agents (latest version of each graph) that are not in the store yet.",
        querystring: Type.Object(StorePage),
        response: { 200: MyAgentsResponse, ...errors(401, 403, 422) },
      },
      preValidation: requireScope("READ_STORE"),
    },
    async (request) => {
      const { items, total } = await store.myAgents(principalOf(request).user.id, request.query);
      return { agents: items, pagination: pagination(total, request.query.page, request.query.page_size) };
    },
  );
};
