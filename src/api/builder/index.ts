// AutoGPT's builder routes under /api/builder (the blocks menu); /api/builder/graphs is served by the graph routes.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { builderBlockRoutes } from "./blocks.js";
import { builderSearchRoutes } from "./search.js";

export const builderRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(builderBlockRoutes);
  await app.register(builderSearchRoutes);
};
