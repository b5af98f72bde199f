// `agentry secrets rotate` on a data dir: secrets sealed under the old ENCRYPTION_KEY (stored credentials, a run's,
// a preset's and a schedule's credential inputs) are re-sealed under the new one; a server given the old key as
// retired reads them before, and a server with only the new key reads them after. No secret is printed.
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyId } from "../src/auth/secret-box.js";
import { registerBlock } from "../src/blocks/index.js";
import { openCredentials, sealCredentials } from "../src/engine/credentials.js";
import { SEALED_COLUMNS } from "../src/infra/db/repos/sealed.js";
import { agentPresets, graphExecutions, schedules } from "../src/infra/db/schema.js";
import { askExample } from "./fixtures/example-block.js";
import { budget, killChildren, run } from "./helpers/cli.js";
import { client, signUp } from "./helpers/client.js";
import { type ProviderServer, startProviderServer } from "./helpers/provider-server.js";
import { create, ended, graph, INPUT, OUTPUT, waitFor } from "./helpers/runs.js";
import { freshDataDir, startTestServer, type TestServer } from "./helpers/server.js";

registerBlock(askExample);

const OLD = randomBytes(32).toString("hex");
const NEW = randomBytes(32).toString("hex");
const SECRET = "sk-rotate-me-4f1c9e2a7b";
const PRESET_SECRET = "sk-preset-inline-8d2b";

describe("agentry secrets rotate", () => {
  const dataDir = freshDataDir();
  let provider: ProviderServer;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    provider = await startProviderServer((req) => ({ json: { answer: `42 (${req.json?.question})`, usage: {} } }));
  });
  afterAll(async () => {
    await killChildren();
    for (const s of servers) await s.close().catch(() => {});
    await provider?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const boot = async (encryptionKey: string, retired: string[] = []) => {
    const t = await startTestServer({
      dataDir,
      encryptionKey,
      encryptionKeysRetired: retired,
      outgoingHttp: { providerBaseUrls: { example: provider.url } },
    });
    servers.push(t);
    return t;
  };
  const stop = async (t: TestServer) => {
    await t.close();
    servers.splice(servers.indexOf(t), 1);
  };

  /** Runs the graph with the stored credential; the loopback provider must receive its key. */
  async function ask(t: TestServer, token: string, g: { id: string; version: number }, meta: object) {
    // The same user on this server (the JWT secret is the data dir's).
    const user = { api: client(t.url, { authorization: `Bearer ${token}` }) };
    const res = await user.api.post(`/api/graphs/${g.id}/execute/${g.version}`, {
      inputs: { question: "life" },
      credentials_inputs: { example_api_key_credentials: meta },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = await waitFor(user.api, res.body.id, ended);
    expect(done.status, JSON.stringify(done.node_executions)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["42 (life)"] });
    expect(provider.received.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
  }

  it(
    "re-seals every secret under the new key; the server reads them with the retired key before and the new one after",
    async () => {
      // Under the old key: a stored credential, a run's credential inputs, a preset's and a schedule's.
      const first = await boot(OLD);
      const alice = await signUp(first.url);
      const stored = await alice.api.post("/api/integrations/example/credentials", {
        type: "api_key",
        title: "to rotate",
        api_key: SECRET,
      });
      expect(stored.status, JSON.stringify(stored.body)).toBe(201);
      const meta = { id: stored.body.id, provider: "example", type: "api_key", title: "to rotate" };
      const g = await create(
        alice.api,
        graph(
          "ask",
          [
            { id: "in", block_id: INPUT, input_default: { name: "question" } },
            { id: "ask", block_id: askExample.id },
            { id: "out", block_id: OUTPUT, input_default: { name: "answer" } },
          ],
          [
            ["in", "result", "ask", "question"],
            ["ask", "answer", "out", "value"],
          ],
        ),
      );
      await ask(first, alice.tokens.access_token, g, meta);
      const inline = { example_api_key_credentials: { ...meta, id: randomUUID(), api_key: PRESET_SECRET } };
      const { db } = first.server.platform.database;
      const oldKey = Buffer.from(OLD, "hex");
      const presetId = randomUUID();
      const scheduleId = randomUUID();
      await db.insert(agentPresets).values({
        id: presetId,
        userId: alice.user.id,
        graphId: g.id,
        graphVersion: g.version,
        name: "preset",
        credentials: sealCredentials(oldKey, inline),
      });
      await db.insert(schedules).values({
        id: scheduleId,
        userId: alice.user.id,
        graphId: g.id,
        graphVersion: g.version,
        name: "schedule",
        cron: "0 0 1 1 *",
        credentials: sealCredentials(oldKey, inline),
      });
      await stop(first);

      // The new key with the old one retired: everything still reads.
      const during = await boot(NEW, [OLD]);
      await ask(during, alice.tokens.access_token, g, meta);
      await stop(during);

      const rotated = await run(["secrets", "rotate", "--data-dir", dataDir], {
        ENCRYPTION_KEY: NEW,
        ENCRYPTION_KEYS_RETIRED: OLD,
      });
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(rotated.stdout).toContain(`under key ${keyId(Buffer.from(NEW, "hex"))}`);
      expect(rotated.stdout).toMatch(/integration credentials: 1\b/);
      expect(rotated.stdout).toMatch(/run credential inputs: [1-9]/);
      expect(rotated.stdout).toMatch(/preset credentials: 1\b/);
      expect(rotated.stdout).toMatch(/schedule credentials: 1\b/);
      const printed = rotated.stdout + rotated.stderr;
      for (const secret of [SECRET, PRESET_SECRET, OLD, NEW]) expect(printed).not.toContain(secret);

      // Only the new key now: the stored credential, the preset's and the schedule's inputs all open with it.
      const after = await boot(NEW);
      await ask(after, alice.tokens.access_token, g, meta);
      const newKey = Buffer.from(NEW, "hex");
      const adb = after.server.platform.database.db;
      for (const column of SEALED_COLUMNS) {
        const rows = (await adb.select({ value: column.value }).from(column.table)) as Array<{ value: unknown }>;
        for (const { value } of rows) {
          const kid = (value as { kid?: string } | null)?.kid;
          if (kid) expect(kid, column.name).toBe(keyId(newKey));
        }
      }
      const [preset] = await adb.select().from(agentPresets).where(eq(agentPresets.id, presetId));
      const [schedule] = await adb.select().from(schedules).where(eq(schedules.id, scheduleId));
      expect(openCredentials(newKey, preset?.credentials)).toEqual(inline);
      expect(openCredentials(newKey, schedule?.credentials)).toEqual(inline);
      expect(preset?.credentials).toMatchObject({ meta: { example_api_key_credentials: { provider: "example" } } });
      const runs = await adb.select().from(graphExecutions).where(eq(graphExecutions.graphId, g.id));
      expect(runs.length).toBeGreaterThanOrEqual(3);
      expect(JSON.stringify(runs)).not.toContain(SECRET);

      // Rotating again finds nothing left to do.
      await stop(after);
      const again = await run(["secrets", "rotate", "--data-dir", dataDir], { ENCRYPTION_KEY: NEW });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain("Re-encrypted 0 secrets");
    },
    budget(2) + 120_000,
  );

  it(
    "without ENCRYPTION_KEY: generates a new key into the data dir once everything is re-sealed under it",
    async () => {
      const dir = freshDataDir();
      try {
        const boot2 = async () => {
          const t = await startTestServer({
            dataDir: dir,
            outgoingHttp: { providerBaseUrls: { example: provider.url } },
          });
          servers.push(t);
          return t;
        };
        const first = await boot2();
        const bobby = await signUp(first.url);
        const stored = await bobby.api.post("/api/integrations/example/credentials", {
          type: "api_key",
          api_key: SECRET,
        });
        expect(stored.status).toBe(201);
        const meta = { id: stored.body.id, provider: "example", type: "api_key", title: null };
        const g = await create(
          bobby.api,
          graph(
            "ask",
            [
              { id: "in", block_id: INPUT, input_default: { name: "question" } },
              { id: "ask", block_id: askExample.id },
              { id: "out", block_id: OUTPUT, input_default: { name: "answer" } },
            ],
            [
              ["in", "result", "ask", "question"],
              ["ask", "answer", "out", "value"],
            ],
          ),
        );
        await stop(first);
        const file = `${dir}/secrets.json`;
        const before = JSON.parse(fs.readFileSync(file, "utf8"));
        const rotated = await run(["secrets", "rotate", "--data-dir", dir], { ENCRYPTION_KEY: "" });
        expect(rotated.code, rotated.stderr).toBe(0);
        expect(rotated.stdout).toMatch(/integration credentials: 1\b/);
        const after = JSON.parse(fs.readFileSync(file, "utf8"));
        expect(after.encryptionKey).not.toBe(before.encryptionKey);
        expect(after.jwtSecret).toBe(before.jwtSecret);
        expect(rotated.stdout + rotated.stderr).not.toContain(after.encryptionKey);
        expect(rotated.stdout + rotated.stderr).not.toContain(before.encryptionKey);
        const second = await boot2();
        await ask(second, bobby.tokens.access_token, g, meta);
        await stop(second);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    budget(1) + 60_000,
  );
});
