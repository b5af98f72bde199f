// Runs one block outside any graph (POST /blocks/{id}/execute, the run_block tool): validated input, a time cap,
// the caller's identity and credentials, and every yielded value grouped by output pin, as AutoGPT's
// CompletedBlockOutput.

import { Type } from "@sinclair/typebox";
import type { FastifyReply } from "fastify";
import { standaloneContext } from "../../../blocks/context.js";
import {
  type Credentials,
  credentialsFields,
  metaOf,
  redactSecrets,
  redactSecretsInText,
  secretsOf,
} from "../../../blocks/credentials.js";
import type { Block, BlockOutput } from "../../../blocks/sdk.js";
import { validateInput } from "../../../blocks/validate.js";
import { ApiError } from "../../../core/errors.js";
import {
  CredentialsResolver,
  MissingCredentialsError,
  type RunCredentials,
  resolvePins,
  type StoredCredentials,
  type SystemKeys,
  storedSource,
  systemSource,
} from "../../../engine/credentials.js";
import type { HttpClient } from "../../../infra/http/client.js";

export interface RunBlockOptions {
  userId: string;
  timeoutMs: number;
  http: HttpClient;
  /** Aborted when the caller goes away: the block stops with it. */
  signal?: AbortSignal;
  /** Where the block's credentials come from (the caller's store, then the operator's keys); none if absent. */
  credentials?: Pick<RunCredentials, "metaFor" | "resolve">;
}

/**
 * The credentials of a direct block run: a credentials pin names one of the caller's stored credentials (or a
 * system credential's id), or, left empty, gets the operator's key for its provider when there is one.
 */
export function directRunCredentials(
  platform: { encryptionKey: Buffer; integrations: StoredCredentials; config: { systemCredentials: SystemKeys } },
  userId: string,
): RunCredentials {
  const resolver = new CredentialsResolver(platform.encryptionKey, [
    storedSource(platform.integrations),
    systemSource(platform.config.systemCredentials),
  ]);
  return resolver.forRun({ userId, graphExecId: "", stored: {} });
}

/** The block's credentials by pin, resolved; the input keeps only their meta. A missing one answers 400. */
async function resolveCredentials(
  block: Block,
  input: Record<string, unknown>,
  source: RunBlockOptions["credentials"],
): Promise<Record<string, Credentials>> {
  for (const field of credentialsFields(block.input)) {
    const meta = metaOf(input[field]);
    if (meta) input[field] = meta;
  }
  try {
    return await resolvePins(block, input, async (meta) => source?.resolve(meta));
  } catch (err) {
    if (err instanceof MissingCredentialsError) throw ApiError.badRequest(err.message, { field: err.field });
    throw err;
  }
}

const TIMED_OUT = Symbol("timed out");

/** AutoGPT's CompletedBlockOutput: every value the block yielded, grouped by output pin name. */
export const CompletedBlockOutput = Type.Record(Type.String(), Type.Array(Type.Unknown()), {
  title: "CompletedBlockOutput",
  examples: [{ result: [42] }],
});

/** An AbortSignal that fires if the client disconnects before the answer is sent. */
export function callerGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) controller.abort(new Error("The client disconnected"));
  });
  return controller.signal;
}

/**
 * Validates `input` for `block` (422 naming each failing field), runs it, and returns its outputs by pin name.
 * A block that yields on its `error` pin, throws or exceeds the time cap answers 400 with the reason.
 */
export async function runBlock(
  block: Block,
  input: Record<string, unknown>,
  options: RunBlockOptions,
): Promise<Record<string, unknown[]>> {
  // An empty credentials pin takes the operator's key for its provider, if any, before the input is checked.
  const given = { ...input };
  for (const field of credentialsFields(block.input)) {
    if (metaOf(given[field])) continue;
    const pin = block.input.properties[field] as unknown as Record<string, unknown>;
    const suggested = options.credentials?.metaFor(pin, {});
    if (suggested) given[field] = suggested;
  }
  const checked = validateInput(block, given);
  if (!checked.ok) {
    const first = checked.errors[0];
    throw ApiError.validation(
      `Invalid input for ${block.name}${first ? `: ${first.field}: ${first.message}` : ""}`,
      checked.errors.map((e) => ({ field: `body.${e.field}`, message: e.message, location: "body" })),
    );
  }

  const credentials = await resolveCredentials(block, checked.value, options.credentials);
  const secrets = Object.values(credentials).flatMap(secretsOf);

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(TIMED_OUT), options.timeoutMs);
  const onCallerGone = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onCallerGone, { once: true });
  const aborted = new Promise<never>((_, reject) =>
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }),
  );
  aborted.catch(() => {});

  const fields = Object.keys(credentials);
  const context = standaloneContext({
    userId: options.userId,
    signal: controller.signal,
    http: options.http,
    credentialsByField: {
      ...credentials,
      ...(!credentials.credentials && fields.length === 1 ? { credentials: credentials[fields[0] as string] } : {}),
    } as Record<string, Credentials>,
  });

  const outputs: Record<string, unknown[]> = {};
  let generator: AsyncGenerator<BlockOutput, void, unknown> | undefined;
  try {
    generator = block.run(checked.value as never, context);
    for (;;) {
      const step = await Promise.race([generator.next(), aborted]);
      if (step.done) break;
      const [name, raw] = step.value;
      const value = secrets.length > 0 ? redactSecrets(raw, secrets) : raw;
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
    const message = redactSecretsInText(err instanceof Error ? err.message || err.name : String(err), secrets);
    throw ApiError.badRequest(`${block.name} failed: ${message}`, { error: message });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onCallerGone);
    if (!controller.signal.aborted) controller.abort();
    generator?.return(undefined).catch(() => {});
  }
  return outputs;
}
