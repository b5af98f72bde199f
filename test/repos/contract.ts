// The repository contract: the same assertions run against embedded PGlite and a real PostgreSQL.
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateSecret, newId, sha256 } from "../../src/auth/tokens.js";
import type { Database } from "../../src/infra/db/index.js";
import * as apiKeys from "../../src/infra/db/repos/api-keys.js";
import * as sessions from "../../src/infra/db/repos/sessions.js";
import * as users from "../../src/infra/db/repos/users.js";

export function repositoryContract(open: () => Promise<{ database: Database; cleanup(): Promise<void> }>) {
  let database: Database;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ database, cleanup } = await open());
  });
  afterAll(async () => {
    await database?.close();
    await cleanup?.();
  });

  it("stores users with lower-cased unique emails; the first admin is promoted only while there is none", async () => {
    const db = database.db;
    const a = await users.insertUser(db, { id: newId(), email: "Ada@Example.com", name: "Ada" });
    expect(a?.email).toBe("ada@example.com");
    expect(await users.insertUser(db, { id: newId(), email: "ADA@example.com" })).toBeUndefined();
    expect((await users.findUserByEmail(db, "ada@EXAMPLE.com"))?.id).toBe(a?.id);
    expect(await users.countAdmins(db)).toBe(0);
    expect(await users.promoteIfNoAdmin(db, a?.id as string)).toBe(true);
    expect(await users.countAdmins(db)).toBe(1);
    const b = await users.insertUser(db, { id: newId(), email: "bob@example.com" });
    expect(await users.promoteIfNoAdmin(db, b?.id as string)).toBe(false);
    expect((await users.findUserById(db, b?.id as string))?.role).toBe("user");
    const page = await users.listUsers(db, 1, 1);
    expect(page.total).toBe(2);
    expect(page.rows).toHaveLength(1);
  });

  it("rotates a session's refresh token only once for the same old token", async () => {
    const db = database.db;
    const u = await users.insertUser(db, { id: newId(), email: `s-${newId()}@example.com` });
    const id = newId();
    const first = sha256(generateSecret("r_"));
    await sessions.insertSession(db, {
      id,
      userId: u?.id as string,
      refreshTokenHash: first,
      expiresAt: new Date(Date.now() + 60_000),
    });
    const [x, y] = await Promise.all([
      sessions.rotateRefreshToken(db, id, first, sha256("a"), new Date(Date.now() + 60_000)),
      sessions.rotateRefreshToken(db, id, first, sha256("b"), new Date(Date.now() + 60_000)),
    ]);
    expect([x, y].filter(Boolean)).toHaveLength(1);
    await sessions.revokeSession(db, id);
    expect((await sessions.findSession(db, id))?.revokedAt).toBeInstanceOf(Date);
    expect(await sessions.rotateRefreshToken(db, id, sha256(x ? "a" : "b"), sha256("c"), new Date())).toBe(false);
  });

  it("finds only active API keys by hash, with their owner, through the prepared lookup", async () => {
    const db = database.db;
    const u = await users.insertUser(db, { id: newId(), email: `k-${newId()}@example.com` });
    const plain = generateSecret("agpt_");
    const row = await apiKeys.insertApiKey(db, {
      id: newId(),
      name: "k",
      head: plain.slice(0, 8),
      tail: plain.slice(-8),
      hash: sha256(plain),
      permissions: ["IDENTITY", "READ_GRAPH"],
      userId: u?.id as string,
    });
    const lookup = apiKeys.prepareActiveKeyLookup(db);
    const hit = await lookup(sha256(plain));
    expect(hit?.key.id).toBe(row.id);
    expect(hit?.key.permissions).toEqual(["IDENTITY", "READ_GRAPH"]);
    expect(hit?.user.id).toBe(u?.id);
    expect(await lookup(sha256("something else"))).toBeUndefined();
    await apiKeys.updateApiKey(db, u?.id as string, row.id, { status: "REVOKED", revokedAt: new Date() });
    expect(await lookup(sha256(plain))).toBeUndefined();
    expect(await apiKeys.updateApiKey(db, "another-user", row.id, { status: "ACTIVE" })).toBeUndefined();
    expect((await apiKeys.listApiKeys(db, u?.id as string)).map((k) => k.status)).toEqual(["REVOKED"]);
  });
}
