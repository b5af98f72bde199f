// Start-up of the compiled server (`node dist/cli/index.js serve`, what `npm start` runs): milliseconds from spawn
// to the port answering anything and to `/health` answering 200, on a fresh data dir (PGlite created and migrated)
// and on an existing one, and the idle RSS after ready, embedded and on PostgreSQL (a throwaway database, dropped
// after). Prints one JSON line. Usage: npm run build && npx tsx bench/startup.ts [-- RUNS]   (medians of RUNS, default 3)
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createThrowawayDatabase } from "../test/helpers/postgres.js";

const ENTRY = path.resolve("dist/cli/index.js");
const runs = Number(process.argv[2] ?? 3);
const IDLE_MS = 3_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Resident set of a process, in MB, from /proc. */
function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function status(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

interface Start {
  /** First answer of any status on /health (the port is open). */
  listening_ms: number;
  /** `/health` answers 200. */
  ready_ms: number;
  rss_mb?: number;
}

async function start(dataDir: string, env: Record<string, string>, measureRss: boolean): Promise<Start> {
  const port = await freePort();
  const t0 = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [ENTRY, "serve", "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir],
    { env: { ...process.env, LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    let listening: number | undefined;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr}`);
      const code = await status(`http://127.0.0.1:${port}/health`);
      if (code !== undefined) listening ??= performance.now() - t0;
      if (code === 200) break;
      if (performance.now() - t0 > 120_000) throw new Error(`not ready after 120 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const ready = performance.now() - t0;
    let rss: number | undefined;
    if (measureRss) {
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      rss = rssMb(child.pid as number);
    }
    return { listening_ms: Math.round(listening ?? ready), ready_ms: Math.round(ready), rss_mb: rss };
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

function summary(samples: Start[]) {
  return {
    listening_ms: median(samples.map((s) => s.listening_ms)),
    ready_ms: median(samples.map((s) => s.ready_ms)),
    ...(samples[0]?.rss_mb !== undefined ? { idle_rss_mb: median(samples.map((s) => s.rss_mb ?? 0)) } : {}),
  };
}

if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first`);

const fresh: Start[] = [];
const existing: Start[] = [];
const dirs: string[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentry-bench-start-"));
    dirs.push(dataDir);
    fresh.push(await start(dataDir, {}, false));
    existing.push(await start(dataDir, {}, true));
  }
} finally {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}

const postgres: Start[] = [];
const database = await createThrowawayDatabase();
const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentry-bench-start-"));
try {
  // The first start migrates the empty database; the counted ones start on a migrated one.
  await start(pgDir, { DATABASE_URL: database.url }, false);
  for (let i = 0; i < runs; i++) postgres.push(await start(pgDir, { DATABASE_URL: database.url }, true));
} finally {
  await database.drop();
  fs.rmSync(pgDir, { recursive: true, force: true });
}

process.stdout.write(
  `${JSON.stringify({
    runs,
    node: process.version,
    embedded_fresh: summary(fresh),
    embedded_existing: summary(existing),
    postgres_existing: summary(postgres),
  })}\n`,
);
