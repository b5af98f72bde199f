// Store administration, for admins only: every listing with its versions, approving or rejecting a submitted
// version, and downloading any version's agent file to review it. Served at /api/store/admin (AutoGPT) and
// /api/admin/store (the seed's path).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { GraphModel } from "../../core/graph-schema.js";
import { principalOf, requireAdmin, requireUser } from "../auth-hooks.js";
import { errors, pagination } from "../schemas.js";
import {
  ReviewSubmissionRequest,
  StoreListingsWithVersionsResponse,
  StorePage,
  StoreSubmission,
  SubmissionStatus,
  VersionParam,
} from "./schemas.js";

export const storeAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.platform;
  const common = { tags: ["admin", "store"], security: [{ bearer: [] }] };
  app.addHook("preValidation", requireUser);
  app.addHook("preValidation", requireAdmin);

  app.get(
    "/listings",
    {
      schema: {
        ...common,
        summary: "Get admin listings history",
        description: "Listings with every version; `status` and `search` pick the listings with a matching version.",
        querystring: Type.Object({
          status: Type.Optional(SubmissionStatus),
          search: Type.Optional(Type.String({ maxLength: 500 })),
          ...StorePage,
        }),
        response: { 200: StoreListingsWithVersionsResponse, ...errors(401, 403, 422) },
      },
    },
    async (request) => {
      const { status, search, page, page_size } = request.query;
      const { items, total } = await store.adminListings({ status, search }, { page, page_size });
      return { listings: items, pagination: pagination(total, page, page_size) };
    },
  );

  app.post(
    "/submissions/:store_listing_version_id/review",
    {
      schema: {
        ...common,
        summary: "Review store submission",
        description:
          "Approves (the version becomes the listing's listed version) or rejects a submitted version, with comments " +
          "for the creator and internal ones for admins.",
        params: VersionParam,
        body: ReviewSubmissionRequest,
        response: { 200: StoreSubmission, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) =>
      store.review(principalOf(request).user.id, request.params.store_listing_version_id, request.body),
  );

  app.get(
    "/submissions/download/:store_listing_version_id",
    {
      schema: {
        ...common,
        summary: "Admin download agent file",
        description: "The agent file of any submitted version, approved or not.",
        params: VersionParam,
        response: { 200: GraphModel, ...errors(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const graph = await store.download(request.params.store_listing_version_id, { admin: true });
      reply.header("content-disposition", `attachment; filename="agent_${graph.id}.json"`);
      return graph;
    },
  );
};
