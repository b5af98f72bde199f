// /api/builder/blocks, /blocks/batch, /categories, /providers, /counts: the builder's blocks menu, as AutoGPT serves it.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyReply } from "fastify";
import { ApiError } from "../../core/errors.js";
import { requireScope } from "../auth-hooks.js";
import { anyCredentials, errors, pagination } from "../schemas.js";
import {
  BlockCategoryResponse,
  BlockInfo,
  BlockResponse,
  CountResponse,
  Page,
  PageSize,
  ProviderResponse,
} from "./schemas.js";

const guard = { preValidation: requireScope("READ_BLOCK") };
const common = { tags: ["builder"], security: anyCredentials };

/** Blocks are spliced in as the JSON text the catalog keeps; the rest of the body is small. */
export function sendJSON(reply: FastifyReply, text: string) {
  return reply.type("application/json; charset=utf-8").send(text as never);
}

export const builderBlockRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const catalog = app.platform.blocks;

  app.get(
    "/blocks",
    {
      schema: {
        ...common,
        summary: "Get Builder blocks",
        description:
          "The blocks of the builder's menu by category, type or provider (at most one of them), a page at a time. " +
          "`type`: `input` and `output` are the graph's interface blocks, `action` every other block, `all` any.",
        querystring: Type.Object({
          category: Type.Optional(Type.String({ maxLength: 100 })),
          type: Type.Optional(
            Type.Union([Type.Literal("all"), Type.Literal("input"), Type.Literal("action"), Type.Literal("output")]),
          ),
          provider: Type.Optional(Type.String({ maxLength: 100 })),
          page: Page,
          page_size: PageSize,
        }),
        response: { 200: BlockResponse, ...errors(400, 401, 403, 422) },
      },
      ...guard,
    },
    async (request, reply) => {
      const { category, type, provider, page, page_size } = request.query;
      if ([category, type, provider].filter(Boolean).length > 1) {
        throw ApiError.badRequest("Only one of category, type, or provider can be specified");
      }
      const found = catalog.filter({ category, type, provider }, page, page_size);
      const meta = JSON.stringify(pagination(found.total, page, page_size));
      return sendJSON(reply, `{"blocks":${catalog.arrayJSON(found.items)},"pagination":${meta}}`);
    },
  );

  app.get(
    "/blocks/batch",
    {
      schema: {
        ...common,
        summary: "Get specific blocks",
        description: "The blocks with the given ids, in the order asked; unknown ids are left out.",
        querystring: Type.Object({
          block_ids: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 }),
        }),
        response: { 200: Type.Array(BlockInfo), ...errors(401, 403, 422) },
      },
      ...guard,
    },
    async (request, reply) => {
      const blocks = request.query.block_ids.flatMap((id) => catalog.byId(id) ?? []);
      return sendJSON(reply, catalog.arrayJSON(blocks));
    },
  );

  app.get(
    "/categories",
    {
      schema: {
        ...common,
        summary: "Get Builder block categories",
        description: "Every category that has blocks, by name, with its block count and its first blocks.",
        querystring: Type.Object({ blocks_per_category: Type.Integer({ minimum: 0, maximum: 1000, default: 3 }) }),
        response: { 200: Type.Array(BlockCategoryResponse), ...errors(401, 403, 422) },
      },
      ...guard,
    },
    async (request, reply) => {
      const categories = catalog.categories(request.query.blocks_per_category);
      const parts = categories.map(
        (c) => `{"name":${JSON.stringify(c.name)},"total_blocks":${c.total},"blocks":${catalog.arrayJSON(c.blocks)}}`,
      );
      return sendJSON(reply, `[${parts.join(",")}]`);
    },
  );

  app.get(
    "/providers",
    {
      schema: {
        ...common,
        summary: "Get Builder integration providers",
        description: "The credentials providers that blocks ask for, each with the number of blocks using it.",
        querystring: Type.Object({ page: Page, page_size: PageSize }),
        response: { 200: ProviderResponse, ...errors(401, 403, 422) },
      },
      ...guard,
    },
    async (request) => {
      const { page, page_size } = request.query;
      const all = catalog.providers();
      const start = (page - 1) * page_size;
      return { providers: all.slice(start, start + page_size), pagination: pagination(all.length, page, page_size) };
    },
  );

  app.get(
    "/counts",
    {
      schema: {
        ...common,
        summary: "Get Builder item counts",
        description:
          "How many items each section of the blocks menu holds. `marketplace_agents` and `my_agents` are 0: " +
          "the builder's menu does not list marketplace or library agents on this server yet.",
        response: { 200: CountResponse, ...errors(401, 403) },
      },
      ...guard,
    },
    async () => ({ ...catalog.counts(), marketplace_agents: 0, my_agents: 0 }),
  );
};
