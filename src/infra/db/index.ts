// Opens the database (embedded PGlite in the data dir, or PostgreSQL from DATABASE_URL) and applies migrations.
// Each driver is imported only when it is used: a process on PostgreSQL never loads PGlite, and the reverse.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "./schema.js";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  ping(): Promise<void>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

/** What opening the database is doing, for a terminal that would otherwise show nothing for seconds. */
export type OpenProgress = (step: string) => void;

export interface OpenOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Told about the slow steps only (creating the embedded database, applying migrations); silent otherwise. */
  onProgress?: OpenProgress;
}

/**
 * PGlite's shared buffers. Postgres' 128 MB default is the largest part of an embedded process's memory (the pages
 * are touched as the WebAssembly heap grows) and slows its start; the operating system's page cache still holds the
 * data files, so 32 MB costs a single-user database little.
 */
const PGLITE_SHARED_BUFFERS = "32MB";

/** The journal's newest migration, and how many it lists after `appliedAt` (all of them when nothing was applied). */
function pendingMigrations(appliedAt: number | undefined): number {
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, "meta", "_journal.json"), "utf8")) as {
    entries: Array<{ when: number }>;
  };
  return journal.entries.filter((entry) => appliedAt === undefined || entry.when > appliedAt).length;
}

/**
 * When the newest applied migration is the journal's newest, there is nothing to do: one query instead of the
 * migrator's schema and table creation, file hashing and empty transaction on every start. Otherwise (or when the
 * migrations table is not there yet) the migrator runs as usual.
 */
async function migrateIfNeeded(
  lastApplied: () => Promise<number | undefined>,
  migrate: () => Promise<void>,
  onProgress: OpenProgress | undefined,
): Promise<void> {
  let appliedAt: number | undefined;
  try {
    appliedAt = await lastApplied();
  } catch {
    appliedAt = undefined;
  }
  const pending = pendingMigrations(appliedAt);
  if (pending === 0) return;
  onProgress?.(`applying ${pending} database migration${pending > 1 ? "s" : ""}…`);
  await migrate();
}

const LAST_APPLIED = "select max(created_at) as at from drizzle.__drizzle_migrations";
const toMillis = (at: unknown) => (at === null || at === undefined ? undefined : Number(at));

/** Thrown when another live process holds the embedded data directory. */
export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
}

/** What the lock file records: enough to tell our holder from an unrelated process that reuses its PID later. */
interface LockOwner {
  pid: number;
  /** Start time of the process (clock ticks since boot, /proc/<pid>/stat field 22), where /proc exists. */
  start_time?: string;
  /** Random per process, so a lock can be told apart from another one with the same pid. */
  instance: string;
}

const INSTANCE = randomUUID();

/**
 * Two PGlite instances on one directory silently lose writes (see DESIGN.md), so the embedded mode takes an exclusive
 * lock file. A lock left by a process that is gone is taken over, and so is one whose PID now belongs to another
 * process (after a crash and a reboot, PIDs are reused): a different start time, or a process that is not Node.
 */
function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, "agentry.lock");
  const mine: LockOwner = { pid: process.pid, start_time: processStartTime(process.pid), instance: INSTANCE };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockPath, "wx");
      fs.writeSync(fd, JSON.stringify(mine));
      fs.closeSync(fd);
      return () => {
        // Only our own lock: another process may have taken over a lock it judged stale.
        if (readLock(lockPath)?.instance === INSTANCE) fs.rmSync(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = readLock(lockPath);
      if (owner && owner.pid !== process.pid && holdsLock(owner)) {
        throw new DataDirLockedError(
          `The data directory ${dataDir} is in use by another Agentry process (pid ${owner.pid}). ` +
            "Stop it first, or use another --data-dir; to run several processes, use PostgreSQL (DATABASE_URL).",
        );
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new DataDirLockedError(`Could not lock the data directory ${dataDir}`);
}

/** The lock's owner; a lock from before owners were recorded holds just the pid. */
function readLock(lockPath: string): LockOwner | undefined {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, "utf8").trim();
  } catch {
    return undefined;
  }
  if (/^\d+$/.test(text)) return { pid: Number(text), instance: "" };
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (typeof parsed.pid === "number" && Number.isInteger(parsed.pid) && parsed.pid > 0) {
      return {
        pid: parsed.pid,
        start_time: typeof parsed.start_time === "string" ? parsed.start_time : undefined,
        instance: typeof parsed.instance === "string" ? parsed.instance : "",
      };
    }
  } catch {}
  return undefined;
}

/** Whether the recorded process is still the one that took the lock. */
function holdsLock(owner: LockOwner): boolean {
  if (!isAlive(owner.pid)) return false;
  const started = processStartTime(owner.pid);
  if (owner.start_time !== undefined && started !== undefined) return owner.start_time === started;
  // No start time to compare (an old lock file, or no /proc): judge by what the process is.
  const command = processCommand(owner.pid);
  return command === undefined || /\b(node|agentry|tsx)\b/.test(command);
}

/** Field 22 of /proc/<pid>/stat; the name (field 2) may hold spaces and parentheses, so count from its end. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function processCommand(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.onProgress);
  return openPglite(options.dataDir, options.onProgress);
}

async function openPglite(dataDir: string, onProgress: OpenProgress | undefined): Promise<Database> {
  const unlock = lockDataDir(dataDir);
  try {
    const pgdata = path.join(dataDir, "pgdata");
    if (!fs.existsSync(path.join(pgdata, "PG_VERSION"))) {
      onProgress?.(`creating the embedded database in ${dataDir} (first start only)…`);
    }
    const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([
      import("@electric-sql/pglite"),
      import("drizzle-orm/pglite"),
      import("drizzle-orm/pglite/migrator"),
    ]);
    const client = await PGlite.create(pgdata, {
      startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
    });
    const db = drizzle(client, { schema }) as unknown as Db;
    await migrateIfNeeded(
      async () => toMillis((await client.query<{ at: unknown }>(LAST_APPLIED)).rows[0]?.at),
      () => migrate(db as never, { migrationsFolder }),
      onProgress,
    );
    return {
      db,
      kind: "pglite",
      ping: async () => {
        await client.query("select 1");
      },
      close: async () => {
        await client.close();
        unlock();
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

async function openPostgres(url: string, onProgress: OpenProgress | undefined): Promise<Database> {
  const [{ default: pg }, { drizzle }, { migrate }] = await Promise.all([
    import("pg"),
    import("drizzle-orm/node-postgres"),
    import("drizzle-orm/node-postgres/migrator"),
  ]);
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on("error", () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });
  const db = drizzle(pool, { schema }) as unknown as Db;
  // Several processes may start at once: one migrates while the others wait on the advisory lock.
  const conn = await pool.connect();
  try {
    await conn.query("select pg_advisory_lock(804006)");
    await migrateIfNeeded(
      async () => toMillis((await conn.query<{ at: unknown }>(LAST_APPLIED)).rows[0]?.at),
      () => migrate(drizzle(conn, { schema }), { migrationsFolder }),
      onProgress,
    );
  } finally {
    await conn.query("select pg_advisory_unlock(804006)").catch(() => {});
    conn.release();
  }
  return {
    db,
    kind: "postgres",
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => pool.end(),
  };
}
