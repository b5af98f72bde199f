// External API v1, as AutoGPT serves it under /external-api/v1: one file per route group.
import type { FastifyPluginAsync } from "fastify";
import { recordExternalRoutes } from "../common.js";
import { blocksRoutes } from "./blocks.js";
import { executionsRoutes } from "./executions.js";
import { graphsRoutes } from "./graphs.js";
import { integrationsRoutes } from "./integrations.js";
import { meRoutes } from "./me.js";
import { storeRoutes } from "./store.js";
import { toolsRoutes } from "./tools.js";

export const externalV1: FastifyPluginAsync = async (app) => {
  recordExternalRoutes(app);
  await app.register(meRoutes);
  await app.register(blocksRoutes);
  await app.register(graphsRoutes);
  await app.register(executionsRoutes);
  await app.register(integrationsRoutes);
  await app.register(toolsRoutes);
  await app.register(storeRoutes);
};
