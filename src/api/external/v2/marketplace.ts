// External API v2: marketplace reads — /marketplace/agents[/…], /marketplace/creators[/…], /marketplace/profile,
// /marketplace/submissions.
//
// StoreService answers (v1's /store too); this file maps to v2's shapes and cursor pages. AutoGPT opens its public
// reads to any credential; every External API route here names a scope, so they ask for READ_STORE. The marketplace
// writes (WRITE_STORE, and add-to-library) are not served.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { Page as StorePage } from "../../../services/store.js";
import { principalOf } from "../../auth-hooks.js";
import { DateTime, Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";

const agentFields = {
  slug: Type.String(),
  name: Type.String(),
  description: Type.String(),
  sub_heading: Type.String(),
  creator: Type.String(),
  creator_avatar: Type.String(),
  runs: Type.Integer({ description: "Number of times this agent has been run" }),
  rating: Type.Number({ description: "Average rating" }),
  image_url: Nullable(Type.String()),
};

const MarketplaceAgent = Type.Object(agentFields, { title: "MarketplaceAgent" });

const MarketplaceAgentDetails = Type.Object(
  {
    ...agentFields,
    store_listing_version_id: Type.String(),
    versions: Type.Array(Type.Integer(), {
      description: "Available store listing versions (sequential; != graph version)",
    }),
    instructions: Nullable(Type.String()),
    categories: Type.Array(Type.String()),
    image_urls: Type.Array(Type.String()),
    video_url: Nullable(Type.String()),
    agent_output_demo_url: Type.String(),
    recommended_schedule_cron: Nullable(Type.String()),
    graph_id: Type.String(),
    graph_versions: Type.Array(Type.Integer()),
    last_updated: DateTime,
  },
  { title: "MarketplaceAgentDetails" },
);

const MarketplaceCreatorDetails = Type.Object(
  {
    name: Type.String(),
    username: Type.String(),
    description: Type.String(),
    links: Type.Array(Type.String()),
    avatar_url: Nullable(Type.String()),
    is_featured: Type.Boolean(),
    num_agents: Type.Integer(),
    agent_runs: Type.Integer(),
    agent_rating: Type.Number(),
    top_categories: Type.Array(Type.String()),
  },
  { title: "MarketplaceCreatorDetails" },
);

const SubmissionStatus = Type.Union([
  Type.Literal("DRAFT"),
  Type.Literal("PENDING"),
  Type.Literal("APPROVED"),
  Type.Literal("REJECTED"),
]);

const MarketplaceAgentSubmission = Type.Object(
  {
    listing_id: Type.String(),
    listing_version_id: Type.String(),
    listing_version: Type.Integer(),
    graph_id: Type.String(),
    graph_version: Type.Integer(),
    slug: Type.String(),
    name: Type.String(),
    sub_heading: Type.String(),
    description: Type.String(),
    instructions: Nullable(Type.String()),
    categories: Type.Array(Type.String()),
    image_urls: Type.Array(Type.String()),
    video_url: Nullable(Type.String()),
    agent_output_demo_url: Nullable(Type.String()),
    changes_summary: Nullable(Type.String({ description: "Summary of changes in this version" })),
    submitted_at: Nullable(DateTime),
    submission_status: SubmissionStatus,
    submission_reviewed_at: Nullable(DateTime),
    submission_review_comments: Nullable(
      Type.String({ description: "Comments by the admin who reviewed the submission" }),
    ),
    run_count: Type.Integer(),
    user_review_count: Type.Integer(),
    user_review_avg_rating: Type.Number(),
  },
  { title: "MarketplaceAgentSubmission" },
);

const AgentsQuery = Type.Composite([
  Type.Object({
    featured: Type.Boolean({ default: false, description: "Filter to only show featured agents" }),
    creator: Type.Optional(Type.String({ maxLength: 200, description: "Filter by creator username" })),
    category: Type.Optional(Type.String({ maxLength: 200, description: "Filter by category" })),
    search_query: Type.Optional(
      Type.String({ maxLength: 500, description: "Literal + semantic search on names and descriptions" }),
    ),
    sorted_by: Type.Optional(
      Type.Union([Type.Literal("rating"), Type.Literal("runs"), Type.Literal("name"), Type.Literal("updated_at")], {
        description: "Property to sort results by. Ignored if search_query is provided.",
      }),
    ),
  }),
  PageQuery,
]);

const CreatorsQuery = Type.Composite([
  Type.Object({
    featured: Type.Boolean({ default: false, description: "Filter to featured creators only" }),
    search_query: Type.Optional(
      Type.String({ maxLength: 500, description: "Literal + semantic search on names and descriptions" }),
    ),
    sorted_by: Type.Optional(
      Type.Union([Type.Literal("agent_rating"), Type.Literal("agent_runs"), Type.Literal("num_agents")], {
        description: "Sort field",
      }),
    ),
  }),
  PageQuery,
]);

const Name = Type.String({ minLength: 1, maxLength: 200 });

/** A cursor page of what the store found; the cursor is checked before the store is asked. */
async function paged<T>(q: { limit: number; cursor?: string }, find: () => Promise<StorePage<T>>) {
  const page = new PageRequest(q.limit, q.cursor);
  const found = await find();
  return page.paged(found.items, found.total);
}

export const marketplaceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.platform;
  const tags = ["marketplace"];

  app.get(
    "/marketplace/agents",
    scoped(["READ_STORE"], {
      tags,
      summary: "List or search marketplace agents",
      operationId: "listMarketplaceAgents",
      description:
        "Marketplace agents, filtered and sorted. Agentry has no marketplace listings yet: the page is empty.",
      querystring: AgentsQuery,
      response: { 200: Page(MarketplaceAgent), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => paged(request.query, () => store.listAgents(request.query)),
  );

  app.get(
    "/marketplace/agents/by-version/:version_id",
    scoped(["READ_STORE"], {
      tags,
      summary: "Get marketplace agent by version ID",
      operationId: "getMarketplaceAgentByListingVersion",
      description: "A marketplace agent by its store listing version ID. There are no listings yet: 404.",
      params: Type.Object({ version_id: Name }),
      response: { 200: MarketplaceAgentDetails, ...v2Errors(401, 403, 404) },
    }),
    async (request) => store.getAgentByListingVersion(request.params.version_id),
  );

  app.get(
    "/marketplace/agents/:username/:agent_name",
    scoped(["READ_STORE"], {
      tags,
      summary: "Get marketplace agent details",
      operationId: "getMarketplaceAgent",
      description: "A marketplace agent by creator username and agent slug. There are no listings yet: 404.",
      params: Type.Object({ username: Name, agent_name: Name }),
      response: { 200: MarketplaceAgentDetails, ...v2Errors(401, 403, 404) },
    }),
    async (request) => store.getAgent(request.params.username, request.params.agent_name),
  );

  app.get(
    "/marketplace/creators",
    scoped(["READ_STORE"], {
      tags,
      summary: "List marketplace creators",
      operationId: "listMarketplaceCreators",
      description: "Marketplace creators. Agentry has no creator profiles yet: the page is empty.",
      querystring: CreatorsQuery,
      response: { 200: Page(MarketplaceCreatorDetails), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => paged(request.query, () => store.listCreators(request.query)),
  );

  app.get(
    "/marketplace/creators/:username",
    scoped(["READ_STORE"], {
      tags,
      summary: "Get marketplace creator details",
      operationId: "getMarketplaceCreator",
      description: "A marketplace creator's profile with stats. There are no creator profiles yet: 404.",
      params: Type.Object({ username: Name }),
      response: { 200: MarketplaceCreatorDetails, ...v2Errors(401, 403, 404) },
    }),
    async (request) => store.getCreator(request.params.username),
  );

  app.get(
    "/marketplace/profile",
    scoped(["READ_STORE"], {
      tags,
      summary: "Get my marketplace profile",
      operationId: "getMarketplaceMyProfile",
      description: "The caller's marketplace profile with creator stats. Agentry has no profiles yet: 404.",
      response: { 200: MarketplaceCreatorDetails, ...v2Errors(401, 403, 404) },
    }),
    async (request) => store.profile(principalOf(request).user.id),
  );

  app.get(
    "/marketplace/submissions",
    scoped(["READ_STORE"], {
      tags,
      summary: "List my marketplace submissions",
      operationId: "listMarketplaceSubmissions",
      description: "The caller's marketplace listing submissions. Agentry has no submissions yet: the page is empty.",
      querystring: PageQuery,
      response: { 200: Page(MarketplaceAgentSubmission), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => paged(request.query, () => store.listSubmissions(principalOf(request).user.id)),
  );
};
