// /api/store: AutoGPT's marketplace routes (profiles, creators, listed agents, submissions, admin review).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { storeAdminRoutes } from "./admin.js";
import { agentRoutes } from "./agents.js";
import { profileRoutes } from "./profile.js";
import { submissionRoutes } from "./submissions.js";

export { storeAdminRoutes };

export const storeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.register(profileRoutes);
  app.register(agentRoutes);
  app.register(submissionRoutes);
  app.register(storeAdminRoutes, { prefix: "/admin" });
};
