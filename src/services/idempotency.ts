// Idempotency-Key: a repeat with the same key and request answers the first response and starts nothing new; the
// same key with another request is refused (422). Keys are per user and kept 24 hours.
import { createHash } from "node:crypto";
import { ApiError } from "../core/errors.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/idempotency.js";

const TTL_MS = 24 * 3600 * 1000;

export interface IdempotentRequest {
  userId: string;
  key: string;
  method: string;
  path: string;
  body: unknown;
}

/** What to do with a request: run it (it holds the key now), or answer the first response again. */
export type IdempotencyDecision = { run: true } | { run: false; status: number; body: unknown };

function fingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method} ${path}\n`)
    .update(JSON.stringify(body ?? null))
    .digest("hex");
}

export class IdempotencyService {
  constructor(private readonly deps: { db: Db }) {}

  async begin(request: IdempotentRequest): Promise<IdempotencyDecision> {
    const { db } = this.deps;
    if (!request.key || request.key.length > 255) {
      throw ApiError.badRequest("Idempotency-Key must be 1 to 255 characters");
    }
    const hash = fingerprint(request.method, request.path, request.body);
    const { userId, key, method, path } = request;
    if (await repo.claimKey(db, { userId, key, method, path, requestHash: hash })) {
      // Expired keys are swept now and then, by whichever request happens to claim one.
      if (Math.random() < 0.01) repo.deleteKeysBefore(db, new Date(Date.now() - TTL_MS)).catch(() => {});
      return { run: true };
    }
    const first = await repo.findKey(db, userId, key);
    if (!first) throw ApiError.conflict("The request with this Idempotency-Key is being retried; try again");
    if (first.requestHash !== hash) {
      throw ApiError.validation("This Idempotency-Key was already used with a different request", [
        { field: "headers.idempotency-key", message: "reused with a different method, path or body" },
      ]);
    }
    if (first.status === null) throw ApiError.conflict("A request with this Idempotency-Key is still in progress");
    return { run: false, status: first.status, body: first.responseBody };
  }

  /** Keeps the answer for repeats; a server error frees the key, as the work may not have happened. */
  async finish(userId: string, key: string, status: number, body: unknown): Promise<void> {
    if (status >= 500) await repo.deleteKey(this.deps.db, userId, key);
    else await repo.recordResponse(this.deps.db, userId, key, status, body);
  }
}
