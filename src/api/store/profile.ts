// /api/store/profile (the caller's creator profile), /api/store/creators and /api/store/creator/{username}.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { principalOf, requireScope } from "../auth-hooks.js";
import { anyCredentials, errors, pagination } from "../schemas.js";
import { CreatorDetails, CreatorsResponse, Name, Profile, ProfileDetails, StorePage } from "./schemas.js";

const CreatorsQuery = Type.Object({
  featured: Type.Boolean({ default: false, description: "Only featured creators" }),
  search_query: Type.Optional(Type.String({ maxLength: 500, description: "Search usernames, names, descriptions" })),
  sorted_by: Type.Optional(
    Type.Union([Type.Literal("agent_rating"), Type.Literal("agent_runs"), Type.Literal("num_agents")]),
  ),
  ...StorePage,
});

export const profileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.platform;
  const tags = ["store"];

  app.get(
    "/profile",
    {
      schema: {
        tags,
        security: anyCredentials,
        summary: "Get user profile",
        description: "The caller's store creator profile; 404 before they made one.",
        response: { 200: ProfileDetails, ...errors(401, 403, 404) },
      },
      preValidation: requireScope("READ_STORE"),
    },
    async (request) => store.profile(principalOf(request).user.id),
  );

  app.post(
    "/profile",
    {
      schema: {
        tags,
        security: anyCredentials,
        summary: "Update user profile",
        description:
          "Creates or updates the caller's creator profile. The username is lower-cased; a taken one is 409.",
        body: Profile,
        response: { 200: CreatorDetails, ...errors(401, 403, 409, 422) },
      },
      preValidation: requireScope("WRITE_STORE"),
    },
    async (request) => store.saveProfile(principalOf(request).user.id, request.body),
  );

  app.get(
    "/creators",
    {
      schema: {
        tags,
        summary: "List store creators",
        description: "Creator profiles with the stats of their listed agents; public.",
        querystring: CreatorsQuery,
        response: { 200: CreatorsResponse, ...errors(422) },
      },
    },
    async (request) => {
      const { items, total } = await store.listCreators(request.query, request.query);
      return { creators: items, pagination: pagination(total, request.query.page, request.query.page_size) };
    },
  );

  app.get(
    "/creator/:username",
    {
      schema: {
        tags,
        summary: "Get creator details",
        description: "A creator's profile with their listed agents' rating, runs and top categories; public.",
        params: Type.Object({ username: Name }),
        response: { 200: CreatorDetails, ...errors(404, 422) },
      },
    },
    async (request) => store.getCreator(decodeURIComponent(request.params.username)),
  );
};
