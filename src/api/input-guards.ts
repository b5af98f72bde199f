// Request input that would otherwise reach code or the database as a 500: JSON nested too deep, strings with
// unpaired UTF-16 surrogates (PostgreSQL's jsonb refuses them), and numbers in paths and query strings that are
// not finite or beyond what JavaScript counts exactly (`?page=1e309`, `/versions/99999999999999999999`).
// Numbers the database cannot hold (a version above 2^31) are answered 400 by the error handler.
import type { FastifyInstance } from "fastify";
import { ApiError } from "../core/errors.js";

/** Deepest nesting of arrays and objects a JSON body may have; agent exports stay far below it. */
export const MAX_JSON_DEPTH = 128;

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** The UTF-16 unit of a `\uXXXX` escape whose backslash is at `at`, or -1. */
function escapedUnit(text: string, at: number): number {
  if (text.charCodeAt(at) !== 0x5c || text.charCodeAt(at + 1) !== 0x75) return -1;
  for (let k = at + 2; k < at + 6; k++) if (!isHex(text.charCodeAt(k))) return -1;
  return Number.parseInt(text.slice(at + 2, at + 6), 16);
}

/**
 * One pass over a JSON text: how deep arrays and objects nest (brackets inside strings do not count; the scan
 * stops once past `limit`), and whether a string escapes an unpaired UTF-16 surrogate (`"\ud800"`). A lone
 * surrogate can only come from an escape: the body is decoded from UTF-8, which cannot encode one.
 */
export function scanJson(text: string, limit = Number.POSITIVE_INFINITY): { depth: number; loneSurrogate: boolean } {
  let depth = 0;
  let max = 0;
  let loneSurrogate = false;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x22) inString = false;
      else if (c === 0x5c) {
        const unit = escapedUnit(text, i);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const next = escapedUnit(text, i + 6);
          if (next >= 0xdc00 && next <= 0xdfff) i += 6;
          else loneSurrogate = true;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) loneSurrogate = true;
        i += unit >= 0 ? 5 : 1; // past the escape (the loop adds one)
      }
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) break;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return { depth: max, loneSurrogate };
}

// In "u" mode a surrogate pair is one code point, so this matches only a surrogate without its partner.
const LONE_SURROGATE = /\p{Cs}/u;

/** The path (e.g. `body.graph.name`) of the first string or key holding an unpaired surrogate, if any. */
export function loneSurrogatePath(value: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[value, "body"]];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) return path;
    } else if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) stack.push([item, `${path}.${i}`]);
    } else if (v && typeof v === "object") {
      for (const [key, item] of Object.entries(v)) {
        if (LONE_SURROGATE.test(key)) return path;
        stack.push([item, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}

/** JSON bodies: Fastify's own parser (prototype-poisoning checks included) behind a depth and a surrogate check. */
function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    const scan = scanJson(text, MAX_JSON_DEPTH);
    // Before parsing: nesting this deep would only exhaust the stack of whatever walks it next.
    if (scan.depth > MAX_JSON_DEPTH) {
      done(ApiError.badRequest(`The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`), undefined);
      return;
    }
    parse(request, text, (err, value) => {
      if (err) return done(err, undefined);
      // PostgreSQL's jsonb refuses them; the walk only names the field of one the scan found.
      if (scan.loneSurrogate) {
        const at = loneSurrogatePath(value) ?? "body";
        return done(
          ApiError.badRequest(`${at} contains an unpaired UTF-16 surrogate (\\ud800-\\udfff), which is not text`, {
            field: at,
          }),
          undefined,
        );
      }
      done(null, value);
    });
  });
}

/**
 * Numbers of the path and query string after Ajv coerced them: Ajv turns `1e309` into Infinity and lets it pass
 * even a `maximum`, and `99999999999999999999` into an inexact 1e20. Both are refused here, naming the field.
 */
function unsafeNumberField(part: unknown, location: string): string | undefined {
  if (!part || typeof part !== "object") return undefined;
  for (const [name, value] of Object.entries(part)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== "number") continue;
      if (!Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v))) return `${location}.${name}`;
    }
  }
  return undefined;
}

/** Registers the guards; call before any route is registered. */
export function registerInputGuards(app: FastifyInstance): void {
  registerJsonParser(app);
  app.addHook("preHandler", async (request) => {
    const field = unsafeNumberField(request.params, "params") ?? unsafeNumberField(request.query, "querystring");
    if (field) {
      const message = `must be a finite number, and an integer no larger than ${Number.MAX_SAFE_INTEGER}`;
      throw ApiError.validation(`Invalid request: ${field} ${message}`, [
        { field, message, location: field.split(".")[0] },
      ]);
    }
  });
}
