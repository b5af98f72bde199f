// Branching blocks: ConditionBlock and IfInputMatchesBlock.

import { Type } from "@sinclair/typebox";
import { convertValue, type JsonSchema } from "../core/convert.js";
import { AnyValue, inputs, outputs, StringEnum } from "./fields.js";
import { pyCompare, pyEquals } from "./python.js";
import { type Block, defineBlock } from "./sdk.js";

const ComparisonOperator = StringEnum(["==", "!=", ">", "<", ">=", "<="], {
  title: "ComparisonOperator",
  description: "Choose the comparison operator",
  placeholder: "Select an operator",
});

const isNumber = (v: unknown): v is number | boolean => typeof v === "number" || typeof v === "boolean";

/** Python's int(s) if it looks like one ('.' or 'e' means float(s)); undefined when it does not parse. */
function parseNumeric(s: string): number | undefined {
  const floaty = s.includes(".") || s.toLowerCase().includes("e");
  const re = floaty ? /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/ : /^[+-]?\d+$/;
  return re.test(s) ? Number(s) : undefined;
}

/** Text that looks like a number compares as one; blank text counts as missing. */
function normalize(value: unknown): unknown {
  if (typeof value !== "string") return value ?? null;
  const s = value.trim();
  if (s === "") return null;
  return parseNumeric(s) ?? s;
}

function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case "==":
      return pyEquals(a, b);
    case "!=":
      return !pyEquals(a, b);
    case ">":
      return pyCompare(a, b, op) > 0;
    case "<":
      return pyCompare(a, b, op) < 0;
    case ">=":
      return pyCompare(a, b, op) >= 0;
    default:
      return pyCompare(a, b, op) <= 0;
  }
}

const conditionOutputs = outputs({
  result: Type.Boolean({ description: "The result of the condition evaluation (True or False)" }),
  yes_output: AnyValue({ description: "The output value if the condition is true" }),
  no_output: AnyValue({ description: "The output value if the condition is false" }),
});

export const condition = defineBlock({
  id: "715696a0-e1da-45c8-b209-c2fa9c3b0be6",
  name: "ConditionBlock",
  description: "Handles conditional logic based on comparison operators",
  categories: ["LOGIC"],
  input: inputs({
    value1: AnyValue({
      description: "Enter the first value for comparison",
      placeholder: "For example: 10 or 'hello' or True",
    }),
    operator: ComparisonOperator,
    value2: AnyValue({
      description: "Enter the second value for comparison",
      placeholder: "For example: 20 or 'world' or False",
    }),
    yes_value: AnyValue({
      description: "(Optional) Value to output if the condition is true. If not provided, value1 will be used.",
      placeholder: "Leave empty to use value1, or enter a specific value",
      default: null,
    }),
    no_value: AnyValue({
      description: "(Optional) Value to output if the condition is false. If not provided, value1 will be used.",
      placeholder: "Leave empty to use value1, or enter a specific value",
      default: null,
    }),
  }),
  output: conditionOutputs,
  async *run({ value1, operator, value2, yes_value, no_value }) {
    let a = normalize(value1);
    let b = normalize(value2);
    // A missing side takes the other side's zero value, so "" vs 0 and None vs None compare sensibly.
    if (a === null && b === null) a = b = 0;
    else if (a === null) a = isNumber(b) ? 0 : "";
    else if (b === null) b = isNumber(a) ? 0 : "";
    if (isNumber(a) && typeof b === "string") {
      const n = parseNumeric(b);
      if (n === undefined) a = String(a);
      else b = n;
    } else if (isNumber(b) && typeof a === "string") {
      const n = parseNumeric(a);
      if (n === undefined) b = String(b);
      else a = n;
    }
    const result = compare(operator, a, b);
    yield ["result", result];
    // As in AutoGPT, the fallback for no_output is value2 (whatever the pin description says).
    if (result) yield ["yes_output", yes_value ?? a];
    else yield ["no_output", no_value ?? b];
  },
  test: [
    {
      input: { value1: 10, operator: ">", value2: 5, yes_value: "Greater", no_value: "Not greater" },
      output: [
        ["result", true],
        ["yes_output", "Greater"],
      ],
    },
    {
      input: { value1: "10", operator: "==", value2: 10 },
      output: [
        ["result", true],
        ["yes_output", 10],
      ],
    },
    {
      input: { value1: "apple", operator: "<", value2: "banana" },
      output: [
        ["result", true],
        ["yes_output", "apple"],
      ],
    },
    {
      input: { value1: " 3.5 ", operator: ">=", value2: 4 },
      output: [
        ["result", false],
        ["no_output", 4],
      ],
    },
  ],
});

/** The JSON schema of a value's own type, to convert the other side of an IfInputMatches comparison into. */
function schemaOf(value: unknown): JsonSchema | undefined {
  if (typeof value === "string") return { type: "string" };
  if (typeof value === "boolean") return { type: "boolean" };
  if (typeof value === "number") return { type: Number.isInteger(value) ? "integer" : "number" };
  if (Array.isArray(value)) return { type: "array" };
  if (value !== null && typeof value === "object") return { type: "object" };
  return undefined;
}

export const ifInputMatches = defineBlock({
  id: "6dbbc4b3-ca6c-42b6-b508-da52d23e13f2",
  name: "IfInputMatchesBlock",
  description: "Handles conditional logic based on comparison operators",
  categories: ["LOGIC"],
  input: inputs({
    input: AnyValue({ description: "The input to match against", placeholder: "For example: 10 or 'hello' or True" }),
    value: AnyValue({
      description: "The value to output if the input matches",
      placeholder: "For example: 'Greater' or 20 or False",
    }),
    yes_value: AnyValue({
      description: "The value to output if the input matches",
      placeholder: "For example: 'Greater' or 20 or False",
      default: null,
    }),
    no_value: AnyValue({
      description: "The value to output if the input does not match",
      placeholder: "For example: 'Greater' or 20 or False",
      default: null,
    }),
  }),
  output: conditionOutputs,
  async *run({ input, value, yes_value, no_value }) {
    let candidate = value;
    // A value of another type is first converted to the input's type, e.g. "10" matches 10.
    if (!pyEquals(input, value) && input !== null && value !== null) candidate = convertValue(value, schemaOf(input));
    if (pyEquals(input, candidate)) {
      yield ["result", true];
      yield ["yes_output", yes_value];
    } else {
      yield ["result", false];
      yield ["no_output", no_value];
    }
  },
  test: [
    {
      input: { input: 10, value: 10, yes_value: "Greater", no_value: "Not greater" },
      output: [
        ["result", true],
        ["yes_output", "Greater"],
      ],
    },
    {
      input: { input: 10, value: 20, yes_value: "Greater", no_value: "Not greater" },
      output: [
        ["result", false],
        ["no_output", "Not greater"],
      ],
    },
    {
      input: { input: 10, value: "None", yes_value: "Yes", no_value: "No" },
      output: [
        ["result", false],
        ["no_output", "No"],
      ],
    },
    {
      input: { input: 10, value: "10", yes_value: "Yes", no_value: "No" },
      output: [
        ["result", true],
        ["yes_output", "Yes"],
      ],
    },
  ],
});

export const logicBlocks: Block[] = [condition, ifInputMatches];
