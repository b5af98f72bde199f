// OAuth2 flow states of integrations: stored when a flow starts, consumed (deleted) by its callback.
import { and, eq, lt } from "drizzle-orm";
import type { Db } from "../index.js";
import { integrationOAuthStates } from "../schema.js";

export type OAuthStateRow = typeof integrationOAuthStates.$inferSelect;

export async function insertOAuthState(db: Db, values: typeof integrationOAuthStates.$inferInsert): Promise<void> {
  // Abandoned flows go when a user starts another one.
  await db
    .delete(integrationOAuthStates)
    .where(and(eq(integrationOAuthStates.userId, values.userId), lt(integrationOAuthStates.expiresAt, new Date())));
  await db.insert(integrationOAuthStates).values(values);
}

/** Deletes and returns the user's state of that hash and provider (expired or not): a state is used once. */
export async function takeOAuthState(
  db: Db,
  userId: string,
  tokenHash: string,
  provider: string,
): Promise<OAuthStateRow | undefined> {
  const [row] = await db
    .delete(integrationOAuthStates)
    .where(
      and(
        eq(integrationOAuthStates.tokenHash, tokenHash),
        eq(integrationOAuthStates.userId, userId),
        eq(integrationOAuthStates.provider, provider),
      ),
    )
    .returning();
  return row;
}
