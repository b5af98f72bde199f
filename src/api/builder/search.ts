// /api/builder/search and /api/builder/suggestions: the builder's search box and what it proposes before one types.
//
// AutoGPT searches blocks, integrations (blocks that take credentials), marketplace agents and the caller's
// library agents, and keeps each user's recent searches. Here the search covers blocks and integrations, ranked by
// AutoGPT's text relevance; marketplace and library agents are not part of the builder's results yet, and no search
// history is kept (`search_id` is echoed or made up, `recent_searches` is empty).
import { randomUUID } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ApiError } from "../../core/errors.js";
import { type BlockCatalog, SEARCH_FILTERS, type SearchFilter } from "../../services/blocks.js";
import { requireScope } from "../auth-hooks.js";
import { anyCredentials, errors, pagination } from "../schemas.js";
import { sendJSON } from "./blocks.js";
import { Page, PageSize, SearchRequest, SearchResponse, SuggestionsResponse } from "./schemas.js";

const guard = { preValidation: requireScope("READ_BLOCK") };
const common = { tags: ["builder"], security: anyCredentials };

const DESCRIPTION =
  "Blocks and integrations (blocks that take credentials) whose name or description matches `search_query`, best " +
  "first (every one, by name, without a query). `filter` names the kinds to search (repeated or comma-separated; " +
  "default all). Marketplace and library agents are not searched here yet: their counts are 0. No search history " +
  "is kept: `search_id` is the one sent, or a new one.";

interface SearchParams {
  search_query?: string | null;
  filter?: string[] | null;
  search_id?: string | null;
  page: number;
  page_size: number;
}

/** `filter=blocks,integrations` or `filter=blocks&filter=integrations`; anything else is a 400, as AutoGPT's. */
function parseFilters(values: string[] | null | undefined): SearchFilter[] {
  const names = (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim());
  if (names.length === 0) return [...SEARCH_FILTERS];
  const invalid = names.filter((n) => !(SEARCH_FILTERS as readonly string[]).includes(n));
  if (invalid.length > 0) {
    throw ApiError.badRequest(
      `Invalid filter value(s): ${invalid.join(", ")}. Valid values are: ${SEARCH_FILTERS.join(", ")}`,
      { invalid },
    );
  }
  return names as SearchFilter[];
}

function search(catalog: BlockCatalog, params: SearchParams): string {
  const filters = parseFilters(params.filter);
  const { page, page_size } = params;
  const found = catalog.search(params.search_query ?? undefined, {
    blocks: filters.includes("blocks"),
    integrations: filters.includes("integrations"),
  });
  const total = found.blocks.length;
  const start = (page - 1) * page_size;
  const meta = {
    search_id: params.search_id || randomUUID(),
    total_items: {
      blocks: found.totals.blocks,
      integrations: found.totals.integrations,
      marketplace_agents: 0,
      my_agents: 0,
    },
    pagination: pagination(total, page, page_size),
    page,
    more_pages: start + page_size < total,
  };
  const items = catalog.arrayJSON(found.blocks.slice(start, start + page_size));
  return `{"items":${items},${JSON.stringify(meta).slice(1)}`;
}

export const builderSearchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const catalog = app.platform.blocks;

  app.get(
    "/search",
    {
      schema: {
        ...common,
        summary: "Builder search",
        description: DESCRIPTION,
        querystring: Type.Object({
          search_query: Type.Optional(Type.String({ maxLength: 1000 })),
          filter: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 10 })),
          search_id: Type.Optional(Type.String({ maxLength: 200 })),
          by_creator: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
          page: Page,
          page_size: PageSize,
        }),
        response: { 200: SearchResponse, ...errors(400, 401, 403, 422) },
      },
      ...guard,
    },
    async (request, reply) => sendJSON(reply, search(catalog, request.query)),
  );

  app.post(
    "/search",
    {
      schema: {
        ...common,
        summary: "Builder search (October 2025's form)",
        description: `The search of \`GET /api/builder/search\` with its parameters in the body. ${DESCRIPTION}`,
        body: SearchRequest,
        response: { 200: SearchResponse, ...errors(400, 401, 403, 422) },
      },
      ...guard,
    },
    async (request, reply) => {
      const body = request.body;
      return sendJSON(
        reply,
        search(catalog, {
          search_query: body.search_query,
          filter: body.filter,
          search_id: body.search_id,
          page: body.page ?? 1,
          page_size: body.page_size ?? 50,
        }),
      );
    },
  );

  app.get(
    "/suggestions",
    {
      schema: {
        ...common,
        summary: "Get Builder suggestions",
        description:
          "What the blocks menu proposes before a search: the providers blocks ask credentials for and the first " +
          "action blocks. `otto_suggestions` and `recent_searches` are empty: there is no assistant and no search " +
          "history on this server.",
        response: { 200: SuggestionsResponse, ...errors(401, 403) },
      },
      ...guard,
    },
    async (_request, reply) => {
      const providers = catalog
        .providers()
        .slice(0, 6)
        .map((p) => p.name);
      const head = JSON.stringify({ otto_suggestions: [], recent_searches: [], providers }).slice(0, -1);
      return sendJSON(reply, `${head},"top_blocks":${catalog.arrayJSON(catalog.suggested(5))}}`);
    },
  );
};
