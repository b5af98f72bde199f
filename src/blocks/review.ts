// AutoGPT's HumanInTheLoopBlock: pauses the run until a person approves (possibly editing) or rejects the data.
// The node asks the engine for its review (ctx.humanReview); with no decision yet it ends without output, parked
// in REVIEW, and the run ends in REVIEW until POST /api/review/action decides it and queues the run again.
import { Type } from "@sinclair/typebox";
import { AnyValue, inputs, outputs } from "./fields.js";
import { type Block, defineBlock, type HumanReviewDecision } from "./sdk.js";

const example = { name: "John Doe", age: 30 };

export const humanInTheLoop = defineBlock({
  id: "8b2a7b3c-6e9d-4a5f-8c1b-2e3f4a5b6c7d",
  name: "HumanInTheLoopBlock",
  description: "Pause execution and wait for human approval or modification of data",
  categories: ["BASIC"],
  blockType: "Human In The Loop",
  input: inputs({
    data: AnyValue({ description: "The data to be reviewed by a human user" }),
    name: Type.String({ description: "A descriptive name for what this data represents" }),
    editable: Type.Boolean({
      description: "Whether the human reviewer can edit the data",
      default: true,
      advanced: true,
    }),
  }),
  output: outputs({
    approved_data: AnyValue({ description: "The data when approved (may be modified by reviewer)" }),
    rejected_data: AnyValue({ description: "The data when rejected (may be modified by reviewer)" }),
    review_message: Type.String({ description: "Any message provided by the reviewer", default: "" }),
  }),
  async *run({ data, name, editable }, ctx) {
    if (!ctx.humanReview) {
      throw new Error("HumanInTheLoopBlock waits for a person's review and can only run in a top-level graph run");
    }
    const decision = await ctx.humanReview({ data, name, editable });
    if (!decision) return; // parked: the run resumes this node once the review is decided
    if (decision.status === "APPROVED") yield ["approved_data", decision.data];
    else yield ["rejected_data", decision.data];
    // As AutoGPT: the reviewer's message, or what the decision was.
    const fallback =
      decision.status === "APPROVED" ? "Execution approved by reviewer" : "Execution rejected by reviewer";
    yield ["review_message", decision.message || fallback];
  },
  test: [
    {
      input: { data: example, name: "User profile data", editable: true },
      context: {
        humanReview: async (): Promise<HumanReviewDecision> => ({ status: "APPROVED", data: example, message: "" }),
      },
      output: [
        ["approved_data", example],
        ["review_message", "Execution approved by reviewer"],
      ],
    },
    {
      input: { data: "draft", name: "Post", editable: false },
      context: {
        humanReview: async (): Promise<HumanReviewDecision> => ({ status: "REJECTED", data: "draft", message: "no" }),
      },
      output: [
        ["rejected_data", "draft"],
        ["review_message", "no"],
      ],
    },
  ],
});

export const reviewBlocks: Block[] = [humanInTheLoop];
