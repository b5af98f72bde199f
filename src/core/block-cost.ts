// What a node execution costs by its block's listed costs (AutoGPT's block_usage_cost and cost-filter rules).
import type { Block } from "../blocks/sdk.js";

export type BlockCost = NonNullable<Block["costs"]>[number];

/** Python's truthiness, which AutoGPT's filter rules lean on: null, "", 0, false, [] and {} are all "empty". */
function empty(value: unknown): boolean {
  if (value === undefined || value === null || value === "" || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]));
  return false;
}

/**
 * AutoGPT's filter rules: an object filter matches when it is a subset of the input (recursively); anything else
 * must equal the input; an absent, null or empty value on both sides counts as equal.
 */
export function costFilterMatches(filter: unknown, input: unknown): boolean {
  if (!isRecord(filter) || !isRecord(input)) return equal(filter, input);
  return Object.entries(filter).every(([key, want]) => {
    const got = input[key];
    return (empty(got) && empty(want)) || (!empty(got) && costFilterMatches(want, got));
  });
}

/**
 * The cost in credits of one node execution: the first listed cost whose filter matches the node's input, by run,
 * by second of run time or by byte of input (AutoGPT's BlockCostType); 0 when none matches.
 */
export function blockUsageCost(
  costs: readonly BlockCost[] | undefined,
  input: Record<string, unknown>,
  measured: { runSeconds: number; inputBytes: () => number },
): number {
  for (const cost of costs ?? []) {
    if (!costFilterMatches(cost.cost_filter, input)) continue;
    if (cost.cost_type === "run") return cost.cost_amount;
    if (cost.cost_type === "second") return Math.trunc(measured.runSeconds * cost.cost_amount);
    return Math.trunc(measured.inputBytes() * cost.cost_amount);
  }
  return 0;
}
