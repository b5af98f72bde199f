// AutoGPT's PersistInformationBlock and RetrieveInformationBlock: key-value data kept for the running user across
// runs, within one agent or across all of the user's agents, through the engine's storage (ctx.storage).
import { Type } from "@sinclair/typebox";
import { AnyValue, inputs, outputs, StringEnum } from "./fields.js";
import { type Block, type BlockContext, type BlockStorage, defineBlock } from "./sdk.js";

const SCOPES = ["within_agent", "across_agents"] as const;
type Scope = (typeof SCOPES)[number];

const scopeField = () =>
  StringEnum(SCOPES, {
    description:
      "Scope of persistence: within_agent (shared across all runs of this agent) or across_agents (shared across all agents for this user)",
    default: "within_agent",
  });

/** AutoGPT's storage key: the agent's (graph's) own namespace, or the user's global one. */
export function storageKey(key: string, scope: Scope, graphId: string): string {
  return scope === "across_agents" ? `global#${key}` : `agent#${graphId}#${key}`;
}

function storageOf(ctx: BlockContext): BlockStorage {
  if (!ctx.storage) throw new Error("This block keeps values for the user across runs and can only run inside a graph");
  return ctx.storage;
}

/** An in-memory BlockStorage, for the blocks' own examples (and embedders' tests). */
export function memoryStorage(): BlockStorage {
  const values = new Map<string, unknown>();
  return {
    get: async (key) => values.get(key),
    set: async (key, value) => void values.set(key, structuredClone(value)),
  };
}

const exampleStorage = memoryStorage();
const exampleContext = { storage: exampleStorage, graphId: "graph-1" };

export const persistInformation = defineBlock({
  id: "1d055e55-a2b9-4547-8311-907d05b0304d",
  name: "PersistInformationBlock",
  description: "Persist key-value information for the current user",
  categories: ["DATA"],
  input: inputs({
    key: Type.String({ description: "Key to store the information under" }),
    value: AnyValue({ description: "Value to store" }),
    scope: scopeField(),
  }),
  output: outputs({ value: AnyValue({ description: "Value that was stored" }) }),
  async *run({ key, value, scope }, ctx) {
    await storageOf(ctx).set(storageKey(key, scope, ctx.graphId), value ?? null);
    yield ["value", value ?? null];
  },
  test: [
    {
      input: { key: "user_preference", value: { theme: "dark", language: "en" }, scope: "within_agent" },
      output: [["value", { theme: "dark", language: "en" }]],
      context: exampleContext,
    },
    {
      input: { key: "shared", value: [1, 2], scope: "across_agents" },
      output: [["value", [1, 2]]],
      context: exampleContext,
    },
  ],
});

export const retrieveInformation = defineBlock({
  id: "d8710fc9-6e29-481e-a7d5-165eb16f8471",
  name: "RetrieveInformationBlock",
  description: "Retrieve key-value information for the current user",
  categories: ["DATA"],
  staticOutput: true,
  input: inputs({
    key: Type.String({ description: "Key to retrieve the information for" }),
    scope: scopeField(),
    default_value: AnyValue({ description: "Default value to return if key is not found", default: null }),
  }),
  output: outputs({ value: AnyValue({ description: "Retrieved value or default value" }) }),
  async *run({ key, scope, default_value }, ctx) {
    const stored = await storageOf(ctx).get(storageKey(key, scope, ctx.graphId));
    yield ["value", stored ?? default_value ?? null];
  },
  test: [
    {
      input: { key: "missing", scope: "within_agent", default_value: { theme: "light", language: "en" } },
      output: [["value", { theme: "light", language: "en" }]],
      context: exampleContext,
    },
    // What PersistInformationBlock's examples stored (they run first, on the same stand-in storage).
    {
      input: { key: "user_preference" },
      output: [["value", { theme: "dark", language: "en" }]],
      context: exampleContext,
    },
    {
      input: { key: "user_preference", default_value: "none" },
      output: [["value", "none"]],
      context: { storage: exampleStorage, graphId: "graph-2" },
    },
    {
      input: { key: "shared", scope: "across_agents" },
      output: [["value", [1, 2]]],
      context: { storage: exampleStorage, graphId: "graph-2" },
    },
  ],
});

export const persistenceBlocks: Block[] = [persistInformation, retrieveInformation];
