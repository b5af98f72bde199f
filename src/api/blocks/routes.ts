// /api/blocks: every built-in block as AutoGPT serializes it (the builder's paged menu is /api/builder/blocks).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { getBlock } from "../../blocks/index.js";
import { ApiError } from "../../core/errors.js";
import { principalOf, requireScope } from "../auth-hooks.js";
import { CompletedBlockOutput, callerGone, directRunCredentials, runBlock } from "../external/v1/run-block.js";
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

  app.post(
    "/blocks/:block_id/execute",
    {
      schema: {
        tags: ["blocks"],
        security: anyCredentials,
        summary: "Execute graph block",
        description:
          "Runs one block with the request body as its input and answers every value it yielded, grouped by output " +
          "pin name. A credentials pin names one of your stored credentials, or left empty uses the operator's key " +
          "for its provider. Input that does not fit the block's input schema gives 422 with each failing field; a " +
          "block that fails, lacks its credentials or exceeds the node time limit gives 400 with the reason.",
        params: Type.Object({ block_id: Type.String() }),
        body: Json,
        response: { 200: CompletedBlockOutput, ...errors(400, 401, 403, 404, 422) },
      },
      preValidation: requireScope("EXECUTE_BLOCK"),
    },
    async (request, reply) => {
      const block = getBlock(request.params.block_id);
      if (!block) throw ApiError.notFound(`Block #${request.params.block_id}`, { block_id: request.params.block_id });
      const userId = principalOf(request).user.id;
      return runBlock(block, request.body, {
        userId,
        timeoutMs: app.platform.config.executor.nodeTimeoutSeconds * 1000,
        http: app.platform.http,
        signal: callerGone(reply),
        credentials: directRunCredentials(app.platform, userId),
      });
    },
  );
};
