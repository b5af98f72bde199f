// External API v2: GET /blocks — every block with its input/output schemas and costs (AutoGPT's v2 BlockInfo).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { allBlocks, blockToJSON } from "../../../blocks/index.js";
import type { Block, BlockType } from "../../../blocks/sdk.js";
import { scoped } from "../common.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";

const AnyRecord = Type.Record(Type.String(), Type.Unknown());

/** v2 publishes block types as identifiers, where the internal values (and v1's `uiType`) are UI labels. */
const BLOCK_TYPES: Record<BlockType, BlockInfoJSON["block_type"]> = {
  Standard: "STANDARD",
  Input: "INPUT",
  Output: "OUTPUT",
  Note: "NOTE",
  Webhook: "WEBHOOK",
  "Webhook (manual)": "WEBHOOK_MANUAL",
  Agent: "AGENT",
  AI: "AI",
  Ayrshare: "AYRSHARE",
  "Human In The Loop": "HUMAN_IN_THE_LOOP",
};

const BlockTypeSchema = Type.Union(
  [
    Type.Literal("STANDARD"),
    Type.Literal("INPUT"),
    Type.Literal("OUTPUT"),
    Type.Literal("NOTE"),
    Type.Literal("WEBHOOK"),
    Type.Literal("WEBHOOK_MANUAL"),
    Type.Literal("AGENT"),
    Type.Literal("AI"),
    Type.Literal("AYRSHARE"),
    Type.Literal("HUMAN_IN_THE_LOOP"),
    Type.Literal("MCP_TOOL"),
  ],
  { title: "BlockType", description: "What kind of block this is" },
);

export const BlockInfo = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    categories: Type.Array(
      Type.Object(
        {
          category: Type.String({ description: "Category identifier" }),
          description: Type.String({ description: "Category description" }),
        },
        { title: "BlockCategoryInfo" },
      ),
    ),
    contributors: Type.Array(Type.Object({ name: Type.String() }, { title: "BlockContributorInfo" })),
    input_schema: AnyRecord,
    output_schema: AnyRecord,
    static_output: Type.Boolean(),
    block_type: BlockTypeSchema,
    costs: Type.Array(
      Type.Object(
        {
          cost_type: Type.Union(
            [
              Type.Literal("run"),
              Type.Literal("byte"),
              Type.Literal("second"),
              Type.Literal("items"),
              Type.Literal("cost_usd"),
              Type.Literal("tokens"),
            ],
            {
              description: "What the cost is charged per",
            },
          ),
          cost_filter: Type.Record(Type.String(), Type.Unknown(), {
            description:
              "Partial node input that, if it matches the input for an execution of this block, applies this cost to it",
          }),
          cost_cents: Type.Integer({ description: "Cost per {cost_type}, in cents" }),
        },
        { title: "BlockCostInfo" },
      ),
    ),
  },
  { title: "BlockInfo" },
);

type BlockInfoJSON = typeof BlockInfo.static;

const infos = new WeakMap<Block, BlockInfoJSON>();

export function toBlockInfo(block: Block): BlockInfoJSON {
  let info = infos.get(block);
  if (!info) {
    const json = blockToJSON(block);
    info = {
      id: json.id,
      name: json.name,
      description: json.description,
      categories: json.categories,
      contributors: json.contributors,
      input_schema: json.inputSchema,
      output_schema: json.outputSchema,
      static_output: json.staticOutput,
      block_type: BLOCK_TYPES[block.blockType ?? "Standard"],
      costs: (block.costs ?? []).map((c) => ({
        cost_type: c.cost_type,
        cost_filter: c.cost_filter,
        cost_cents: c.cost_amount,
      })),
    };
    infos.set(block, info);
  }
  return info;
}

export const blocksRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    "/blocks",
    scoped(["READ_BLOCK"], {
      tags: ["blocks"],
      summary: "List available blocks",
      operationId: "listAvailableBlocks",
      description: "All available blocks with their input/output schemas and cost information.",
      querystring: PageQuery,
      response: { 200: Page(BlockInfo), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => new PageRequest(request.query.limit, request.query.cursor).slice(allBlocks.map(toBlockInfo)),
  );
};
