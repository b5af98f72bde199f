// The grant_id backfill: OAuth tokens issued before the column existed carried their grant in their id
// (`<grant id>.<uuid>`); the migration moves it into grant_id, so revoking a grant still reaches them.
import fs from "node:fs";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../src/infra/db/index.js";
import * as oauthRepo from "../src/infra/db/repos/oauth.js";
import { freshDataDir } from "./helpers/server.js";

const backfill = fs.readFileSync(
  new URL("../src/infra/db/migrations/0003_backfill_oauth_grant_id.sql", import.meta.url),
  "utf8",
);

describe("the oauth grant_id migration", () => {
  let dataDir: string;
  let database: Database;

  beforeAll(async () => {
    dataDir = freshDataDir();
    database = await openDatabase({ dataDir });
  });
  afterAll(async () => {
    await database?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("moves the grant encoded in legacy token ids into grant_id, and revoking the grant reaches them", async () => {
    const db = database.db;
    await db.execute(sql`insert into users (id, email) values ('u1', 'legacy@example.com')`);
    await db.execute(sql`insert into oauth_applications (id, name, client_id, client_secret_hash, redirect_uris,
      scopes, grant_types, owner_id) values ('app1', 'Legacy', 'agpt_client_legacy', 'h', '{https://x.example/cb}',
      '{IDENTITY}', '{authorization_code,refresh_token}', 'u1')`);
    // The tables as they were before the column: legacy rows have no grant_id.
    for (const table of ["oauth_access_tokens", "oauth_refresh_tokens"]) {
      await db.execute(sql.raw(`alter table ${table} alter column grant_id drop not null`));
    }
    const future = new Date(Date.now() + 3600_000).toISOString();
    for (const [table, id, hash] of [
      ["oauth_access_tokens", "grant-a.access-1", "ha1"],
      ["oauth_refresh_tokens", "grant-a.refresh-1", "hr1"],
      ["oauth_access_tokens", "grant-b.access-2", "ha2"],
    ] as const) {
      await db.execute(
        sql`insert into ${sql.raw(table)} (id, token_hash, application_id, user_id, scopes, expires_at)
          values (${id}, ${hash}, 'app1', 'u1', '{IDENTITY}', ${future})`,
      );
    }

    for (const statement of backfill.split("--> statement-breakpoint")) await db.execute(sql.raw(statement));

    const rows = await db.execute<{ id: string; grant_id: string }>(
      sql`select id, grant_id from oauth_access_tokens union all select id, grant_id from oauth_refresh_tokens
        order by id`,
    );
    const grants = Object.fromEntries(
      ((rows as { rows?: unknown[] }).rows ?? (rows as unknown as unknown[])).map((r) => {
        const row = r as { id: string; grant_id: string };
        return [row.id, row.grant_id];
      }),
    );
    expect(grants).toEqual({
      "grant-a.access-1": "grant-a",
      "grant-a.refresh-1": "grant-a",
      "grant-b.access-2": "grant-b",
    });

    await oauthRepo.revokeGrant(db, "u1", "app1", "grant-a");
    const live = async (kind: "access" | "refresh", hash: string) =>
      !(await oauthRepo.findToken(db, kind, { hash }))?.token.revokedAt;
    expect(await live("access", "ha1")).toBe(false);
    expect(await live("refresh", "hr1")).toBe(false);
    expect(await live("access", "ha2")).toBe(true);
  });
});
