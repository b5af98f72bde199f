// The block catalog: the registry's blocks as the APIs list them (each serialized once), and the builder's
// filters, counts, providers and search over them (AutoGPT's blocks menu, backend/api/features/builder).
import { allBlocks, type BlockJSON, blockToJSON } from "../blocks/index.js";
import type { Block } from "../blocks/sdk.js";

/** AutoGPT leaves AgentExecutorBlock out of the builder's menu: sub-agents are added from the library instead. */
const MENU_EXCLUDED = new Set(["e189baac-8c20-45a1-94a7-55177ea42565"]);

/** What the blocks menu's search and counts cover (AutoGPT's FilterType). */
export const SEARCH_FILTERS = ["blocks", "integrations", "marketplace_agents", "my_agents"] as const;
export type SearchFilter = (typeof SEARCH_FILTERS)[number];

export type BlockTypeFilter = "all" | "input" | "action" | "output";

export interface BlockFilter {
  /** A category name in lower case (`"logic"`), as the categories list names it. */
  category?: string;
  type?: BlockTypeFilter;
  /** A credentials provider name (`"openai"`). */
  provider?: string;
}

export interface PageOf<T> {
  items: T[];
  total: number;
}

export interface CategorySummary {
  name: string;
  total: number;
  blocks: Block[];
}

export interface ProviderSummary {
  name: string;
  description: string;
  integration_count: number;
}

export interface BlockCounts {
  all_blocks: number;
  input_blocks: number;
  action_blocks: number;
  output_blocks: number;
  integrations: number;
}

export interface BlockSearchResult {
  blocks: Block[];
  /** Matches among blocks without credentials, and among integrations (blocks with credentials). */
  totals: { blocks: number; integrations: number };
}

/** Score every block of a listing gets, so blocks rank above agents in a mixed result (AutoGPT's boost). */
const BLOCK_SCORE = 50;
/** Below this a query does not match (AutoGPT's threshold for filtered results). */
const MIN_SCORE = 10;
const MAX_QUERY_LENGTH = 100;
const SIMILARITY_TEXT_LENGTH = 300;
const SEARCH_CACHE_SIZE = 256;

/**
 * Similarity of two strings in [0, 1] after Ratcliff and Obershelp (the measure of Python's difflib): twice the
 * characters in common, found as the longest common block and then recursively on each side, over both lengths.
 */
export function similarity(a: string, b: string): number {
  if (a.length + b.length === 0) return 1;
  const codes = (text: string) => Uint16Array.from(text, (_, i) => text.charCodeAt(i));
  const x = codes(a);
  const y = codes(b);
  const row = new Uint16Array(y.length + 1);
  const next = new Uint16Array(y.length + 1);
  return (2 * matching(x, 0, x.length, y, 0, y.length, row, next)) / (a.length + b.length);
}

/** Characters in common between x[xs, xe) and y[ys, ye): the longest common run, then each side of it. */
function matching(
  x: Uint16Array,
  xs: number,
  xe: number,
  y: Uint16Array,
  ys: number,
  ye: number,
  row: Uint16Array,
  next: Uint16Array,
): number {
  if (xs >= xe || ys >= ye) return 0;
  let best = 0;
  let endX = 0;
  let endY = 0;
  row.fill(0, 0, ye - ys + 1);
  let previous = row;
  let current = next;
  for (let i = xs; i < xe; i++) {
    const c = x[i];
    current[0] = 0;
    for (let j = ys; j < ye; j++) {
      const k = j - ys + 1;
      if (y[j] === c) {
        const run = (previous[k - 1] as number) + 1;
        current[k] = run;
        if (run > best) {
          best = run;
          endX = i + 1;
          endY = j + 1;
        }
      } else current[k] = 0;
    }
    [previous, current] = [current, previous];
  }
  if (best === 0) return 0;
  return (
    best + matching(x, xs, endX - best, y, ys, endY - best, row, next) + matching(x, endX, xe, y, endY, ye, row, next)
  );
}

/** How well a name and description match a lower-case query (AutoGPT's weights for the primary fields). */
function relevance(name: string, description: string, query: string): number {
  let score = 0;
  if (name === query) score += 120;
  else if (name.startsWith(query)) score += 90;
  else if (name.includes(query)) score += 60;
  score += similarity(name, query) * 50;
  if (description) {
    if (description.includes(query)) score += 30;
    // The measure is quadratic: its head suffices to rank (difflib too stops weighing long texts in full).
    score += similarity(description.slice(0, SIMILARITY_TEXT_LENGTH), query) * 25;
  }
  return score;
}

function providersOf(block: Block): string[] {
  const providers: string[] = [];
  for (const pin of Object.values(block.input.properties)) {
    const names = (pin as { credentials_provider?: unknown }).credentials_provider;
    if (Array.isArray(names)) providers.push(...names.filter((n): n is string => typeof n === "string"));
  }
  return providers;
}

function typeMatches(block: Block, type: BlockTypeFilter | undefined): boolean {
  const kind = block.blockType ?? "Standard";
  switch (type) {
    case "input":
      return kind === "Input";
    case "output":
      return kind === "Output";
    case "action":
      return kind !== "Input" && kind !== "Output";
    default:
      return true;
  }
}

export class BlockCatalog {
  private readonly infos = new Map<Block, { json: BlockJSON; text: string }>();
  private readonly lists = new Map<string, string>();
  private readonly menu: Block[];
  private readonly searchText = new Map<Block, string>();
  /** The latest searches' results, least recently used first. */
  private readonly searches = new Map<string, BlockSearchResult>();

  constructor(readonly blocks: readonly Block[] = allBlocks) {
    this.menu = blocks.filter((block) => !MENU_EXCLUDED.has(block.id));
  }

  /** The block as GET /api/blocks lists it (AutoGPT's BlockInfo), built once. */
  info(block: Block): BlockJSON {
    return this.entry(block).json;
  }

  /** The same, as JSON text, to be spliced into a response body. */
  infoJSON(block: Block): string {
    return this.entry(block).text;
  }

  private entry(block: Block) {
    let entry = this.infos.get(block);
    if (!entry) {
      const json = blockToJSON(block);
      entry = { json, text: JSON.stringify(json) };
      this.infos.set(block, entry);
    }
    return entry;
  }

  /** Every block as a JSON array: the whole registry, with or without `costs` (External API v1 lists none). */
  listJSON(options: { costs?: boolean } = {}): string {
    const key = options.costs === false ? "no-costs" : "full";
    let text = this.lists.get(key);
    if (text === undefined) {
      text =
        options.costs === false
          ? JSON.stringify(
              this.blocks.map((block) => {
                const { costs: _costs, ...rest } = this.info(block);
                return rest;
              }),
            )
          : `[${this.blocks.map((block) => this.infoJSON(block)).join(",")}]`;
      this.lists.set(key, text);
    }
    return text;
  }

  /** Blocks as a JSON array text. */
  arrayJSON(blocks: readonly Block[]): string {
    return `[${blocks.map((block) => this.infoJSON(block)).join(",")}]`;
  }

  byId(id: string): Block | undefined {
    return this.blocks.find((block) => block.id === id);
  }

  /** The blocks of the builder's menu matching one filter, a page of them and how many match. */
  filter(filter: BlockFilter, page: number, pageSize: number): PageOf<Block> {
    const matching = this.menu.filter(
      (block) =>
        (!filter.category || block.categories.some((c) => c.toLowerCase() === filter.category)) &&
        typeMatches(block, filter.type) &&
        (!filter.provider || providersOf(block).includes(filter.provider)),
    );
    const start = (page - 1) * pageSize;
    return { items: matching.slice(start, start + pageSize), total: matching.length };
  }

  /** Every category that has blocks, by name, each with its first `perCategory` blocks. */
  categories(perCategory: number): CategorySummary[] {
    const byName = new Map<string, CategorySummary>();
    for (const block of this.menu) {
      for (const category of block.categories) {
        const name = category.toLowerCase();
        let summary = byName.get(name);
        if (!summary) {
          summary = { name, total: 0, blocks: [] };
          byName.set(name, summary);
        }
        summary.total += 1;
        if (summary.blocks.length < perCategory) summary.blocks.push(block);
      }
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The credentials providers blocks ask for, each with the number of blocks that use it, in registry order. */
  providers(): ProviderSummary[] {
    const byName = new Map<string, ProviderSummary>();
    for (const block of this.blocks) {
      for (const name of providersOf(block)) {
        const summary = byName.get(name);
        if (summary) summary.integration_count += 1;
        else byName.set(name, { name, description: "", integration_count: 1 });
      }
    }
    return [...byName.values()];
  }

  counts(): BlockCounts {
    const counts = { all_blocks: 0, input_blocks: 0, action_blocks: 0, output_blocks: 0, integrations: 0 };
    for (const block of this.menu) {
      counts.all_blocks += 1;
      if (block.blockType === "Input") counts.input_blocks += 1;
      else if (block.blockType === "Output") counts.output_blocks += 1;
      else counts.action_blocks += 1;
      if (providersOf(block).length > 0) counts.integrations += 1;
    }
    return counts;
  }

  /**
   * Blocks for the menu's search: without a query every block (by name); with one, those whose name and
   * description (with the descriptions of their inputs) match it, best first. Integrations are the blocks that
   * take credentials; `include` says which of the two kinds to return.
   */
  search(query: string | undefined, include: { blocks: boolean; integrations: boolean }): BlockSearchResult {
    const q = (query ?? "").trim().slice(0, MAX_QUERY_LENGTH).toLowerCase();
    // The registry is fixed, so a result stays right: the next pages of a search (and repeated ones) reuse it.
    const key = `${include.blocks ? 1 : 0}${include.integrations ? 1 : 0}${q}`;
    const cached = this.searches.get(key);
    if (cached) {
      this.searches.delete(key);
      this.searches.set(key, cached);
      return cached;
    }
    const result = this.rank(q, include);
    this.searches.set(key, result);
    if (this.searches.size > SEARCH_CACHE_SIZE) this.searches.delete(this.searches.keys().next().value as string);
    return result;
  }

  private rank(q: string, include: { blocks: boolean; integrations: boolean }): BlockSearchResult {
    const scored: Array<{ block: Block; score: number; name: string; integration: boolean }> = [];
    for (const block of this.menu) {
      const integration = providersOf(block).length > 0;
      if (integration ? !include.integrations : !include.blocks) continue;
      const name = block.name.toLowerCase();
      const score = q ? relevance(name, this.descriptionText(block), q) : 0;
      if (q && score < MIN_SCORE) continue;
      scored.push({ block, score: score + BLOCK_SCORE, name, integration });
    }
    scored.sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return {
      blocks: scored.map((s) => s.block),
      totals: {
        blocks: scored.filter((s) => !s.integration).length,
        integrations: scored.filter((s) => s.integration).length,
      },
    };
  }

  /** Blocks to suggest first: the menu's action blocks (not inputs, outputs or agents), in registry order. */
  suggested(count: number): Block[] {
    return this.menu
      .filter((block) => !["Input", "Output", "Agent"].includes(block.blockType ?? "Standard"))
      .slice(0, count);
  }

  private descriptionText(block: Block): string {
    let text = this.searchText.get(block);
    if (text === undefined) {
      const parts = [block.description];
      for (const [name, pin] of Object.entries(block.input.properties)) {
        const description = (pin as { description?: unknown }).description;
        if (typeof description === "string" && description) parts.push(`${name}: ${description}`);
      }
      text = parts.join(" ").toLowerCase();
      this.searchText.set(block, text);
    }
    return text;
  }
}
