// External API v1: store reads: /store/agents, /store/agents/{username}/{agent_name}, /store/creators, /store/creators/{username}.
//
// StoreService answers (v2's /marketplace too); this file maps to v1's shapes and page-number pagination.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { DateTime, errors, Nullable, Pagination, pagination } from "../../schemas.js";
import { scoped } from "../common.js";
import { StringEnum } from "./schemas.js";

const StoreAgent = Type.Object(
  {
    slug: Type.String(),
    agent_name: Type.String(),
    agent_image: Type.String(),
    creator: Type.String(),
    creator_avatar: Type.String(),
    sub_heading: Type.String(),
    description: Type.String(),
    runs: Type.Integer(),
    rating: Type.Number(),
    agent_graph_id: Type.String(),
  },
  { title: "StoreAgent" },
);

const StoreAgentDetails = Type.Object(
  {
    store_listing_version_id: Type.String(),
    slug: Type.String(),
    agent_name: Type.String(),
    agent_video: Type.String(),
    agent_output_demo: Type.String(),
    agent_image: Type.Array(Type.String()),
    creator: Type.String(),
    creator_avatar: Type.String(),
    sub_heading: Type.String(),
    description: Type.String(),
    instructions: Nullable(Type.String()),
    categories: Type.Array(Type.String()),
    runs: Type.Integer(),
    rating: Type.Number(),
    versions: Type.Array(Type.String()),
    graph_id: Type.String(),
    graph_versions: Type.Array(Type.String()),
    last_updated: DateTime,
    recommended_schedule_cron: Nullable(Type.String()),
    active_version_id: Type.String(),
    has_approved_version: Type.Boolean(),
    changelog: Nullable(
      Type.Array(Type.Object({ version: Type.String(), changes_summary: Type.String(), date: DateTime })),
    ),
  },
  { title: "StoreAgentDetails" },
);

const CreatorDetails = Type.Object(
  {
    username: Type.String(),
    name: Type.String(),
    description: Type.String(),
    avatar_url: Nullable(Type.String()),
    links: Type.Array(Type.String()),
    is_featured: Type.Boolean(),
    num_agents: Type.Integer(),
    agent_runs: Type.Integer(),
    agent_rating: Type.Number(),
    top_categories: Type.Array(Type.String()),
  },
  { title: "CreatorDetails" },
);

const page = {
  page: Type.Integer({ minimum: 1, default: 1, description: "Page number (from 1)" }),
  page_size: Type.Integer({ minimum: 1, default: 20, description: "Items per page" }),
};

const AgentsQuery = Type.Object({
  featured: Type.Boolean({ default: false, description: "Only featured agents" }),
  creator: Type.Optional(Type.String({ maxLength: 200, description: "Filter by creator username" })),
  sorted_by: Type.Optional(StringEnum(["rating", "runs", "name", "updated_at"] as const)),
  search_query: Type.Optional(Type.String({ maxLength: 500, description: "Search name, sub-heading, description" })),
  category: Type.Optional(Type.String({ maxLength: 200 })),
  ...page,
});

const CreatorsQuery = Type.Object({
  featured: Type.Boolean({ default: false, description: "Only featured creators" }),
  search_query: Type.Optional(Type.String({ maxLength: 500, description: "Search creators' profile descriptions" })),
  sorted_by: Type.Optional(StringEnum(["agent_rating", "agent_runs", "num_agents"] as const)),
  ...page,
});

const Name = Type.String({ minLength: 1, maxLength: 200 });

export const storeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.platform;
  const tags = ["store"];
  const paged = <T>(items: T[], total: number, q: { page: number; page_size: number }) => ({
    items,
    pagination: pagination(total, q.page, q.page_size),
  });

  app.get(
    "/store/agents",
    scoped(["READ_STORE"], {
      tags,
      summary: "List store agents",
      description: "A page of marketplace agents (approved listings), filtered and sorted.",
      querystring: AgentsQuery,
      response: {
        200: Type.Object({ agents: Type.Array(StoreAgent), pagination: Pagination }, { title: "StoreAgentsResponse" }),
        ...errors(401, 403, 422),
      },
    }),
    async (request) => {
      const found = await store.listAgents(request.query, request.query);
      const { items, pagination } = paged(found.items, found.total, request.query);
      return { agents: items, pagination };
    },
  );

  app.get(
    "/store/agents/:username/:agent_name",
    scoped(["READ_STORE"], {
      tags,
      summary: "Get a store agent",
      description: "A marketplace agent by creator username and agent slug, at its approved active version.",
      params: Type.Object({ username: Name, agent_name: Name }),
      response: { 200: StoreAgentDetails, ...errors(401, 403, 404) },
    }),
    async (request) => {
      const agent = await store.getAgent(request.params.username, request.params.agent_name);
      return { ...agent, active_version_id: agent.active_version_id ?? agent.store_listing_version_id };
    },
  );

  app.get(
    "/store/creators",
    scoped(["READ_STORE"], {
      tags,
      summary: "List store creators",
      description: "A page of marketplace creators (store profiles) with the stats of their listed agents.",
      querystring: CreatorsQuery,
      response: {
        200: Type.Object(
          { creators: Type.Array(CreatorDetails), pagination: Pagination },
          { title: "CreatorsResponse" },
        ),
        ...errors(401, 403, 422),
      },
    }),
    async (request) => {
      const found = await store.listCreators(request.query, request.query);
      const { items, pagination } = paged(found.items, found.total, request.query);
      return { creators: items, pagination };
    },
  );

  app.get(
    "/store/creators/:username",
    scoped(["READ_STORE"], {
      tags,
      summary: "Get a store creator",
      description: "A marketplace creator's profile and stats.",
      params: Type.Object({ username: Name }),
      response: { 200: CreatorDetails, ...errors(401, 403, 404) },
    }),
    async (request) => store.getCreator(request.params.username),
  );
};
