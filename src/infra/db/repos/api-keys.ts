// API keys: stored as a SHA-256 hash with a visible head and tail; the plain key exists only in the create response.
import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../index.js";
import { apiKeys, users } from "../schema.js";

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ApiKeyStatus = ApiKeyRow["status"];

export async function insertApiKey(db: Db, values: typeof apiKeys.$inferInsert): Promise<ApiKeyRow> {
  const [row] = await db.insert(apiKeys).values(values).returning();
  return row as ApiKeyRow;
}

export async function listApiKeys(db: Db, userId: string): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(desc(apiKeys.createdAt)).limit(1000);
}

export async function findApiKey(db: Db, userId: string, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId)))
    .limit(1);
  return row;
}

export async function updateApiKey(
  db: Db,
  userId: string,
  id: string,
  values: Partial<Pick<ApiKeyRow, "status" | "revokedAt" | "permissions">>,
): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .update(apiKeys)
    .set(values)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId)))
    .returning();
  return row;
}

/** The authentication hot path: one indexed lookup by hash, joined with the key's owner. */
export function prepareActiveKeyLookup(db: Db) {
  const query = db
    .select({ key: apiKeys, user: users })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(eq(apiKeys.hash, sql.placeholder("hash")), eq(apiKeys.status, "ACTIVE")))
    .limit(1)
    .prepare("active_api_key_by_hash");
  return async (hash: string) => (await query.execute({ hash }))[0];
}

export async function touchApiKey(db: Db, id: string, at: Date): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
}
