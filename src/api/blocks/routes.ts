// /api/blocks: every built-in block as AutoGPT serializes it (the builder's paged menu is /api/builder/blocks).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { requireScope } from "../auth-hooks.js";
import { anyCredentials, errors } from "../schemas.js";

const Json = Type.Record(Type.String(), Type.Unknown());

/** A block as GET /api/blocks serializes it (AutoGPT's Block.to_dict() plus `costs`). */
export const Block = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    inputSchema: Json,
    outputSchema: Json,
    description: Type.String(),
    categories: Type.Array(Type.Object({ category: Type.String(), description: Type.String() })),
    contributors: Type.Array(Type.Object({ name: Type.String() })),
    staticOutput: Type.Boolean(),
    uiType: Type.String(),
    costs: Type.Array(Json),
  },
  { title: "Block" },
);

export const blockRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const catalog = app.platform.blocks;
  app.get(
    "/blocks",
    {
      schema: {
        tags: ["blocks"],
        security: anyCredentials,
        summary: "List available blocks with their input and output schemas",
        response: { 200: Type.Array(Block), ...errors(401, 403) },
      },
      preValidation: requireScope("READ_BLOCK"),
    },
    // The registry is fixed for the life of the process: the catalog serializes it once and the same bytes are sent
    // every time (Fastify does not serialize a string payload whose content type is JSON).
    async (_request, reply) => reply.type("application/json; charset=utf-8").send(catalog.listJSON() as never),
  );
};
