// The LLM blocks (AutoGPT's backend/blocks/llm.py), gathered for the registry.
import type { Block } from "../sdk.js";
import { aiConversation, aiListGenerator, aiTextGenerator, aiTextSummarizer } from "./generators.js";
import { aiStructuredResponseGenerator } from "./structured.js";

export const llmBlocks: Block[] = [
  aiStructuredResponseGenerator,
  aiTextGenerator,
  aiTextSummarizer,
  aiConversation,
  aiListGenerator,
];
