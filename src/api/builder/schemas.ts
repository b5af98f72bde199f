// AutoGPT's builder models (backend/api/features/builder/model.py) as TypeBox schemas, for validation and OpenAPI.
import { Type } from "@sinclair/typebox";
import { SEARCH_FILTERS } from "../../services/blocks.js";
import { Block } from "../blocks/routes.js";
import { Nullable, Pagination } from "../schemas.js";

export const BlockInfo = Block;

export const Page = Type.Integer({ minimum: 1, default: 1, title: "Page" });
export const PageSize = Type.Integer({ minimum: 1, maximum: 1000, default: 50, title: "Page Size" });

const Provider = Type.String({
  description: "Provider name for integrations. Can be any string value, including custom provider names.",
});

export const SearchFilter = Type.Union(
  SEARCH_FILTERS.map((f) => Type.Literal(f)),
  { title: "FilterType" },
);

export const BlockResponse = Type.Object(
  { blocks: Type.Array(BlockInfo), pagination: Pagination },
  { title: "BlockResponse" },
);

export const BlockCategoryResponse = Type.Object(
  { name: Type.String(), total_blocks: Type.Integer(), blocks: Type.Array(BlockInfo) },
  { title: "BlockCategoryResponse" },
);

export const ProviderResponse = Type.Object(
  {
    providers: Type.Array(
      Type.Object(
        { name: Provider, description: Type.String(), integration_count: Type.Integer() },
        { title: "Provider" },
      ),
    ),
    pagination: Pagination,
  },
  { title: "ProviderResponse" },
);

export const CountResponse = Type.Object(
  {
    all_blocks: Type.Integer(),
    input_blocks: Type.Integer(),
    action_blocks: Type.Integer(),
    output_blocks: Type.Integer(),
    integrations: Type.Integer(),
    marketplace_agents: Type.Integer(),
    my_agents: Type.Integer(),
  },
  { title: "CountResponse" },
);

export const SearchEntry = Type.Object(
  {
    search_query: Nullable(Type.String()),
    filter: Nullable(Type.Array(SearchFilter)),
    by_creator: Nullable(Type.Array(Type.String())),
    search_id: Nullable(Type.String()),
  },
  { title: "SearchEntry" },
);

/** AutoGPT's SearchResponse of release v0.6.44 (`search_id`, `pagination`) with the October 2025 fields beside. */
export const SearchResponse = Type.Object(
  {
    items: Type.Array(BlockInfo),
    search_id: Type.String(),
    total_items: Type.Record(Type.String(), Type.Integer(), {
      description: "Matches per kind: blocks, integrations, marketplace_agents, my_agents",
    }),
    pagination: Pagination,
    page: Type.Integer({ description: "The page (October 2025 clients read it; `pagination` has it too)" }),
    more_pages: Type.Boolean({ description: "Whether a next page exists (October 2025 clients read it)" }),
  },
  { title: "SearchResponse" },
);

export const SuggestionsResponse = Type.Object(
  {
    otto_suggestions: Type.Array(Type.String()),
    recent_searches: Type.Array(SearchEntry),
    providers: Type.Array(Provider),
    top_blocks: Type.Array(BlockInfo),
  },
  { title: "SuggestionsResponse" },
);

/** The body of October 2025's `POST /api/builder/search` (the same fields as the query of `GET`). */
export const SearchRequest = Type.Object(
  {
    search_query: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
    filter: Type.Optional(Nullable(Type.Array(SearchFilter, { maxItems: 4 }))),
    by_creator: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 }))),
    search_id: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    page: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    page_size: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1000 }))),
  },
  { title: "SearchRequest" },
);
