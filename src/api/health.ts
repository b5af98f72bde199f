// Liveness (/health) and readiness (/ready: the database answers).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ApiError } from "../core/errors.js";
import { errors } from "./schemas.js";

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ["health"];
  app.get(
    "/health",
    { schema: { tags, summary: "Liveness", response: { 200: Type.Object({ status: Type.Literal("healthy") }) } } },
    async () => ({ status: "healthy" as const }),
  );
  app.get(
    "/ready",
    {
      schema: {
        tags,
        summary: "Readiness: the database is reachable",
        response: { 200: Type.Object({ status: Type.Literal("ready"), database: Type.String() }), ...errors(503) },
      },
    },
    async () => {
      try {
        await app.platform.database.ping();
      } catch {
        throw new ApiError("SERVICE_UNAVAILABLE", 503, "The database is not reachable");
      }
      return { status: "ready" as const, database: app.platform.database.kind };
    },
  );
};
