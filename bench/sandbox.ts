// The template/regex sandbox: per-call latency of a trivial template and pattern inline and through the worker pool
// (p50/p99, µs), the first call's pool start, and the longest event-loop stall while regex bombs run: in the pool,
// and with the vm timeout the blocks used before. Prints one JSON line. Usage: npx tsx bench/sandbox.ts [-- CALLS]
import { monitorEventLoopDelay } from "node:perf_hooks";
import vm from "node:vm";
import { pyFindAllUnbounded } from "../src/blocks/pyregex.js";
import { closeSandbox, pyFindAll, renderTemplate } from "../src/blocks/sandbox/index.js";
import { renderTemplate as renderSync } from "../src/blocks/template.js";

const calls = Number(process.argv[2] ?? 2000);
const BOMB = { pattern: "(a+)+$", text: `${"a".repeat(40)}b` };

async function latency(fn: () => unknown): Promise<{ p50_us: number; p99_us: number }> {
  for (let i = 0; i < 50; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round((samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0) * 1000);
  return { p50_us: at(0.5), p99_us: at(0.99) };
}

/** The longest the event loop was held (ms) while `work` ran. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // The histogram's first interval is not recorded: let it start before the work does.
  await new Promise((resolve) => setTimeout(resolve, 20));
  await work();
  // A stall is recorded when the loop turns again.
  await new Promise((resolve) => setTimeout(resolve, 20));
  histogram.disable();
  return Math.round(histogram.max / 1e6);
}

const values = { name: "Alice", n: 3 };
const t0 = performance.now();
await pyFindAll("b$", "ab");
const poolStartMs = Math.round(performance.now() - t0);

const result = {
  calls,
  pool_start_ms: poolStartMs,
  // "Hello, {{ name }}!" renders inline; `sort` is work an inline render declines, so that one goes to a worker.
  template_inline: await latency(() => renderTemplate("Hello, {{ name }}!", values)),
  template_sync_reference: await latency(() => renderSync("{{ name|list|sort|join }}", values)),
  template_pooled: await latency(() => renderTemplate("{{ name|list|sort|join }}", values)),
  regex_sync_reference: await latency(() => pyFindAllUnbounded("l+", "Hello, World!")),
  regex_pooled: await latency(() => pyFindAll("l+", "Hello, World!")),
  // Three bombs on two threads: two run, one waits; each is stopped after the 2 s limit.
  bomb_stall_ms: await longestStall(() =>
    Promise.all([1, 2, 3].map(() => pyFindAll(BOMB.pattern, BOMB.text).catch((e: Error) => e.message))),
  ),
  vm_timeout_stall_ms: await longestStall(async () => {
    const context = vm.createContext({ text: BOMB.text });
    try {
      vm.runInContext(`/${BOMB.pattern}/u.exec(text)`, context, { timeout: 2000 });
    } catch {}
  }),
};
console.log(JSON.stringify(result));
await closeSandbox();
