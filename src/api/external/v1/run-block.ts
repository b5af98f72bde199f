// Runs one block outside any graph (POST /blocks/{id}/execute, the run_block tool): validated input, a time cap,
// the caller's identity, and every yielded value grouped by output pin, as AutoGPT's CompletedBlockOutput.
import { standaloneContext } from "../../../blocks/context.js";
import type { Block, BlockOutput } from "../../../blocks/sdk.js";
import { validateInput } from "../../../blocks/validate.js";
import { ApiError } from "../../../core/errors.js";
import type { HttpClient } from "../../../infra/http/client.js";

export interface RunBlockOptions {
  userId: string;
  timeoutMs: number;
  http: HttpClient;
  /** Aborted when the caller goes away: the block stops with it. */
  signal?: AbortSignal;
}

const TIMED_OUT = Symbol("timed out");

/**
 * Validates `input` for `block` (422 naming each failing field), runs it, and returns its outputs by pin name.
 * A block that yields on its `error` pin, throws or exceeds the time cap answers 400 with the reason.
 */
export async function runBlock(
  block: Block,
  input: Record<string, unknown>,
  options: RunBlockOptions,
): Promise<Record<string, unknown[]>> {
  const checked = validateInput(block, input);
  if (!checked.ok) {
    const first = checked.errors[0];
    throw ApiError.validation(
      `Invalid input for ${block.name}${first ? `: ${first.field}: ${first.message}` : ""}`,
      checked.errors.map((e) => ({ field: `body.${e.field}`, message: e.message, location: "body" })),
    );
  }

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(TIMED_OUT), options.timeoutMs);
  const onCallerGone = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onCallerGone, { once: true });
  const aborted = new Promise<never>((_, reject) =>
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }),
  );
  aborted.catch(() => {});

  const context = standaloneContext({ userId: options.userId, signal: controller.signal, http: options.http });

  const outputs: Record<string, unknown[]> = {};
  let generator: AsyncGenerator<BlockOutput, void, unknown> | undefined;
  try {
    generator = block.run(checked.value as never, context);
    for (;;) {
      const step = await Promise.race([generator.next(), aborted]);
      if (step.done) break;
      const [name, value] = step.value;
      if (name === "error")
        throw ApiError.badRequest(`${block.name} failed: ${String(value)}`, { error: String(value) });
      const pin = outputs[name];
      if (pin) pin.push(value);
      else outputs[name] = [value];
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (controller.signal.reason === TIMED_OUT) {
      throw ApiError.badRequest(`${block.name} exceeded the ${options.timeoutMs / 1000}s execution time limit`, {
        timeout_seconds: options.timeoutMs / 1000,
      });
    }
    const message = err instanceof Error ? err.message || err.name : String(err);
    throw ApiError.badRequest(`${block.name} failed: ${message}`, { error: message });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onCallerGone);
    if (!controller.signal.aborted) controller.abort();
    generator?.return(undefined).catch(() => {});
  }
  return outputs;
}
