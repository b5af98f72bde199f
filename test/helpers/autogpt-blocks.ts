// What the inventory and the shipped-agents suite know of the blocks AutoGPT's shipped agents use: AutoGPT's name
// for each block id (read from autogpt_platform/backend/backend/blocks/), and what a block needs to run.
import fs from "node:fs";
import path from "node:path";
import { getBlock } from "../../src/blocks/index.js";
import { isCredentialsFieldName } from "../../src/core/graph.js";

/** How a block runs: on its own, through an LLM provider, over the network, or with a provider's credentials. */
export type BlockKind = "pure" | "llm" | "network" | "provider" | "unknown";

/** The six LLM blocks: an agent made of these and pure blocks runs on the operator's LLM keys alone. */
export const LLM_BLOCKS: Record<string, string> = {
  "1f292d4a-41a4-4977-9684-7c8d560b9f91": "AITextGeneratorBlock",
  "ed55ac19-356e-4243-a6cb-bc599e9b716f": "AIStructuredResponseGeneratorBlock",
  "32a87eab-381e-4dd4-bdb8-4c47151be35a": "AIConversationBlock",
  "9c0b0450-d199-458b-a731-072189dd6593": "AIListGeneratorBlock",
  "a0a69be1-4528-491c-a85a-a4ab6873e3f0": "AITextSummarizerBlock",
  "3b191d9f-356f-482d-8238-ba04b6d18381": "SmartDecisionMakerBlock",
};

/** Blocks that reach a provider with the user's (or the operator's) credentials, by AutoGPT's id. */
export const PROVIDER_BLOCKS: Record<string, string> = {
  "6ab085e2-20b3-4055-bc3e-08036e01eca6": "IdeogramModelBlock",
  "90f8c45e-e983-4644-aa0b-b4ebe2f531bc": "ReplicateFluxAdvancedModelBlock",
  "436c3984-57fd-4b85-8e9a-459b356883bd": "ExtractWebsiteContentBlock",
  "87840993-2053-44b7-8da4-187ad4ee518c": "SearchTheWebBlock",
  "df06086a-d5ac-4abb-9996-2ad0acb2eff7": "ReadDiscordMessagesBlock",
  "d0822ab5-9f8a-44a3-8971-531dd0178b6b": "SendDiscordMessageBlock",
  "f3a8f7e1-4b1d-4e5f-9f2a-7c3d5a2e6b4c": "TranscribeYoutubeVideoBlock",
  "f47ac10b-58cc-4372-a567-0e02b2c3d479": "GoogleMapsSearchBlock",
  "361697fb-0c4f-4feb-aed3-8320c88c771b": "AIShortformVideoCreatorBlock",
  "0b02b072-abe7-11ef-8372-fb5d162dd712": "ExecuteCodeBlock",
  "6c27abc2-e51d-499e-a85f-5a0041ba94f0": "GmailSendBlock",
  "25310c70-b89b-43ba-b25c-4dfa7e2a481c": "GmailReadBlock",
  "80bc3ed1-e9a4-449e-8163-a8fc86f74f6a": "GoogleCalendarReadEventsBlock",
  "73c3e7c4-2b3f-4e9f-9e3e-8f7a5c3e2d45": "DataForSeoKeywordSuggestionsBlock",
  "8f2e4d6a-1b3c-4a5e-9d7f-2c8e6a4b3f1d": "DataForSeoRelatedKeywordsBlock",
  "ed1ae7a0-b770-4089-b520-1f0005fad19a": "AIImageGeneratorBlock",
  "ee4fe08c-18f9-442f-a985-235379b932e1": "WordPressCreatePostBlock",
  "12bf5a24-9b90-4f40-9090-4e86e6995e60": "GmailReplyBlock",
  "64d2301c-b3f5-4174-8ac0-111ca1e1a7c0": "GmailForwardBlock",
  "f884b2fb-04f4-4265-9658-14f433926ac9": "GmailAddLabelBlock",
  "42527e98-47b6-44ce-ac0e-86b4883721d3": "AirtableCreateRecordsBlock",
  "f59b88a8-54ce-4676-a508-fd614b4e8dce": "AirtableCreateBaseBlock",
  "bdbbaba0-03b7-4971-970e-699e2de6015e": "FirecrawlCrawlBlock",
  "d1774756-4d9e-40e6-bab1-47ec0ccd81b2": "FirecrawlExtractBlock",
  "f0f43e2b-c943-48a0-a7f1-40136ca4d3b9": "FirecrawlMapWebsiteBlock",
};

/** Blocks without credentials that still call out over the network. */
export const NETWORK_BLOCKS: Record<string, string> = {
  "6595ae1f-b924-42cb-9a41-551a0611c4b4": "SendWebRequestBlock",
};

/** AutoGPT's name for a block id the tables above know; undefined for one only the registry can name. */
export function autogptName(blockId: string): string | undefined {
  return LLM_BLOCKS[blockId] ?? PROVIDER_BLOCKS[blockId] ?? NETWORK_BLOCKS[blockId];
}

/** A block the tables do not name is pure when Agentry registers it without a credentials pin. */
export function kindOf(blockId: string): BlockKind {
  if (blockId in LLM_BLOCKS) return "llm";
  if (blockId in PROVIDER_BLOCKS) return "provider";
  if (blockId in NETWORK_BLOCKS) return "network";
  const block = getBlock(blockId);
  if (!block) return "unknown";
  const pins = Object.keys((block.input as { properties?: Record<string, unknown> }).properties ?? {});
  return pins.some(isCredentialsFieldName) ? "provider" : "pure";
}

export const FIXTURE_DIRS = ["autogpt-agents", "autogpt-templates"] as const;

export interface ShippedAgent {
  dir: (typeof FIXTURE_DIRS)[number];
  file: string;
  /** The file's content, parsed, as a client would send it. */
  graph: any;
}

/** Every shipped agent saved under test/fixtures, in file-name order. */
export function shippedAgents(fixturesDir = path.join(import.meta.dirname, "..", "fixtures")): ShippedAgent[] {
  return FIXTURE_DIRS.flatMap((dir) =>
    fs
      .readdirSync(path.join(fixturesDir, dir))
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((file) => ({ dir, file, graph: JSON.parse(fs.readFileSync(path.join(fixturesDir, dir, file), "utf8")) })),
  );
}

/** The graph and its sub-graphs, as AutoGPT exports them (`sub_graphs`, or the old templates' `subgraphs`). */
export function graphsOf(graph: any): any[] {
  const subs = Array.isArray(graph.sub_graphs) ? graph.sub_graphs : Object.values(graph.subgraphs ?? {});
  return [graph, ...subs];
}

/** The distinct block ids an agent uses, its sub-graphs included, in order of first use. */
export function blockIdsOf(graph: any): string[] {
  return [...new Set(graphsOf(graph).flatMap((g) => (g.nodes ?? []).map((n: { block_id: string }) => n.block_id)))];
}

/** True when every block is pure or an LLM block (so the agent runs on operator LLM keys with no credentials). */
export function isLlmOnly(graph: any): boolean {
  const kinds = blockIdsOf(graph).map(kindOf);
  return kinds.includes("llm") && kinds.every((k) => k === "pure" || k === "llm");
}
