// Idempotency-Key on write routes that start work: a repeat with the same key and body returns the first response
// and starts nothing new; the same key with another body is refused (422).
import { createHash } from "node:crypto";
import { and, eq, lt } from "drizzle-orm";
import type { FastifyInstance, onSendAsyncHookHandler, preHandlerAsyncHookHandler } from "fastify";
import { ApiError } from "../core/errors.js";
import type { Db } from "../infra/db/index.js";
import { idempotencyKeys } from "../infra/db/schema.js";
import { principalOf } from "./auth-hooks.js";

const HEADER = "idempotency-key";
const TTL_MS = 24 * 3600 * 1000;

declare module "fastify" {
  interface FastifyRequest {
    idempotency?: { userId: string; key: string };
  }
}

function fingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method} ${path}\n`)
    .update(JSON.stringify(body ?? null))
    .digest("hex");
}

/**
 * Route options that make a route idempotent: spread them in with the route's own options,
 * e.g. `{ ...scoped([...], schema), ...idempotent(app) }`. Keys are per user, kept 24 hours.
 */
export function idempotent(app: FastifyInstance): {
  preHandler: preHandlerAsyncHookHandler;
  onSend: onSendAsyncHookHandler;
} {
  const db: Db = app.platform.database.db;
  return {
    async preHandler(request, reply) {
      const raw = request.headers[HEADER];
      if (raw === undefined) return;
      const key = Array.isArray(raw) ? raw[0] : raw;
      if (!key || key.length > 255) throw ApiError.badRequest("Idempotency-Key must be 1 to 255 characters");
      const userId = principalOf(request).user.id;
      const path = request.url.split("?")[0] as string;
      const hash = fingerprint(request.method, path, request.body);
      const inserted = await db
        .insert(idempotencyKeys)
        .values({ userId, key, method: request.method, path, requestHash: hash })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      if (inserted.length === 1) {
        request.idempotency = { userId, key };
        if (Math.random() < 0.01) {
          db.delete(idempotencyKeys)
            .where(lt(idempotencyKeys.createdAt, new Date(Date.now() - TTL_MS)))
            .catch(() => {});
        }
        return;
      }
      const [first] = await db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
      if (!first) throw ApiError.conflict("The request with this Idempotency-Key is being retried; try again");
      if (first.requestHash !== hash) {
        throw ApiError.validation("This Idempotency-Key was already used with a different request", [
          { field: "headers.idempotency-key", message: "reused with a different method, path or body" },
        ]);
      }
      if (first.status === null) throw ApiError.conflict("A request with this Idempotency-Key is still in progress");
      reply.header("idempotent-replayed", "true");
      return reply.status(first.status).send(first.responseBody);
    },
    async onSend(request, reply, payload) {
      const pending = request.idempotency;
      if (!pending || reply.getHeader("idempotent-replayed")) return payload;
      const where = and(eq(idempotencyKeys.userId, pending.userId), eq(idempotencyKeys.key, pending.key));
      if (reply.statusCode >= 500) {
        // The work may not have happened: let a retry with the same key try again.
        await db.delete(idempotencyKeys).where(where);
        return payload;
      }
      let body: unknown = null;
      try {
        body = typeof payload === "string" ? JSON.parse(payload) : null;
      } catch {}
      await db.update(idempotencyKeys).set({ status: reply.statusCode, responseBody: body }).where(where);
      return payload;
    },
  };
}
