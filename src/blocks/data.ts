// Structured-data blocks: lists, dictionaries, iteration over them, and the universal type converter.
import { Type } from "@sinclair/typebox";
import { convertValue } from "../core/convert.js";
import { AnyValue, Dict, inputs, Nullable, outputs, StringEnum } from "./fields.js";
import { isRecord, pyEquals, pyStr, pyTruthy } from "./python.js";
import { type Block, defineBlock } from "./sdk.js";

/** A rough token count (about four characters a token), used only to size CreateListBlock's chunks. */
const estimateTokens = (value: unknown) => Math.ceil(pyStr(value).length / 4);

export const createList = defineBlock({
  id: "a912d5c7-6e00-4542-b2a9-8034136930e4",
  name: "CreateListBlock",
  description:
    "Creates a list with the specified values. Use this when you know all the values you want to add upfront. This block can also yield the list in batches based on a maximum size or token limit.",
  categories: ["DATA"],
  input: inputs({
    values: Type.Array(Type.Unknown(), {
      description: "A list of values to be combined into a new list.",
      placeholder: "e.g., ['Alice', 25, True]",
    }),
    max_size: Nullable(Type.Integer(), {
      default: null,
      description: "Maximum size of the list. If provided, the list will be yielded in chunks of this size.",
      advanced: true,
    }),
    max_tokens: Nullable(Type.Integer(), {
      default: null,
      description:
        "Maximum tokens for the list. If provided, the list will be yielded in chunks that fit within this token limit.",
      advanced: true,
    }),
  }),
  output: outputs({
    list: Type.Array(Type.Unknown(), { description: "The created list containing the specified values." }),
  }),
  async *run({ values, max_size, max_tokens }) {
    let chunk: unknown[] = [];
    let tokens = 0;
    for (const value of values) {
      const cost = max_tokens ? estimateTokens(value) : 0;
      const full = (max_tokens && tokens + cost > max_tokens) || (max_size && chunk.length + 1 > max_size);
      if (full) {
        yield ["list", chunk];
        chunk = [];
        tokens = 0;
      }
      chunk.push(value);
      tokens += cost;
    }
    if (chunk.length > 0 || values.length === 0) yield ["list", chunk];
  },
  test: [
    { input: { values: ["Alice", 25, true] }, output: [["list", ["Alice", 25, true]]] },
    { input: { values: [1, 2, 3, "four", { key: "value" }] }, output: [["list", [1, 2, 3, "four", { key: "value" }]]] },
    {
      input: { values: [1, 2, 3, 4, 5], max_size: 2 },
      output: [
        ["list", [1, 2]],
        ["list", [3, 4]],
        ["list", [5]],
      ],
    },
  ],
});

/** Python's `lst[:pos]` / `lst[pos:]` split point, negative positions counting from the end. */
const splitPoint = (pos: number, length: number) => (pos < 0 ? Math.max(0, length + pos) : Math.min(pos, length));

export const addToList = defineBlock({
  id: "aeb08fc1-2fc1-4141-bc8e-f758f183a822",
  name: "AddToListBlock",
  description:
    "Adds a new entry to a list. The entry can be of any type. If no list is provided, a new one is created.",
  categories: ["BASIC"],
  input: inputs({
    list: Type.Array(Type.Unknown(), {
      default: [],
      advanced: false,
      description: "The list to add the entry to. If not provided, a new list will be created.",
    }),
    entry: AnyValue({
      description: "The entry to add to the list. Can be of any type (string, int, dict, etc.).",
      advanced: false,
      default: null,
    }),
    entries: Type.Array(Type.Unknown(), {
      default: [],
      description: "The entries to add to the list. This is the batch version of the `entry` field.",
      advanced: true,
    }),
    position: Nullable(Type.Integer(), {
      default: null,
      description:
        "The position to insert the new entry. If not provided, the entry will be appended to the end of the list.",
    }),
  }),
  output: outputs({ updated_list: Type.Array(Type.Unknown(), { description: "The list with the new entry added." }) }),
  async *run({ list, entry, entries, position }) {
    const added = entry === null || entry === undefined ? [...entries] : [...entries, entry];
    if (position === null || position === undefined) {
      yield ["updated_list", [...list, ...added]];
      return;
    }
    const at = splitPoint(position, list.length);
    yield ["updated_list", [...list.slice(0, at), ...added, ...list.slice(at)]];
  },
  test: [
    {
      input: { list: [1, "string", { existing_key: "existing_value" }], entry: { new_key: "new_value" }, position: 1 },
      output: [["updated_list", [1, { new_key: "new_value" }, "string", { existing_key: "existing_value" }]]],
    },
    { input: { entry: "first_entry" }, output: [["updated_list", ["first_entry"]]] },
    { input: { list: ["a", "b", "c"], entry: "d" }, output: [["updated_list", ["a", "b", "c", "d"]]] },
    {
      input: { entry: "e", entries: ["f", "g"], list: ["a", "b"], position: 1 },
      output: [["updated_list", ["a", "f", "g", "e", "b"]]],
    },
  ],
});

export const findInList = defineBlock({
  id: "5e2c6d0a-1e37-489f-b1d0-8e1812b23333",
  name: "FindInListBlock",
  description: "Finds the index of the value in the list.",
  categories: ["BASIC"],
  input: inputs({
    list: Type.Array(Type.Unknown(), { description: "The list to search in." }),
    value: AnyValue({ description: "The value to search for." }),
  }),
  output: outputs({
    index: Type.Integer({ description: "The index of the value in the list." }),
    found: Type.Boolean({ description: "Whether the value was found in the list." }),
    not_found_value: AnyValue({ description: "The value that was not found in the list." }),
  }),
  async *run({ list, value }) {
    const index = list.findIndex((item) => pyEquals(item, value));
    if (index >= 0) {
      yield ["index", index];
      yield ["found", true];
    } else {
      yield ["found", false];
      yield ["not_found_value", value];
    }
  },
  test: [
    {
      input: { list: [1, 2, 3, 4, 5], value: 3 },
      output: [
        ["index", 2],
        ["found", true],
      ],
    },
    {
      input: { list: [1, 2, 3, 4, 5], value: 6 },
      output: [
        ["found", false],
        ["not_found_value", 6],
      ],
    },
  ],
});

export const getListItem = defineBlock({
  id: "262ca24c-1025-43cf-a578-534e23234e97",
  name: "GetListItemBlock",
  description: "Returns the element at the given index.",
  categories: ["BASIC"],
  input: inputs({
    list: Type.Array(Type.Unknown(), { description: "The list to get the item from." }),
    index: Type.Integer({ description: "The 0-based index of the item (supports negative indices)." }),
  }),
  output: outputs({ item: AnyValue({ description: "The item at the specified index." }) }),
  async *run({ list, index }) {
    const at = index < 0 ? list.length + index : index;
    if (at < 0 || at >= list.length) yield ["error", "Index out of range"];
    else yield ["item", list[at]];
  },
  test: [
    { input: { list: [1, 2, 3], index: 1 }, output: [["item", 2]] },
    { input: { list: [1, 2, 3], index: -1 }, output: [["item", 3]] },
    { input: { list: [1, 2, 3], index: 3 }, output: [["error", "Index out of range"]] },
  ],
});

export const createDictionary = defineBlock({
  id: "b924ddf4-de4f-4b56-9a85-358930dcbc91",
  name: "CreateDictionaryBlock",
  description:
    "Creates a dictionary with the specified key-value pairs. Use this when you know all the values you want to add upfront.",
  categories: ["DATA"],
  input: inputs({
    values: Dict({
      description: "Key-value pairs to create the dictionary with",
      placeholder: "e.g., {'name': 'Alice', 'age': 25}",
    }),
  }),
  output: outputs({
    error: Type.String({ description: "Error message if dictionary creation failed" }),
    dictionary: Dict({ description: "The created dictionary containing the specified key-value pairs" }),
  }),
  async *run({ values }) {
    yield ["dictionary", values];
  },
  test: [
    {
      input: { values: { name: "Alice", age: 25, city: "New York" } },
      output: [["dictionary", { name: "Alice", age: 25, city: "New York" }]],
    },
    {
      input: { values: { numbers: [1, 2, 3], active: true, score: 95.5 } },
      output: [["dictionary", { numbers: [1, 2, 3], active: true, score: 95.5 }]],
    },
  ],
});

export const addToDictionary = defineBlock({
  id: "31d1064e-7446-4693-a7d4-65e5ca1180d1",
  name: "AddToDictionaryBlock",
  description: "Adds a new key-value pair to a dictionary. If no dictionary is provided, a new one is created.",
  categories: ["BASIC"],
  input: inputs({
    dictionary: Dict({
      default: {},
      description: "The dictionary to add the entry to. If not provided, a new dictionary will be created.",
      advanced: false,
    }),
    key: Type.String({
      default: "",
      description: "The key for the new entry.",
      placeholder: "new_key",
      advanced: false,
    }),
    value: AnyValue({
      default: null,
      description: "The value for the new entry.",
      placeholder: "new_value",
      advanced: false,
    }),
    entries: Dict({
      default: {},
      description: "The entries to add to the dictionary. This is the batch version of the `key` and `value` fields.",
      advanced: true,
    }),
  }),
  output: outputs({ updated_dictionary: Dict({ description: "The dictionary with the new entry added." }) }),
  async *run({ dictionary, key, value, entries }) {
    const updated: Record<string, unknown> = { ...dictionary };
    if (value !== null && value !== undefined && key) updated[key] = value;
    Object.assign(updated, entries);
    yield ["updated_dictionary", updated];
  },
  test: [
    {
      input: { dictionary: { existing_key: "existing_value" }, key: "new_key", value: "new_value" },
      output: [["updated_dictionary", { existing_key: "existing_value", new_key: "new_value" }]],
    },
    {
      input: { key: "first_key", value: "first_value" },
      output: [["updated_dictionary", { first_key: "first_value" }]],
    },
    {
      input: {
        dictionary: { existing_key: "existing_value" },
        entries: { new_key: "new_value", first_key: "first_value" },
      },
      output: [
        ["updated_dictionary", { existing_key: "existing_value", new_key: "new_value", first_key: "first_value" }],
      ],
    },
  ],
});

export const findInDictionary = defineBlock({
  id: "0e50422c-6dee-4145-83d6-3a5a392f65de",
  name: "FindInDictionaryBlock",
  description:
    "A block that looks up a value in a dictionary, list, or object by key or index and returns the corresponding value.",
  categories: ["BASIC"],
  input: inputs({
    input: AnyValue({ description: "Dictionary to lookup from" }),
    key: Type.Union([Type.String(), Type.Integer()], { description: "Key to lookup in the dictionary" }),
  }),
  output: outputs({
    output: AnyValue({ description: "Value found for the given key" }),
    missing: AnyValue({ description: "Value of the input that missing the key" }),
  }),
  async *run({ input, key }) {
    // JSON text is looked into as the structure it encodes.
    const obj: unknown = typeof input === "string" ? JSON.parse(input) : input;
    if (isRecord(obj) && Object.hasOwn(obj, String(key))) {
      yield ["output", obj[String(key)]];
    } else if (Array.isArray(obj) && typeof key === "number" && key >= 0 && key < obj.length) {
      yield ["output", obj[key]];
    } else if (Array.isArray(obj) && typeof key === "string") {
      // A list of records is plucked: every item that has the key contributes its value.
      yield [
        "output",
        obj
          .filter((item) => isRecord(item) && Object.hasOwn(item, key))
          .map((item) => (item as Record<string, unknown>)[key]),
      ];
    } else {
      yield ["missing", input];
    }
  },
  test: [
    { input: { input: { apple: 1, banana: 2, cherry: 3 }, key: "banana" }, output: [["output", 2]] },
    { input: { input: { x: 10, y: 20, z: 30 }, key: "w" }, output: [["missing", { x: 10, y: 20, z: 30 }]] },
    { input: { input: [1, 2, 3], key: 1 }, output: [["output", 2]] },
    { input: { input: [1, 2, 3], key: 3 }, output: [["missing", [1, 2, 3]]] },
    { input: { input: [{ k1: "v1" }, { k2: "v2" }, { k1: "v3" }], key: "k1" }, output: [["output", ["v1", "v3"]]] },
    { input: { input: '{"a": {"b": 1}}', key: "a" }, output: [["output", { b: 1 }]] },
  ],
});

const MAX_ITEMS = 10_000;
const MAX_ITEMS_TEXT = 1024 * 1024;
const itemsHint = "[1, 2, 3, 4, 5] or {'key1': 'value1', 'key2': 'value2'}";
const itemsDescription = "The list or dictionary of items to iterate over";

export const stepThroughItems = defineBlock({
  id: "f66a3543-28d3-4ab5-8945-9b336371e2ce",
  name: "StepThroughItemsBlock",
  description: "Iterates over a list or dictionary and outputs each item.",
  categories: ["LOGIC"],
  input: inputs({
    items: Type.Array(Type.Unknown(), {
      advanced: false,
      description: itemsDescription,
      placeholder: itemsHint,
      default: [],
    }),
    items_object: Dict({ advanced: false, description: itemsDescription, placeholder: itemsHint, default: {} }),
    items_str: Type.String({ advanced: false, description: itemsDescription, placeholder: itemsHint, default: "" }),
  }),
  output: outputs({
    item: AnyValue({ description: "The current item in the iteration" }),
    key: AnyValue({ description: "The key or index of the current item in the iteration" }),
  }),
  async *run({ items, items_object, items_str }) {
    for (const source of [items, items_object, items_str] as unknown[]) {
      if (!pyTruthy(source)) continue;
      let data = source;
      if (typeof data === "string") {
        if (data.length > MAX_ITEMS_TEXT)
          throw new Error(`Input too large: ${data.length} bytes > ${MAX_ITEMS_TEXT} bytes`);
        data = JSON.parse(data) as unknown;
      }
      const entries: [unknown, unknown][] = Array.isArray(data)
        ? data.map((item, index) => [index, item])
        : isRecord(data)
          ? Object.entries(data)
          : [];
      if (!Array.isArray(data) && !isRecord(data)) throw new Error(`Cannot iterate over ${typeof data}`);
      if (entries.length > MAX_ITEMS) throw new Error(`Too many items: ${entries.length} > ${MAX_ITEMS}`);
      for (const [key, item] of entries) {
        yield ["item", item];
        yield ["key", key];
      }
    }
  },
  test: [
    {
      input: { items: [1, 2, 3, { key1: "value1", key2: "value2" }] },
      output: [
        ["item", 1],
        ["key", 0],
        ["item", 2],
        ["key", 1],
        ["item", 3],
        ["key", 2],
        ["item", { key1: "value1", key2: "value2" }],
        ["key", 3],
      ],
    },
    {
      input: { items_object: { a: 1 } },
      output: [
        ["item", 1],
        ["key", "a"],
      ],
    },
    {
      input: { items_str: '["x"]' },
      output: [
        ["item", "x"],
        ["key", 0],
      ],
    },
  ],
});

const TYPE_SCHEMAS = {
  string: { type: "string" },
  number: { type: "number" },
  boolean: { type: "boolean" },
  list: { type: "array" },
  dictionary: { type: "object" },
} as const;

export const universalTypeConverter = defineBlock({
  id: "95d1b990-ce13-4d88-9737-ba5c2070c97b",
  name: "UniversalTypeConverterBlock",
  description: "This block is used to convert a value to a universal type.",
  categories: ["BASIC"],
  input: inputs({
    value: AnyValue({ description: "The value to convert to a universal type." }),
    type: StringEnum(["string", "number", "boolean", "list", "dictionary"], {
      title: "TypeOptions",
      description: "The type to convert the value to.",
    }),
  }),
  output: outputs({ value: AnyValue({ description: "The converted value." }) }),
  async *run({ value, type }) {
    try {
      yield ["value", convertValue(value, TYPE_SCHEMAS[type])];
    } catch (error) {
      yield ["error", `Failed to convert value: ${(error as Error).message}`];
    }
  },
  test: [
    { input: { value: "42.5", type: "number" }, output: [["value", 42.5]] },
    { input: { value: [1, "a"], type: "string" }, output: [["value", '[1, "a"]']] },
    { input: { value: "TRUE", type: "boolean" }, output: [["value", true]] },
    { input: { value: "[1, 2]", type: "list" }, output: [["value", [1, 2]]] },
    { input: { value: "plain", type: "dictionary" }, output: [["value", { value: "plain" }]] },
  ],
});

export const dataBlocks: Block[] = [
  createList,
  addToList,
  findInList,
  getListItem,
  createDictionary,
  addToDictionary,
  findInDictionary,
  stepThroughItems,
  universalTypeConverter,
];
