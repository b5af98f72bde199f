// What a failed query means (the database is down, a value was bad, or a fault) and how it may be logged: a
// driver error carries the SQL and its parameters (user data, secrets), so logs get a summary without them.
import { DrizzleQueryError } from "drizzle-orm";
import pino from "pino";

/** The fields of a PostgreSQL error (node-postgres and PGlite) that identify it without quoting any value. */
interface PgError extends Error {
  code: string;
  severity?: string;
  table?: string;
  column?: string;
  constraint?: string;
  routine?: string;
}

const isPgError = (e: unknown): e is PgError =>
  e instanceof Error &&
  typeof (e as PgError).code === "string" &&
  /^[0-9A-Z]{5}$/.test((e as PgError).code) &&
  typeof (e as PgError).severity === "string";

function* causes(err: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  for (let e = err; e && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    yield e;
  }
}

/** The innermost error under a query wrapper: the driver's own error (PostgreSQL's, or a socket's). */
function rootCause(err: unknown): unknown {
  let last = err;
  for (const e of causes(err)) last = e;
  return last;
}

/** Whether `err` is, or wraps, a failed query (whose message or fields may hold query parameters). */
export function isDatabaseError(err: unknown): boolean {
  for (const e of causes(err)) {
    if (e instanceof DrizzleQueryError || isPgError(e)) return true;
    if (e && typeof e === "object" && "query" in e && "params" in e) return true;
  }
  return false;
}

/** The PostgreSQL SQLSTATE of a failed query, if the database answered one. */
export function databaseErrorCode(err: unknown): string | undefined {
  for (const e of causes(err)) if (isPgError(e)) return e.code;
  return undefined;
}

const UNAVAILABLE_ERRNO = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);
const UNAVAILABLE_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|not queryable|cannot use a pool after calling end|pglite is clos/i;

/**
 * True when the database cannot be reached or has ended the session: refused or lost connections, an
 * administrator or crash shutdown (57P0x), a connection error class (08), too many connections or no resources
 * (53), a database that no longer exists or accepts connections (3D000, FATAL at connect), or a closed PGlite.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const e of causes(err)) {
    if (isPgError(e)) {
      const code = e.code;
      if (code.startsWith("08") || code.startsWith("53") || code.startsWith("57P") || code === "3D000") return true;
      if (e.severity === "FATAL" || e.severity === "PANIC") return true;
      continue;
    }
    if (!(e instanceof Error)) continue;
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno && UNAVAILABLE_ERRNO.has(errno)) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    if (UNAVAILABLE_MESSAGE.test(e.message) && !(e instanceof DrizzleQueryError)) return true;
  }
  return false;
}

/** SQLSTATEs caused by a value the client sent (out of range, malformed, too long, unstorable characters). */
const BAD_VALUE_CODES = new Set(["22001", "22003", "22007", "22008", "22021", "22P02", "22P05", "2201X", "2201W"]);

export function isBadValueError(err: unknown): boolean {
  const code = databaseErrorCode(err);
  return code !== undefined && BAD_VALUE_CODES.has(code);
}

/** A message with every quoted part (values, and identifiers, which are logged on their own) replaced. */
const withoutQuoted = (message: string) => message.replace(/"(?:[^"\\]|\\.)*"/g, '"…"').slice(0, 300);

/** The stack frames only: a stack's first line repeats the message, which for a failed query lists its parameters. */
const framesOf = (stack: string | undefined) =>
  (stack ?? "")
    .split("\n")
    .filter((line) => line.trimStart().startsWith("at "))
    .join("\n");

/**
 * A failed query as it may be logged: its SQLSTATE (or socket error code), severity, table/column/constraint and
 * the database's message with quoted values removed; never the SQL, its parameters or the error's `detail`.
 */
export function databaseErrorSummary(err: unknown): Record<string, unknown> {
  const pg = [...causes(err)].find(isPgError);
  const root = rootCause(err) as Partial<PgError> & { message?: string };
  const source = pg ?? root;
  const message = source instanceof Error && !(source instanceof DrizzleQueryError) ? source.message : "query failed";
  const summary: Record<string, unknown> = {
    type: "DatabaseError",
    code: source?.code ?? "unknown",
    message: withoutQuoted(message),
  };
  if (pg) {
    for (const field of ["severity", "table", "column", "constraint", "routine"] as const) {
      if (typeof pg[field] === "string") summary[field] = pg[field];
    }
  }
  summary.stack = framesOf((err as Error | undefined)?.stack);
  return summary;
}

/** A failed query's message as it may be shown or stored: the database's words with quoted values removed. */
export function databaseErrorMessage(err: unknown): string {
  return databaseErrorSummary(err).message as string;
}

/** The logger's `err` serializer: a failed query as its summary, any other error as pino serializes it. */
export function errorForLog(err: unknown): unknown {
  if (isDatabaseError(err)) return databaseErrorSummary(err);
  return err instanceof Error ? pino.stdSerializers.err(err) : err;
}
