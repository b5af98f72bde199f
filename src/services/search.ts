// Search over what Agentry has: blocks, the store's listed agents, the caller's library agents and uploaded files.
//
// AutoGPT ranks by literal + semantic (embedding) similarity; Agentry matches literally: an item matches when every
// word of the query is in its searchable text, and is ranked by how much of the query its name holds. Marketplace
// agents are the store's approved listings; integrations and documentation have no content in Agentry yet, so those
// types find nothing. As AutoGPT, the default types are the public ones; the caller's own library agents and files
// are searched only when asked for, each with the scope its own routes need.
import type { Scope } from "../auth/scopes.js";
import { allBlocks } from "../blocks/index.js";
import { BLOCK_CATEGORIES, type Block } from "../blocks/sdk.js";
import { ApiError } from "../core/errors.js";
import type { Db } from "../infra/db/index.js";
import * as libraryRepo from "../infra/db/repos/library.js";
import { type FilesService, filePath } from "./files.js";
import type { StoreService } from "./store.js";

export const CONTENT_TYPES = [
  "STORE_AGENT",
  "BLOCK",
  "INTEGRATION",
  "DOCUMENTATION",
  "LIBRARY_AGENT",
  "WORKSPACE_FILE",
] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/** AutoGPT's MarketplaceSearchResult. */
export interface SearchResult {
  content_type: ContentType;
  content_id: string;
  searchable_text: string;
  metadata: Record<string, unknown> | null;
  updated_at: string | null;
  combined_score: number | null;
}

/** Types that reach the caller's own rows, and the scope that guards the same data elsewhere. */
const PRIVATE_TYPES: Partial<Record<ContentType, Scope>> = {
  LIBRARY_AGENT: "READ_LIBRARY",
  WORKSPACE_FILE: "UPLOAD_FILES",
};
const PUBLIC_TYPES: ContentType[] = ["STORE_AGENT", "BLOCK", "INTEGRATION", "DOCUMENTATION"];

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

export class SearchService {
  constructor(private readonly deps: { db: Db; files: FilesService; store?: StoreService }) {}

  /**
   * Everything that matches, best first. Asking for a private type without the scope that guards it is refused
   * (403) rather than silently left out.
   */
  async search(
    caller: { userId: string; scopes: ReadonlySet<Scope> },
    input: { query: string; contentTypes?: ContentType[]; category?: string },
  ): Promise<SearchResult[]> {
    const requested = input.contentTypes?.length ? [...new Set(input.contentTypes)] : PUBLIC_TYPES;
    for (const type of requested) {
      const scope = PRIVATE_TYPES[type];
      if (scope && !caller.scopes.has(scope)) {
        throw ApiError.forbidden(`Searching ${type} requires the ${scope} permission`, { missing_scopes: [scope] });
      }
    }
    const words = wordsOf(input.query);
    if (words.length === 0) return [];
    const found = (
      await Promise.all(requested.map((type) => this.searchType(caller.userId, type, words, input.category)))
    ).flat();
    return found.sort((a, b) => (b.combined_score ?? 0) - (a.combined_score ?? 0));
  }

  private async searchType(
    userId: string,
    type: ContentType,
    words: string[],
    category: string | undefined,
  ): Promise<SearchResult[]> {
    if (type === "BLOCK") return this.searchBlocks(words, category);
    // Library agents and files have no category.
    if (category) return [];
    if (type === "LIBRARY_AGENT") return this.searchLibrary(userId, words);
    if (type === "WORKSPACE_FILE") return this.searchFiles(userId, words);
    if (type === "STORE_AGENT") return this.searchStore(words);
    return [];
  }

  /** Listed (approved) marketplace agents. */
  private async searchStore(words: string[]): Promise<SearchResult[]> {
    const out: SearchResult[] = [];
    for (const { agent, text, updatedAt } of (await this.deps.store?.searchAgents(words.join(" "))) ?? []) {
      const s = score(words, agent.agent_name, `${agent.slug} ${text}`);
      if (s === undefined) continue;
      out.push({
        content_type: "STORE_AGENT",
        content_id: agent.store_listing_version_id,
        searchable_text: text,
        metadata: {
          name: agent.agent_name,
          slug: agent.slug,
          creator: agent.creator,
          runs: agent.runs,
          rating: agent.rating,
        },
        updated_at: updatedAt.toISOString(),
        combined_score: s,
      });
    }
    return out;
  }

  private searchBlocks(words: string[], category: string | undefined): SearchResult[] {
    const out: SearchResult[] = [];
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
    return out;
  }

  private async searchLibrary(userId: string, words: string[]): Promise<SearchResult[]> {
    const { db } = this.deps;
    const out: SearchResult[] = [];
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
    return out;
  }

  private async searchFiles(userId: string, words: string[]): Promise<SearchResult[]> {
    const out: SearchResult[] = [];
    for (const row of await this.deps.files.search(userId, words)) {
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
    return out;
  }
}
