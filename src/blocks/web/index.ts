// The web provider blocks (search, scraping, SEO, code execution, transcripts, maps), one file per provider.
import type { Block } from "../sdk.js";
import { dataforseoBlocks } from "./dataforseo.js";
import { e2bBlocks } from "./e2b.js";
import { firecrawlBlocks } from "./firecrawl.js";
import { googleMapsBlocks } from "./google-maps.js";
import { jinaBlocks } from "./jina.js";
import { youtubeBlocks } from "./youtube.js";

export const webBlocks: Block[] = [
  ...jinaBlocks,
  ...firecrawlBlocks,
  ...dataforseoBlocks,
  ...e2bBlocks,
  ...youtubeBlocks,
  ...googleMapsBlocks,
];
