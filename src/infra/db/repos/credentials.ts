// Integration credentials: one row per stored credential, its secret part sealed (the caller seals and opens it).
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../index.js";
import { integrationCredentials } from "../schema.js";

export type CredentialRow = typeof integrationCredentials.$inferSelect;

export async function insertCredential(
  db: Db,
  values: typeof integrationCredentials.$inferInsert,
): Promise<CredentialRow> {
  const [row] = await db.insert(integrationCredentials).values(values).returning();
  return row as CredentialRow;
}

/** The user's credentials, oldest first (at most 1000). */
export async function listCredentials(db: Db, userId: string): Promise<CredentialRow[]> {
  return db
    .select()
    .from(integrationCredentials)
    .where(eq(integrationCredentials.userId, userId))
    .orderBy(asc(integrationCredentials.createdAt), asc(integrationCredentials.id))
    .limit(1000);
}

export async function findCredential(db: Db, userId: string, id: string): Promise<CredentialRow | undefined> {
  const [row] = await db
    .select()
    .from(integrationCredentials)
    .where(and(eq(integrationCredentials.id, id), eq(integrationCredentials.userId, userId)))
    .limit(1);
  return row;
}

/** Deletes one of the user's credentials; false when the user has none with that id. */
export async function deleteCredential(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(integrationCredentials)
    .where(and(eq(integrationCredentials.id, id), eq(integrationCredentials.userId, userId)))
    .returning({ id: integrationCredentials.id });
  return rows.length > 0;
}

/** Replaces a credential's sealed secret and clear metadata (a token refresh, a key rotation). */
export async function updateCredential(
  db: Db,
  id: string,
  values: Partial<Pick<CredentialRow, "secret" | "keyId" | "expiresAt" | "scopes" | "username">>,
): Promise<void> {
  await db
    .update(integrationCredentials)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(integrationCredentials.id, id));
}
