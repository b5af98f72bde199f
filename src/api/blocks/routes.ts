// /api/blocks and /api/builder/blocks (one handler, two paths): every built-in block as AutoGPT serializes it.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { allBlocks, type BlockJSON, blockToJSON } from "../../blocks/index.js";
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
  // The registry is fixed for the life of the process: serialize it once, send the same bytes every time.
  let serialized: string | undefined;
  const body = () => {
    serialized ??= JSON.stringify(allBlocks.map(blockToJSON));
    return serialized;
  };

  for (const path of ["/blocks", "/builder/blocks"]) {
    app.get(
      path,
      {
        schema: {
          tags: ["blocks"],
          security: anyCredentials,
          summary: "List available blocks with their input and output schemas",
          response: { 200: Type.Array(Block), ...errors(401, 403) },
        },
        preValidation: requireScope("READ_BLOCK"),
      },
      // A JSON string is sent as is: Fastify does not serialize a string payload whose content type is JSON.
      async (_request, reply) => reply.type("application/json; charset=utf-8").send(body() as unknown as BlockJSON[]),
    );
  }
};
