// External API v2: GET /search — one search over what Agentry has: blocks, the caller's library agents and the
// caller's uploaded files, in AutoGPT's MarketplaceSearchResult shape.
//
// AutoGPT ranks by literal + semantic (embedding) similarity; Agentry matches literally: an item matches when every
// word of the query is in its searchable text, and is ranked by how much of the query its name holds. Marketplace
// agents, integrations and documentation have no content in Agentry yet, so those types find nothing. As AutoGPT,
// the default types are the public ones; the caller's own library agents and files are searched only when asked
// for, each with the scope its own routes need. AutoGPT opens search to any credential; here it asks for
// READ_STORE, the marketplace-reading scope.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { Scope } from "../../../auth/scopes.js";
import { allBlocks } from "../../../blocks/index.js";
import { BLOCK_CATEGORIES, type Block } from "../../../blocks/sdk.js";
import { ApiError } from "../../../core/errors.js";
import type { Db } from "../../../infra/db/index.js";
import * as fileRepo from "../../../infra/db/repos/files.js";
import * as libraryRepo from "../../../infra/db/repos/library.js";
import { principalOf } from "../../auth-hooks.js";
import { DateTime, Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";
import { filePath } from "./files-models.js";

const ContentType = Type.Union([
  Type.Literal("STORE_AGENT"),
  Type.Literal("BLOCK"),
  Type.Literal("INTEGRATION"),
  Type.Literal("DOCUMENTATION"),
  Type.Literal("LIBRARY_AGENT"),
  Type.Literal("WORKSPACE_FILE"),
]);
type ContentType = typeof ContentType.static;

const SearchResult = Type.Object(
  {
    content_type: ContentType,
    content_id: Type.String(),
    searchable_text: Type.String(),
    metadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
    updated_at: Nullable(DateTime),
    combined_score: Nullable(Type.Number()),
  },
  { title: "MarketplaceSearchResult" },
);
type SearchResult = typeof SearchResult.static;

/** Types that reach the caller's own rows, and the scope that guards the same data elsewhere in v2. */
const PRIVATE_TYPES: Partial<Record<ContentType, Scope>> = {
  LIBRARY_AGENT: "READ_LIBRARY",
  WORKSPACE_FILE: "UPLOAD_FILES",
};
const PUBLIC_TYPES: ContentType[] = ["STORE_AGENT", "BLOCK", "INTEGRATION", "DOCUMENTATION"];

const SearchQuery = Type.Composite([
  Type.Object({
    query: Type.String({ minLength: 1, maxLength: 500, description: "Search query" }),
    content_types: Type.Optional(Type.Array(ContentType, { description: "Content types to filter by" })),
    category: Type.Optional(Type.String({ maxLength: 200, description: "Filter by category" })),
  }),
  PageQuery,
]);

function splitCamelCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
}

const wordsOf = (query: string) => query.toLowerCase().split(/\s+/).filter(Boolean);

/** 0..1: every word must be in the text; the score grows with the share of the query the name holds. */
function score(words: string[], name: string, text: string): number | undefined {
  const haystack = `${name} ${text}`.toLowerCase();
  if (!words.every((w) => haystack.includes(w))) return undefined;
  const lowerName = name.toLowerCase();
  if (lowerName === words.join(" ")) return 1;
  const inName = words.filter((w) => lowerName.includes(w)).length;
  return Math.round((0.4 + (0.5 * inName) / words.length) * 1000) / 1000;
}

interface BlockEntry {
  block: Block;
  text: string;
  metadata: Record<string, unknown>;
  categories: Set<string>;
}

let blockIndex: BlockEntry[] | undefined;
/** As AutoGPT indexes a block: display name, description, category descriptions, input field descriptions. */
function blocks(): BlockEntry[] {
  blockIndex ??= allBlocks.map((block) => {
    const displayName = splitCamelCase(block.name);
    const categories = block.categories.map((c) => BLOCK_CATEGORIES[c]).sort();
    const fieldDescriptions = Object.entries(block.input.properties)
      .filter(([, pin]) => typeof pin.description === "string" && pin.description)
      .map(([name, pin]) => `${name}: ${pin.description}`);
    const text = [displayName, block.description, categories.join(" "), ...fieldDescriptions].filter(Boolean).join(" ");
    return {
      block,
      text,
      metadata: {
        name: displayName,
        categories,
        providers: [],
        has_llm_model_field: "model" in block.input.properties && block.categories.includes("AI"),
        is_integration: false,
      },
      categories: new Set([...block.categories, ...categories].map((c) => c.toLowerCase())),
    };
  });
  return blockIndex;
}

async function searchType(
  db: Db,
  userId: string,
  type: ContentType,
  words: string[],
  category: string | undefined,
): Promise<SearchResult[]> {
  const out: SearchResult[] = [];
  if (type === "BLOCK") {
    for (const entry of blocks()) {
      if (category && !entry.categories.has(category.toLowerCase())) continue;
      const s = score(words, `${entry.block.name} ${entry.metadata.name}`, entry.text);
      if (s === undefined) continue;
      out.push({
        content_type: "BLOCK",
        content_id: entry.block.id,
        searchable_text: entry.text,
        metadata: entry.metadata,
        updated_at: null,
        combined_score: s,
      });
    }
  } else if (type === "LIBRARY_AGENT" && !category) {
    for (const entry of await libraryRepo.searchLibraryAgents(db, userId, words)) {
      const name = entry.graph.name ?? "";
      const text = [name, entry.graph.description, entry.graph.instructions].filter(Boolean).join(" ");
      const s = score(words, name, text);
      if (s === undefined) continue;
      out.push({
        content_type: "LIBRARY_AGENT",
        content_id: entry.agent.id,
        searchable_text: text,
        metadata: { name },
        updated_at: entry.agent.updatedAt.toISOString(),
        combined_score: s,
      });
    }
  } else if (type === "WORKSPACE_FILE" && !category) {
    for (const row of await fileRepo.searchFiles(db, userId, words)) {
      const s = score(words, row.name, row.name);
      if (s === undefined) continue;
      out.push({
        content_type: "WORKSPACE_FILE",
        content_id: row.id,
        searchable_text: row.name,
        metadata: { name: row.name, path: filePath(row.name), mime_type: row.mimeType },
        updated_at: row.createdAt.toISOString(),
        combined_score: s,
      });
    }
  }
  return out;
}

export const searchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db: Db = app.platform.database.db;

  app.get(
    "/search",
    scoped(["READ_STORE"], {
      tags: ["search"],
      summary: "Search content and capabilities of the platform",
      operationId: "search",
      description:
        "Searches blocks by default (marketplace agents, integrations and documentation have no content in Agentry " +
        "yet). The caller's library agents (`LIBRARY_AGENT`, needs READ_LIBRARY) and uploaded files " +
        "(`WORKSPACE_FILE`, needs UPLOAD_FILES) are searched when asked for in `content_types`. An item matches " +
        "when it holds every word of the query; results are ranked by how much of the query the name holds.",
      querystring: SearchQuery,
      response: { 200: Page(SearchResult), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => {
      const principal = principalOf(request);
      const { query, content_types, category, limit, cursor } = request.query;
      const page = new PageRequest(limit, cursor);
      const requested = content_types?.length ? [...new Set(content_types)] : PUBLIC_TYPES;
      for (const type of requested) {
        const scope = PRIVATE_TYPES[type];
        if (scope && !principal.scopes.has(scope)) {
          throw ApiError.forbidden(`Searching ${type} requires the ${scope} permission`, { missing_scopes: [scope] });
        }
      }
      const words = wordsOf(query);
      if (words.length === 0) return page.paged([], 0);
      const found = (
        await Promise.all(requested.map((type) => searchType(db, principal.user.id, type, words, category)))
      ).flat();
      found.sort((a, b) => (b.combined_score ?? 0) - (a.combined_score ?? 0));
      return page.slice(found);
    },
  );
};
