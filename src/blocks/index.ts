// The block registry: every built-in block, lookup by id, and AutoGPT's serialized form for GET /api/blocks.
import { agentBlocks } from "./agent.js";
import { basicBlocks } from "./basic.js";
import { dataBlocks } from "./data.js";
import { discordBlocks } from "./discord.js";
import { InterfaceErrorPin } from "./fields.js";
import { googleBlocks } from "./google/index.js";
import { httpBlocks } from "./http.js";
import { ioBlocks } from "./io.js";
import { listBlocks } from "./lists.js";
import { llmBlocks } from "./llm/index.js";
import { smartDecisionBlocks } from "./llm/smart-decision.js";
import { logicBlocks } from "./logic.js";
import { mathsBlocks } from "./maths.js";
import { mediaBlocks } from "./media/index.js";
import { persistenceBlocks } from "./persistence.js";
import { reviewBlocks } from "./review.js";
import { BLOCK_CATEGORIES, type Block } from "./sdk.js";
import { textBlocks } from "./text.js";
import { timeBlocks } from "./time.js";
import { webBlocks } from "./web/index.js";
import { webhookBlocks } from "./webhook.js";
import { xmlBlocks } from "./xml.js";

export const allBlocks: Block[] = [
  ...ioBlocks,
  ...basicBlocks,
  ...mathsBlocks,
  ...logicBlocks,
  ...textBlocks,
  ...dataBlocks,
  ...listBlocks,
  ...xmlBlocks,
  ...persistenceBlocks,
  ...timeBlocks,
  ...httpBlocks,
  ...agentBlocks,
  ...webBlocks,
  ...mediaBlocks,
  ...googleBlocks,
  ...discordBlocks,
  ...llmBlocks,
  ...smartDecisionBlocks,
  ...webhookBlocks,
  ...reviewBlocks,
];

const byId = new Map(allBlocks.map((block) => [block.id, block]));
if (byId.size !== allBlocks.length) throw new Error("Two built-in blocks share an id");

export function getBlock(id: string): Block | undefined {
  return byId.get(id);
}

/**
 * Adds a block to the library, for tests and embedders: call it before the server starts (the block lists are
 * serialized once). Its id must be new.
 */
export function registerBlock(block: Block): void {
  if (byId.has(block.id)) throw new Error(`A block with id ${block.id} is already registered`);
  byId.set(block.id, block);
  allBlocks.push(block);
}

/** One entry of GET /api/blocks: AutoGPT's Block.to_dict() plus its costs, key for key. */
export interface BlockJSON {
  id: string;
  name: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  description: string;
  categories: { category: string; description: string }[];
  contributors: { name: string }[];
  staticOutput: boolean;
  uiType: string;
  costs: { cost_amount: number; cost_filter: Record<string, unknown>; cost_type: string }[];
}

/**
 * A pin schema as pydantic serializes it: keys sorted (except inside `properties` and `default`),
 * TypeBox's symbols dropped, and a discriminated union as `oneOf`.
 */
function pydanticShape(value: unknown, parentKey?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => pydanticShape(v));
  if (typeof value !== "object" || value === null) return value;
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  if (parentKey !== "properties") keys.sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const name = key === "anyOf" && "discriminator" in source ? "oneOf" : key;
    out[name] = key === "default" && parentKey !== "properties" ? source[key] : pydanticShape(source[key], key);
  }
  return out;
}

function schemaJSON(schema: Block["input"], title: string): Record<string, unknown> {
  const properties = Object.fromEntries(
    Object.entries(schema.properties).filter(([, pin]) => !(InterfaceErrorPin in pin)),
  );
  const required = (schema.required ?? []).filter((key) => key in properties);
  const shaped = pydanticShape({ properties, ...(required.length ? { required } : {}), title, type: "object" });
  return JSON.parse(JSON.stringify(shaped)) as Record<string, unknown>;
}

export function blockToJSON(block: Block): BlockJSON {
  return {
    id: block.id,
    name: block.name,
    inputSchema: schemaJSON(block.input, "Input"),
    outputSchema: schemaJSON(block.output, "Output"),
    description: block.description,
    categories: block.categories.map((category) => ({ category, description: BLOCK_CATEGORIES[category] })),
    contributors: [],
    staticOutput: block.staticOutput ?? false,
    uiType: block.blockType ?? "Standard",
    costs: block.costs ?? [],
  };
}
