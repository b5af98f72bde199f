// Sign-in sessions: a hashed refresh token per session, rotated on every refresh.
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../index.js";
import { authSessions } from "../schema.js";

export type SessionRow = typeof authSessions.$inferSelect;

export async function insertSession(db: Db, values: typeof authSessions.$inferInsert): Promise<void> {
  await db.insert(authSessions).values(values);
}

export async function findSession(db: Db, id: string): Promise<SessionRow | undefined> {
  const [row] = await db.select().from(authSessions).where(eq(authSessions.id, id)).limit(1);
  return row;
}

export async function findSessionByRefreshHash(db: Db, hash: string): Promise<SessionRow | undefined> {
  const [row] = await db.select().from(authSessions).where(eq(authSessions.refreshTokenHash, hash)).limit(1);
  return row;
}

/**
 * Swaps the refresh token of a live session, only if it still holds `oldHash`: two concurrent
 * refreshes with one token cannot both succeed.
 */
export async function rotateRefreshToken(
  db: Db,
  id: string,
  oldHash: string,
  newHash: string,
  expiresAt: Date,
): Promise<boolean> {
  const rows = await db
    .update(authSessions)
    .set({ refreshTokenHash: newHash, expiresAt })
    .where(and(eq(authSessions.id, id), eq(authSessions.refreshTokenHash, oldHash), isNull(authSessions.revokedAt)))
    .returning({ id: authSessions.id });
  return rows.length === 1;
}

export async function revokeSession(db: Db, id: string): Promise<void> {
  await db
    .update(authSessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(authSessions.id, id), isNull(authSessions.revokedAt)));
}
