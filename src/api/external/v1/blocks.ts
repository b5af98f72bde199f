// External API v1: GET /blocks, POST /blocks/{block_id}/execute.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { getBlock } from "../../../blocks/index.js";
import { ApiError } from "../../../core/errors.js";
import { principalOf } from "../../auth-hooks.js";
import { Block } from "../../blocks/routes.js";
import { errors } from "../../schemas.js";
import { scoped } from "../common.js";
import { CompletedBlockOutput, callerGone, directRunCredentials, runBlock } from "./run-block.js";
import { Id, Json } from "./schemas.js";

/** AutoGPT's Block.to_dict(): what v1 lists (the internal /api/blocks adds `costs`; v1 does not). */
const BlockInfo = Type.Omit(Block, ["costs"], { title: "BlockInfo" });

export const blocksRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, blocks } = app.platform;

  app.get(
    "/blocks",
    scoped(["READ_BLOCK"], {
      tags: ["blocks"],
      summary: "List blocks",
      description: "Every available block with the JSON Schemas of its inputs and outputs (AutoGPT's Block.to_dict).",
      response: { 200: Type.Array(BlockInfo), ...errors(401, 403) },
    }),
    // The catalog's JSON text, built once, is sent as is.
    async (_request, reply) =>
      reply.type("application/json; charset=utf-8").send(blocks.listJSON({ costs: false }) as never),
  );

  app.post(
    "/blocks/:block_id/execute",
    scoped(["EXECUTE_BLOCK"], {
      tags: ["blocks"],
      summary: "Execute a block",
      description:
        "Runs one block with the request body as its input and answers every value it yielded, grouped by output " +
        "pin name. Input that does not fit the block's input schema gives 422 with each failing field; a block " +
        "that fails or exceeds the node time limit (EXECUTOR_NODE_TIMEOUT_SECONDS) gives 400 with the reason.",
      params: Type.Object({ block_id: Id }),
      body: Json,
      response: { 200: CompletedBlockOutput, ...errors(400, 401, 403, 404, 422) },
    }),
    async (request, reply) => {
      const block = getBlock(request.params.block_id);
      if (!block) throw ApiError.notFound(`Block #${request.params.block_id}`, { block_id: request.params.block_id });
      return runBlock(block, request.body, {
        userId: principalOf(request).user.id,
        timeoutMs: config.executor.nodeTimeoutSeconds * 1000,
        http: app.platform.http,
        signal: callerGone(reply),
        credentials: directRunCredentials(app.platform, principalOf(request).user.id),
      });
    },
  );
};
