// Templates and regular expressions are user input: they run in worker threads that are terminated past a time limit.
import type { Piscina } from "piscina";
import { SANDBOX_DEFAULTS, type SandboxConfig } from "../../config.js";
import type { PyFindOptions, PyMatch } from "../pyregex.js";
import {
  type InlinePolicy,
  renderTemplateInline,
  TemplateError,
  TemplateLimitError,
  type TemplateLimits,
} from "../template.js";
import { type SandboxReply, type SandboxTask, STARTED } from "./protocol.js";

/** An evaluation that ran past the time limit; its worker was terminated. */
export class SandboxTimeoutError extends Error {
  override name = "SandboxTimeoutError";
}

/**
 * Small templates on small values render on the caller's thread: a worker round trip costs ~60 µs and the first
 * one starts a thread (~0.7 s), while `{{ name }}` costs a few µs. Such a render stops after 2 ms or at anything
 * it cannot bound (see InlinePolicy) and then runs in a worker. Regular expressions always run in a worker: no
 * cheap test tells a safe pattern from one that backtracks for ever (`(a+)+$` needs only 40 characters).
 */
const INLINE: InlinePolicy & { maxSource: number; maxValues: number } = {
  deadlineMs: 2,
  maxChars: 256 * 1024,
  maxItems: 64 * 1024,
  maxSource: 8 * 1024,
  maxValues: 64 * 1024,
};

let settings: SandboxConfig = SANDBOX_DEFAULTS;
let pool: Piscina<SandboxTask, SandboxReply> | undefined;
/** Tasks handed to the pool, by id: each starts its time limit when its worker says it began. */
const pending = new Map<number, () => void>();
let nextId = 1;

/** Settings for evaluations from now on; the thread count and heap apply when the pool next starts. */
export function configureSandbox(config: SandboxConfig): void {
  settings = config;
}

/** Ends the worker threads; evaluations still running fail. The next evaluation starts a new pool. */
export async function closeSandbox(): Promise<void> {
  const current = pool;
  pool = undefined;
  await current?.destroy();
}

export function templateLimits(): TemplateLimits {
  return {
    maxChars: settings.templateMaxChars,
    maxItems: settings.templateMaxItems,
    maxSteps: settings.templateMaxSteps,
  };
}

/** Renders a Jinja template (see template.ts) without blocking the event loop or exceeding the size budget. */
export async function renderTemplate(
  source: string,
  values: Record<string, unknown>,
  options: { autoescape?: boolean; signal?: AbortSignal } = {},
): Promise<string> {
  const autoescape = options.autoescape ?? false;
  const limits = templateLimits();
  if (source.length <= INLINE.maxSource && fitsWithin(values, INLINE.maxValues)) {
    const text = renderTemplateInline(source, values, { autoescape, limits, inline: INLINE });
    if (text !== undefined) return text;
  }
  const value = await evaluate({ id: 0, kind: "template", source, values, autoescape, limits }, options.signal);
  return value as string;
}

/** Finds the first match (or all, up to `limit`) of a Python pattern in a worker. Throws SyntaxError for a bad one. */
export async function pyFindAll(
  pattern: string,
  text: string,
  options: PyFindOptions & { signal?: AbortSignal } = {},
): Promise<PyMatch[]> {
  const { signal, ...find } = options;
  return (await evaluate({ id: 0, kind: "regex", pattern, text, options: find }, signal)) as PyMatch[];
}

/** Piscina is imported with the first evaluation that needs a worker: a process that never does, never loads it. */
async function getPool(): Promise<Piscina<SandboxTask, SandboxReply>> {
  if (pool) return pool;
  const { Piscina } = await import("piscina");
  if (pool) return pool;
  const created = new Piscina<SandboxTask, SandboxReply>({
    // Compiled, the worker is plain JavaScript; run from TypeScript sources, a bootstrap registers tsx first.
    filename: new URL(import.meta.url.endsWith(".js") ? "./worker.js" : "./worker.mjs", import.meta.url).href,
    name: "evaluate",
    minThreads: 1,
    maxThreads: settings.threads,
    // Keep a second thread a while after a burst: starting one costs most of a second.
    idleTimeout: 30_000,
    resourceLimits: { maxOldGenerationSizeMb: settings.workerHeapMb },
  });
  created.on("message", (message: unknown) => {
    const id = (message as Record<string, unknown> | null)?.[STARTED];
    if (typeof id === "number") pending.get(id)?.();
  });
  // A worker that dies fails its task through run(); nothing else is to be done here.
  created.on("error", () => {});
  pool = created;
  return created;
}

async function evaluate(task: SandboxTask, signal: AbortSignal | undefined): Promise<unknown> {
  const what = task.kind === "template" ? "Template" : "Regular expression";
  const id = nextId++;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  pending.set(id, () => {
    timer ??= setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, settings.timeoutMs);
  });
  try {
    const reply = await (await getPool()).run({ ...task, id }, { signal: controller.signal });
    if (reply.ok) return reply.value;
    throw revive(reply.name, reply.message);
  } catch (error) {
    if (timedOut)
      throw new SandboxTimeoutError(`${what} took longer than ${seconds(settings.timeoutMs)} and was stopped`);
    if ((error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY") {
      throw new TemplateError(`${what} ran out of memory (the sandbox allows ${settings.workerHeapMb} MB)`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
    pending.delete(id);
    signal?.removeEventListener("abort", onAbort);
  }
}

function revive(name: string, message: string): Error {
  if (name === "TemplateLimitError") return new TemplateLimitError(message);
  if (name === "TemplateError") return new TemplateError(message);
  if (name === "SyntaxError") return new SyntaxError(message);
  return new Error(message);
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

/** Whether plain JSON-like values are at most `budget` characters (strings, keys, ~1 per scalar), reading no further. */
function fitsWithin(values: unknown, budget: number): boolean {
  let left = budget;
  const stack: Array<{ v: unknown; depth: number }> = [{ v: values, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: unknown; depth: number };
    if (typeof v === "string") left -= v.length;
    else if (Array.isArray(v)) {
      if (depth > 32) return false;
      for (let i = 0; i < v.length && left >= 0; i++, left--) stack.push({ v: v[i], depth: depth + 1 });
    } else if (typeof v === "object" && v !== null) {
      if (depth > 32) return false;
      for (const k in v) {
        if (left < 0) return false;
        left -= k.length + 1;
        stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1 });
      }
    } else left -= 1;
    if (left < 0) return false;
  }
  return true;
}
