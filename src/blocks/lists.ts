// List blocks AutoGPT's shipped agents use beyond data.ts: emptiness check and removal by value or index.
import { Type } from "@sinclair/typebox";
import { AnyValue, inputs, Nullable, outputs } from "./fields.js";
import { pyEquals } from "./python.js";
import { type Block, defineBlock } from "./sdk.js";

export const listIsEmpty = defineBlock({
  id: "896ed73b-27d0-41be-813c-c1c1dc856c03",
  name: "ListIsEmptyBlock",
  description: "Checks if a list is empty.",
  categories: ["BASIC"],
  input: inputs({
    list: Type.Array(Type.Unknown(), { description: "The list to check." }),
  }),
  output: outputs({ is_empty: Type.Boolean({ description: "True if the list is empty." }) }),
  async *run({ list }) {
    yield ["is_empty", list.length === 0];
  },
  test: [
    { input: { list: [] }, output: [["is_empty", true]] },
    { input: { list: [1] }, output: [["is_empty", false]] },
  ],
});

export const removeFromList = defineBlock({
  id: "d93c5a93-ac7e-41c1-ae5c-ef67e6e9b826",
  name: "RemoveFromListBlock",
  description: "Removes an item from a list by value or index.",
  categories: ["BASIC"],
  input: inputs({
    list: Type.Array(Type.Unknown(), { description: "The list to modify." }),
    value: AnyValue({ default: null, description: "Value to remove from the list." }),
    index: Nullable(Type.Integer(), {
      default: null,
      description: "Index of the item to pop (supports negative indices).",
    }),
    return_item: Type.Boolean({ default: false, description: "Whether to return the removed item." }),
  }),
  output: outputs({
    updated_list: Type.Array(Type.Unknown(), { description: "The list after removal." }),
    removed_item: AnyValue({ description: "The removed item if requested." }),
  }),
  async *run({ list, value, index, return_item }) {
    const updated = [...list];
    let removed: unknown;
    // Python's list.pop(index) (negative from the end) when an index is given, else list.remove(value).
    if (index !== null && index !== undefined) {
      const at = index < 0 ? updated.length + index : index;
      if (at < 0 || at >= updated.length) {
        yield ["error", "Index or value not found"];
        return;
      }
      [removed] = updated.splice(at, 1);
    } else if (value !== null && value !== undefined) {
      const at = updated.findIndex((item) => pyEquals(item, value));
      if (at < 0) {
        yield ["error", "Index or value not found"];
        return;
      }
      updated.splice(at, 1);
      removed = value;
    } else {
      yield ["error", "Index or value not found"];
      return;
    }
    yield ["updated_list", updated];
    if (return_item) yield ["removed_item", removed];
  },
  test: [
    {
      input: { list: [1, 2, 3], index: 1, return_item: true },
      output: [
        ["updated_list", [1, 3]],
        ["removed_item", 2],
      ],
    },
    { input: { list: ["a", "b", "c"], value: "b" }, output: [["updated_list", ["a", "c"]]] },
    { input: { list: ["a", "b", "b"], value: "b" }, output: [["updated_list", ["a", "b"]]] },
    {
      input: { list: [1, 2, 3], index: -1, return_item: true },
      output: [
        ["updated_list", [1, 2]],
        ["removed_item", 3],
      ],
    },
    { input: { list: [1, 2, 3], index: 3 }, output: [["error", "Index or value not found"]] },
    { input: { list: [1, 2, 3], value: 4 }, output: [["error", "Index or value not found"]] },
    { input: { list: [1, 2, 3] }, output: [["error", "Index or value not found"]] },
  ],
});

export const listBlocks: Block[] = [listIsEmpty, removeFromList];
