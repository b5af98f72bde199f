// External API v2 (the recommended one) under /external-api/v2: one file per route group.
import type { FastifyPluginAsync } from "fastify";
import { recordExternalRoutes } from "../common.js";
import { blocksRoutes } from "./blocks.js";
import { installV2Errors } from "./common.js";
import { creditsRoutes } from "./credits.js";
import { filesRoutes } from "./files.js";
import { graphsRoutes } from "./graphs.js";
import { identityRoutes } from "./identity.js";
import { integrationsRoutes } from "./integrations.js";
import { libraryRoutes } from "./library.js";
import { marketplaceRoutes } from "./marketplace.js";
import { runsRoutes } from "./runs.js";
import { schedulesRoutes } from "./schedules.js";
import { searchRoutes } from "./search.js";

export const externalV2: FastifyPluginAsync = async (app) => {
  recordExternalRoutes(app);
  installV2Errors(app);
  await app.register(identityRoutes);
  await app.register(blocksRoutes);
  await app.register(graphsRoutes);
  await app.register(runsRoutes);
  await app.register(schedulesRoutes);
  await app.register(libraryRoutes);
  await app.register(creditsRoutes);
  await app.register(integrationsRoutes);
  await app.register(marketplaceRoutes);
  await app.register(searchRoutes);
  await app.register(filesRoutes);
};
