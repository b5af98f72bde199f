// The block-storage contract (ctx.storage behind Persist/RetrieveInformationBlock): the same assertions on embedded
// PGlite and a real PostgreSQL.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newId } from "../../src/auth/tokens.js";
import type { Database } from "../../src/infra/db/index.js";
import * as users from "../../src/infra/db/repos/users.js";
import { blockKeyValueData, users as usersTable } from "../../src/infra/db/schema.js";
import { SqlUserStorage } from "../../src/infra/db/stores/block-storage.js";

export function blockStorageContract(open: () => Promise<{ database: Database; cleanup(): Promise<void> }>) {
  let database: Database;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ database, cleanup } = await open());
  });
  afterAll(async () => {
    await database?.close();
    await cleanup?.();
  });

  const user = async () =>
    (await users.insertUser(database.db, { id: newId(), email: `kv-${newId()}@example.com` }))?.id as string;

  it("keeps one value per user and key, replaced by a later write, and never another user's", async () => {
    const storage = new SqlUserStorage(database.db);
    const [ada, bob] = [await user(), await user()];
    expect(await storage.get(ada, "global#color")).toBeUndefined();
    await storage.set(ada, "global#color", { theme: "dark", tags: ["a", 1, null] }, "exec-1");
    expect(await storage.get(ada, "global#color")).toEqual({ theme: "dark", tags: ["a", 1, null] });
    expect(await storage.get(bob, "global#color")).toBeUndefined();
    await storage.set(ada, "global#color", "plain", "exec-2");
    expect(await storage.get(ada, "global#color")).toBe("plain");
    const rows = await database.db.select().from(blockKeyValueData).where(eq(blockKeyValueData.userId, ada));
    expect(rows).toHaveLength(1);
    expect(rows[0].agentNodeExecutionId).toBe("exec-2");
    // A stored null reads as "no value", as AutoGPT's RetrieveInformationBlock then answers its default.
    await storage.set(ada, "agent#g#k", null, "exec-3");
    expect(await storage.get(ada, "agent#g#k")).toBeUndefined();
  });

  it("goes with its user", async () => {
    const storage = new SqlUserStorage(database.db);
    const ada = await user();
    await storage.set(ada, "global#x", 1, "exec-1");
    await database.db.delete(usersTable).where(eq(usersTable.id, ada));
    expect(await database.db.select().from(blockKeyValueData).where(eq(blockKeyValueData.userId, ada))).toEqual([]);
  });
}
