// External API v2: marketplace reads — /marketplace/agents[/…], /marketplace/creators[/…], /marketplace/profile,
// /marketplace/submissions.
//
// StoreService answers (v1's /store too); this file maps to v2's shapes and cursor pages. AutoGPT opens its public
// reads to any credential; every External API route here names a scope, so they ask for READ_STORE. The marketplace
// writes (WRITE_STORE, and add-to-library) are not served.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { StoreAgent, StoreAgentDetails, Page as StorePage, StoreSubmission } from "../../../services/store.js";
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
async function paged<T, U>(
  q: { limit: number; cursor?: string },
  find: (page: { page: number; page_size: number }) => Promise<StorePage<T>>,
  map: (item: T) => U,
) {
  const page = new PageRequest(q.limit, q.cursor);
  const found = await find({ page: page.page, page_size: page.limit });
  return page.paged(found.items.map(map), found.total);
}

const same = <T>(item: T) => item;

function agentOf(a: Omit<StoreAgent, "agent_image">) {
  return { ...a, name: a.agent_name, image_url: a.image_urls[0] ?? null };
}

function detailsOf(a: StoreAgentDetails) {
  return {
    ...a,
    name: a.agent_name,
    image_url: a.agent_image[0] ?? null,
    versions: a.versions.map(Number),
    image_urls: a.agent_image,
    video_url: a.video_url,
    agent_output_demo_url: a.agent_output_demo,
    graph_versions: a.graph_versions.map(Number),
  };
}

function submissionOf(s: StoreSubmission) {
  return {
    ...s,
    listing_version_id: s.store_listing_version_id,
    listing_version: s.version,
    graph_id: s.agent_id,
    graph_version: s.agent_version,
    submitted_at: s.date_submitted,
    submission_status: s.status,
    submission_reviewed_at: s.reviewed_at,
    submission_review_comments: s.review_comments,
    run_count: s.runs,
    user_review_count: s.review_count,
    user_review_avg_rating: s.rating,
  };
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
      description: "Marketplace agents (approved listings), filtered and sorted.",
      querystring: AgentsQuery,
      response: { 200: Page(MarketplaceAgent), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => paged(request.query, (page) => store.listAgents(request.query, page), agentOf),
  );

  app.get(
    "/marketplace/agents/by-version/:version_id",
    scoped(["READ_STORE"], {
      tags,
      summary: "Get marketplace agent by version ID",
      operationId: "getMarketplaceAgentByListingVersion",
      description: "A marketplace agent by one of its approved store listing version IDs.",
      params: Type.Object({ version_id: Name }),
      response: { 200: MarketplaceAgentDetails, ...v2Errors(401, 403, 404) },
    }),
    async (request) => detailsOf(await store.getAgentByListingVersion(request.params.version_id)),
  );

  app.get(
    "/marketplace/agents/:username/:agent_name",
    scoped(["READ_STORE"], {
      tags,
      summary: "Get marketplace agent details",
      operationId: "getMarketplaceAgent",
      description: "A marketplace agent by creator username and agent slug, at its active version.",
      params: Type.Object({ username: Name, agent_name: Name }),
      response: { 200: MarketplaceAgentDetails, ...v2Errors(401, 403, 404) },
    }),
    async (request) => detailsOf(await store.getAgent(request.params.username, request.params.agent_name)),
  );

  app.get(
    "/marketplace/creators",
    scoped(["READ_STORE"], {
      tags,
      summary: "List marketplace creators",
      operationId: "listMarketplaceCreators",
      description: "Marketplace creators (store profiles) with the stats of their listed agents.",
      querystring: CreatorsQuery,
      response: { 200: Page(MarketplaceCreatorDetails), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => paged(request.query, (page) => store.listCreators(request.query, page), same),
  );

  app.get(
    "/marketplace/creators/:username",
    scoped(["READ_STORE"], {
      tags,
      summary: "Get marketplace creator details",
      operationId: "getMarketplaceCreator",
      description: "A marketplace creator's profile with stats.",
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
      description: "The caller's marketplace profile with creator stats; 404 before they made one.",
      response: { 200: MarketplaceCreatorDetails, ...v2Errors(401, 403, 404) },
    }),
    async (request) => {
      const mine = await store.profile(principalOf(request).user.id);
      return store.getCreator(mine.username);
    },
  );

  app.get(
    "/marketplace/submissions",
    scoped(["READ_STORE"], {
      tags,
      summary: "List my marketplace submissions",
      operationId: "listMarketplaceSubmissions",
      description: "The caller's marketplace listing submissions, newest first.",
      querystring: PageQuery,
      response: { 200: Page(MarketplaceAgentSubmission), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) =>
      paged(request.query, (page) => store.listSubmissions(principalOf(request).user.id, page), submissionOf),
  );
};
