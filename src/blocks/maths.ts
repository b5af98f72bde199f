// Arithmetic blocks: CalculatorBlock and CountItemsBlock.
import { Type } from "@sinclair/typebox";
import { AnyValue, inputs, outputs, StringEnum } from "./fields.js";
import { pyLen, pyRound } from "./python.js";
import { type Block, defineBlock } from "./sdk.js";

const Operation = StringEnum(["Add", "Subtract", "Multiply", "Divide", "Power"], {
  title: "Operation",
  description: "Choose the math operation you want to perform",
  placeholder: "Select an operation",
});

export const calculator = defineBlock({
  id: "b1ab9b19-67a6-406d-abf5-2dba76d00c79",
  name: "CalculatorBlock",
  description: "Performs a mathematical operation on two numbers.",
  categories: ["LOGIC"],
  input: inputs({
    operation: Operation,
    a: Type.Number({ description: "Enter the first number (A)", placeholder: "For example: 10" }),
    b: Type.Number({ description: "Enter the second number (B)", placeholder: "For example: 5" }),
    round_result: Type.Boolean({ description: "Do you want to round the result to a whole number?", default: false }),
  }),
  output: outputs({ result: Type.Number({ description: "The result of your calculation" }) }),
  async *run({ operation, a, b, round_result }) {
    // AutoGPT answers infinity for a division by zero and NaN for other arithmetic failures, never an error.
    if (operation === "Divide" && b === 0) {
      yield ["result", Number.POSITIVE_INFINITY];
      return;
    }
    const ops = { Add: a + b, Subtract: a - b, Multiply: a * b, Divide: a / b, Power: a ** b };
    const r = ops[operation];
    yield ["result", round_result && Number.isFinite(r) ? pyRound(r) : r];
  },
  test: [
    { input: { operation: "Add", a: 10, b: 5, round_result: false }, output: [["result", 15]] },
    { input: { operation: "Divide", a: 7, b: 2, round_result: true }, output: [["result", 4]] },
    { input: { operation: "Power", a: 2, b: 10 }, output: [["result", 1024]] },
    { input: { operation: "Divide", a: 1, b: 0 }, output: [["result", Number.POSITIVE_INFINITY]] },
  ],
});

export const countItems = defineBlock({
  id: "3c9c2f42-b0c3-435f-ba35-05f7a25c772a",
  name: "CountItemsBlock",
  description: "Counts the number of items in a collection.",
  categories: ["LOGIC"],
  input: inputs({
    collection: AnyValue({
      description:
        "Enter the collection you want to count. This can be a list, dictionary, string, or any other iterable.",
      placeholder: "For example: [1, 2, 3] or {'a': 1, 'b': 2} or 'hello'",
    }),
  }),
  output: outputs({ count: Type.Integer({ description: "The number of items in the collection" }) }),
  async *run({ collection }) {
    let count: number;
    try {
      count = pyLen(collection);
    } catch {
      count = -1; // AutoGPT's signal for "not a countable collection"
    }
    yield ["count", count];
  },
  test: [
    { input: { collection: [1, 2, 3, 4, 5] }, output: [["count", 5]] },
    { input: { collection: "héllo" }, output: [["count", 5]] },
    { input: { collection: 42 }, output: [["count", -1]] },
  ],
});

export const mathsBlocks: Block[] = [calculator, countItems];
