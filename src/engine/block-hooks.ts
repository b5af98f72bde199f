// The engine's view of the block library: look a block up, and validate a node's input against it.
import { getBlock } from "../blocks/index.js";
import { validateInput } from "../blocks/validate.js";
import type { RunHooks } from "./run.js";

export const blockHooks: Pick<RunHooks, "getBlock" | "prepareInput"> = {
  getBlock,
  prepareInput(block, input) {
    const result = validateInput(block, input);
    if (result.ok) return { ok: true, input: result.value };
    return { ok: false, error: `Invalid input: ${result.errors.map((e) => `${e.field}: ${e.message}`).join("; ")}` };
  },
};
