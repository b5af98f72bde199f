// External API v2: GET /search — SearchService's one search over blocks, listed store agents, the caller's library
// agents and uploaded files, in AutoGPT's MarketplaceSearchResult shape. AutoGPT opens search to any credential;
// here it asks for READ_STORE, the marketplace-reading scope.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { CONTENT_TYPES, type ContentType } from "../../../services/search.js";
import { principalOf } from "../../auth-hooks.js";
import { DateTime, Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";

const ContentTypeSchema = Type.Unsafe<ContentType>(Type.Union(CONTENT_TYPES.map((t) => Type.Literal(t))));

const SearchResult = Type.Object(
  {
    content_type: ContentTypeSchema,
    content_id: Type.String(),
    searchable_text: Type.String(),
    metadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
    updated_at: Nullable(DateTime),
    combined_score: Nullable(Type.Number()),
  },
  { title: "MarketplaceSearchResult" },
);

const SearchQuery = Type.Composite([
  Type.Object({
    query: Type.String({ minLength: 1, maxLength: 500, description: "Search query" }),
    content_types: Type.Optional(Type.Array(ContentTypeSchema, { description: "Content types to filter by" })),
    category: Type.Optional(Type.String({ maxLength: 200, description: "Filter by category" })),
  }),
  PageQuery,
]);

export const searchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { search } = app.platform;

  app.get(
    "/search",
    scoped(["READ_STORE"], {
      tags: ["search"],
      summary: "Search content and capabilities of the platform",
      operationId: "search",
      description:
        "Searches blocks and the marketplace's listed agents by default (integrations and documentation have no " +
        "content in Agentry yet). The caller's library agents (`LIBRARY_AGENT`, needs READ_LIBRARY) and uploaded files " +
        "(`WORKSPACE_FILE`, needs UPLOAD_FILES) are searched when asked for in `content_types`. An item matches " +
        "when it holds every word of the query; results are ranked by how much of the query the name holds.",
      querystring: SearchQuery,
      response: { 200: Page(SearchResult), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => {
      const principal = principalOf(request);
      const { query, content_types, category, limit, cursor } = request.query;
      const page = new PageRequest(limit, cursor);
      const found = await search.search(
        { userId: principal.user.id, scopes: principal.scopes },
        { query, contentTypes: content_types as ContentType[] | undefined, category },
      );
      return page.slice(found);
    },
  );
};
