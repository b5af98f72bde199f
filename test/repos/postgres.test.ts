// The repository contract on a real PostgreSQL, and the whole server in PostgreSQL mode.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/infra/db/index.js";
import { client, createKey, signUp } from "../helpers/client.js";
import { createThrowawayDatabase } from "../helpers/postgres.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { repositoryContract } from "./contract.js";

describe("repositories on PostgreSQL", () => {
  repositoryContract(async () => {
    const pg = await createThrowawayDatabase();
    return { database: await openDatabase({ databaseUrl: pg.url, dataDir: "unused" }), cleanup: pg.drop };
  });
});

describe("server on PostgreSQL", () => {
  let pg: Awaited<ReturnType<typeof createThrowawayDatabase>>;
  let t: TestServer;
  beforeAll(async () => {
    pg = await createThrowawayDatabase();
    t = await startTestServer({ databaseUrl: pg.url });
  });
  afterAll(async () => {
    await t?.close();
    await pg?.drop();
  });

  it("migrates, signs up (a user, not an admin, without the setup token), and authenticates keys", async () => {
    expect((await client(t.url).get("/ready")).body).toEqual({ status: "ready", database: "postgres" });
    const u = await signUp(t.url);
    expect(u.user.role).toBe("user");
    const k = await createKey(t.url, u.api, ["IDENTITY"]);
    expect((await k.api.get("/api/auth/user")).body.id).toBe(u.user.id);
  });

  it("lets several processes migrate the same database at once", async () => {
    const others = await Promise.all([1, 2].map(() => openDatabase({ databaseUrl: pg.url, dataDir: "unused" })));
    await Promise.all(others.map((d) => d.ping()));
    await Promise.all(others.map((d) => d.close()));
  });
});
