// Idempotency keys: per user, the first request's fingerprint and, once answered, its status and body.
import { and, eq, lt } from "drizzle-orm";
import type { Db } from "../index.js";
import { idempotencyKeys } from "../schema.js";

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

/** Claims the key for a new request; false when the user already used it. */
export async function claimKey(
  db: Db,
  values: { userId: string; key: string; method: string; path: string; requestHash: string },
): Promise<boolean> {
  const rows = await db
    .insert(idempotencyKeys)
    .values(values)
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  return rows.length === 1;
}

export async function findKey(db: Db, userId: string, key: string): Promise<IdempotencyRow | undefined> {
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
  return row;
}

export async function recordResponse(db: Db, userId: string, key: string, status: number, body: unknown) {
  await db
    .update(idempotencyKeys)
    .set({ status, responseBody: body })
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
}

export async function deleteKey(db: Db, userId: string, key: string): Promise<void> {
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
}

export async function deleteKeysBefore(db: Db, before: Date): Promise<void> {
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, before));
}
