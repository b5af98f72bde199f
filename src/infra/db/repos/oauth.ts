// OAuth storage: registered applications, authorization codes, access/refresh tokens (hashed), external identities.
//
// A grant is what one authorization code started: the code's id is the grant id, and every token issued from it or
// from its rotated refresh tokens carries it in `grant_id`, so a replayed code or a reused refresh token can revoke
// exactly its own family.
import { and, count, desc, eq, gt, ilike, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../index.js";
import {
  oauthAccessTokens,
  oauthApplications,
  oauthAuthorizationCodes,
  oauthLoginStates,
  oauthRefreshTokens,
  userIdentities,
  users,
} from "../schema.js";

export type OAuthAppRow = typeof oauthApplications.$inferSelect;
export type OAuthCodeRow = typeof oauthAuthorizationCodes.$inferSelect;
export type OAuthTokenRow = typeof oauthAccessTokens.$inferSelect;
export type UserIdentityRow = typeof userIdentities.$inferSelect;
export type LoginStateRow = typeof oauthLoginStates.$inferSelect;
type UserRow = typeof users.$inferSelect;

// ---- applications ----

export async function insertApplication(db: Db, values: typeof oauthApplications.$inferInsert): Promise<OAuthAppRow> {
  const [row] = await db.insert(oauthApplications).values(values).returning();
  return row as OAuthAppRow;
}

export async function findApplicationById(db: Db, id: string): Promise<OAuthAppRow | undefined> {
  const [row] = await db.select().from(oauthApplications).where(eq(oauthApplications.id, id)).limit(1);
  return row;
}

export async function findApplicationByClientId(db: Db, clientId: string): Promise<OAuthAppRow | undefined> {
  const [row] = await db.select().from(oauthApplications).where(eq(oauthApplications.clientId, clientId)).limit(1);
  return row;
}

export async function listApplications(db: Db, page: number, pageSize: number, search?: string) {
  const pattern = search ? `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
  const where = pattern
    ? or(
        ilike(oauthApplications.name, pattern),
        ilike(oauthApplications.clientId, pattern),
        ilike(oauthApplications.description, pattern),
      )
    : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(oauthApplications)
      .where(where)
      .orderBy(desc(oauthApplications.createdAt), desc(oauthApplications.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(oauthApplications).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function updateApplication(
  db: Db,
  id: string,
  values: Partial<
    Pick<
      OAuthAppRow,
      "name" | "description" | "logoUrl" | "redirectUris" | "scopes" | "grantTypes" | "isActive" | "clientSecretHash"
    >
  >,
): Promise<OAuthAppRow | undefined> {
  const [row] = await db
    .update(oauthApplications)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(oauthApplications.id, id))
    .returning();
  return row;
}

/** Deletes the application; its codes and tokens go with it (foreign keys cascade). */
export async function deleteApplication(db: Db, id: string): Promise<boolean> {
  const rows = await db
    .delete(oauthApplications)
    .where(eq(oauthApplications.id, id))
    .returning({ id: oauthApplications.id });
  return rows.length > 0;
}

// ---- authorization codes ----

export async function insertAuthorizationCode(db: Db, values: typeof oauthAuthorizationCodes.$inferInsert) {
  await db.insert(oauthAuthorizationCodes).values(values);
}

export async function findAuthorizationCodeByHash(db: Db, codeHash: string): Promise<OAuthCodeRow | undefined> {
  const [row] = await db
    .select()
    .from(oauthAuthorizationCodes)
    .where(eq(oauthAuthorizationCodes.codeHash, codeHash))
    .limit(1);
  return row;
}

/** Marks a code used; false when another request used it first (one winner under concurrency). */
export async function markAuthorizationCodeUsed(db: Db, id: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(oauthAuthorizationCodes)
    .set({ usedAt: at })
    .where(and(eq(oauthAuthorizationCodes.id, id), isNull(oauthAuthorizationCodes.usedAt)))
    .returning({ id: oauthAuthorizationCodes.id });
  return rows.length === 1;
}

export async function deleteUnusedCodes(db: Db, userId: string, applicationId: string): Promise<void> {
  await db
    .delete(oauthAuthorizationCodes)
    .where(
      and(
        eq(oauthAuthorizationCodes.userId, userId),
        eq(oauthAuthorizationCodes.applicationId, applicationId),
        isNull(oauthAuthorizationCodes.usedAt),
      ),
    );
}

// ---- tokens ----

type TokenInsert = typeof oauthAccessTokens.$inferInsert;

export async function insertTokenPair(db: Db, access: TokenInsert, refresh: TokenInsert | undefined): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(oauthAccessTokens).values(access);
    if (refresh) await tx.insert(oauthRefreshTokens).values(refresh);
  });
}

/** The authentication hot path: one indexed lookup by hash, with the token's application and user. */
export function prepareAccessTokenLookup(db: Db) {
  const query = db
    .select({ token: oauthAccessTokens, app: oauthApplications, user: users })
    .from(oauthAccessTokens)
    .innerJoin(oauthApplications, eq(oauthApplications.id, oauthAccessTokens.applicationId))
    .innerJoin(users, eq(users.id, oauthAccessTokens.userId))
    .where(eq(oauthAccessTokens.tokenHash, sql.placeholder("hash")))
    .limit(1)
    .prepare("oauth_access_token_by_hash");
  return async (hash: string): Promise<{ token: OAuthTokenRow; app: OAuthAppRow; user: UserRow } | undefined> =>
    (await query.execute({ hash }))[0];
}

/**
 * A token with its application, by id (re-checking a long-lived connection's access token) or by hash (what a
 * client presents).
 */
export async function findToken(
  db: Db,
  kind: "access" | "refresh",
  by: { id: string } | { hash: string },
): Promise<{ token: OAuthTokenRow; app: OAuthAppRow } | undefined> {
  const table = kind === "access" ? oauthAccessTokens : oauthRefreshTokens;
  const [row] = await db
    .select({ token: table, app: oauthApplications })
    .from(table)
    .innerJoin(oauthApplications, eq(oauthApplications.id, table.applicationId))
    .where("id" in by ? eq(table.id, by.id) : eq(table.tokenHash, by.hash))
    .limit(1);
  return row;
}

/**
 * Revokes one live refresh token of the application (rotation): returns it, or undefined when it was unknown,
 * another application's, already revoked or expired; one winner under concurrency.
 */
export async function claimRefreshToken(
  db: Db,
  hash: string,
  applicationId: string,
  at: Date,
): Promise<OAuthTokenRow | undefined> {
  const [row] = await db
    .update(oauthRefreshTokens)
    .set({ revokedAt: at })
    .where(
      and(
        eq(oauthRefreshTokens.tokenHash, hash),
        eq(oauthRefreshTokens.applicationId, applicationId),
        isNull(oauthRefreshTokens.revokedAt),
        gt(oauthRefreshTokens.expiresAt, at),
      ),
    )
    .returning();
  return row;
}

/** Revokes one token of the application by its hash (RFC 7009); the revoked row, if it was live. */
export async function revokeTokenByHash(
  db: Db,
  kind: "access" | "refresh",
  hash: string,
  applicationId: string,
): Promise<OAuthTokenRow | undefined> {
  const table = kind === "access" ? oauthAccessTokens : oauthRefreshTokens;
  const [row] = await db
    .update(table)
    .set({ revokedAt: new Date() })
    .where(and(eq(table.tokenHash, hash), eq(table.applicationId, applicationId), isNull(table.revokedAt)))
    .returning();
  return row;
}

/** Revokes every live token of one grant (the family an authorization code started). */
export async function revokeGrant(db: Db, userId: string, applicationId: string, grantId: string): Promise<void> {
  const now = new Date();
  await db.transaction(async (tx) => {
    for (const table of [oauthAccessTokens, oauthRefreshTokens]) {
      await tx
        .update(table)
        .set({ revokedAt: now })
        .where(
          and(
            eq(table.userId, userId),
            eq(table.applicationId, applicationId),
            isNull(table.revokedAt),
            eq(table.grantId, grantId),
          ),
        );
    }
  });
}

/** Revokes every live token a user granted an application; the number revoked. */
export async function revokeUserAppTokens(db: Db, userId: string, applicationId: string): Promise<number> {
  const now = new Date();
  return db.transaction(async (tx) => {
    let revoked = 0;
    for (const table of [oauthAccessTokens, oauthRefreshTokens]) {
      const rows = await tx
        .update(table)
        .set({ revokedAt: now })
        .where(and(eq(table.userId, userId), eq(table.applicationId, applicationId), isNull(table.revokedAt)))
        .returning({ id: table.id });
      revoked += rows.length;
    }
    return revoked;
  });
}

/** A user's live tokens (access and refresh) with their applications: what the user has authorized. */
export async function listLiveTokensOfUser(db: Db, userId: string, now: Date) {
  const live = (table: typeof oauthAccessTokens) =>
    db
      .select({ token: table, app: oauthApplications })
      .from(table)
      .innerJoin(oauthApplications, eq(oauthApplications.id, table.applicationId))
      .where(and(eq(table.userId, userId), isNull(table.revokedAt), gt(table.expiresAt, now)))
      .limit(10_000);
  const [access, refresh] = await Promise.all([live(oauthAccessTokens), live(oauthRefreshTokens)]);
  return [...access, ...refresh];
}

// ---- external identities and logins in progress ----

export async function findIdentity(db: Db, provider: string, subject: string): Promise<UserIdentityRow | undefined> {
  const [row] = await db
    .select()
    .from(userIdentities)
    .where(and(eq(userIdentities.provider, provider), eq(userIdentities.subject, subject)))
    .limit(1);
  return row;
}

export async function insertIdentity(db: Db, values: typeof userIdentities.$inferInsert): Promise<void> {
  await db.insert(userIdentities).values(values).onConflictDoNothing();
}

export async function insertLoginState(db: Db, values: typeof oauthLoginStates.$inferInsert): Promise<void> {
  await db.insert(oauthLoginStates).values(values);
}

/** Takes (reads and deletes) a login state, so a callback can be completed once. */
export async function takeLoginState(db: Db, state: string): Promise<LoginStateRow | undefined> {
  const [row] = await db.delete(oauthLoginStates).where(eq(oauthLoginStates.state, state)).returning();
  return row;
}

export async function deleteExpiredLoginStates(db: Db, now: Date): Promise<void> {
  await db.delete(oauthLoginStates).where(lt(oauthLoginStates.expiresAt, now));
}

/** A user created from an identity provider that did not verify the email is marked so. */
export async function setEmailVerified(db: Db, userId: string, verified: boolean): Promise<void> {
  await db.update(users).set({ emailVerified: verified, updatedAt: new Date() }).where(eq(users.id, userId));
}

/** The oldest admin: the default owner of applications registered from the command line. */
export async function firstAdmin(db: Db): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.role, "admin")).orderBy(users.createdAt).limit(1);
  return row;
}
