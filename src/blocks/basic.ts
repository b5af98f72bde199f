// Basic pass-through blocks: StoreValueBlock and PrintToConsoleBlock.
import { Type } from "@sinclair/typebox";
import { AnyValue, inputs, outputs } from "./fields.js";
import { pyTruthy } from "./python.js";
import { type Block, defineBlock } from "./sdk.js";

export const storeValue = defineBlock({
  id: "1ff065e9-88e8-4358-9d82-8dc91f622ba9",
  name: "StoreValueBlock",
  description:
    "A basic block that stores and forwards a value throughout workflows, allowing it to be reused without changes across multiple blocks.",
  categories: ["BASIC"],
  staticOutput: true,
  input: inputs({
    input: AnyValue({
      description: "Trigger the block to produce the output. The value is only used when `data` is None.",
    }),
    data: AnyValue({
      description: "The constant data to be retained in the block. This value is passed as `output`.",
      default: null,
    }),
  }),
  output: outputs({ output: AnyValue({ description: "The stored data retained in the block." }) }),
  async *run({ input, data }) {
    // Python's `data or input`: any falsy data (0, "", [], None) falls back to the trigger.
    yield ["output", pyTruthy(data) ? data : input];
  },
  test: [
    { input: { input: "Hello, World!" }, output: [["output", "Hello, World!"]] },
    { input: { input: "Hello, World!", data: "Existing Data" }, output: [["output", "Existing Data"]] },
  ],
});

export const printToConsole = defineBlock({
  id: "f3b1c1b2-4c4f-4f0d-8d2f-4c4f0d8d2f4c",
  name: "PrintToConsoleBlock",
  description:
    "A debugging block that outputs text to the console for monitoring and troubleshooting workflow execution.",
  categories: ["BASIC"],
  input: inputs({ text: AnyValue({ description: "The data to print to the console." }) }),
  output: outputs({
    output: AnyValue({ description: "The data printed to the console." }),
    status: Type.String({ description: "The status of the print operation." }),
  }),
  // The server's console is not the user's: the value is shown through the node's output instead.
  async *run({ text }) {
    yield ["output", text];
    yield ["status", "printed"];
  },
  test: [
    {
      input: { text: "Hello, World!" },
      output: [
        ["output", "Hello, World!"],
        ["status", "printed"],
      ],
    },
  ],
});

export const basicBlocks: Block[] = [storeValue, printToConsole];
