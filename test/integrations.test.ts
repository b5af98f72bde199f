// AutoGPT's /api/integrations credential routes over the credentials store, and the engine handing a stored
// credential to a block: the secret is encrypted at rest, answered only as metadata, and reaches only the provider.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerBlock } from "../src/blocks/index.js";
import { integrationCredentials } from "../src/infra/db/schema.js";
import { askExample } from "./fixtures/example-block.js";
import { fitsIn } from "./helpers/autogpt-schemas.js";
import { createKey, signUp } from "./helpers/client.js";
import { create, ended, graph, INPUT, OUTPUT, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { storedRows, watch } from "./helpers/watch.js";

const SECRET = "sk-stored-3b9e1c7d5a0f4e2b";

const expectFits = fitsIn(["v0.6.44"]);

registerBlock(askExample);

describe("integrations: the credentials store", () => {
  let provider: http.Server;
  const seen: Array<string | undefined> = [];
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    provider = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push(req.headers.authorization);
        const { question } = JSON.parse(body);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ answer: `42 (${question})`, usage: { input_tokens: 1, output_tokens: 1 } }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const port = (provider.address() as AddressInfo).port;
    t = await startTestServer({
      outgoingHttp: { providerBaseUrls: { example: `http://127.0.0.1:${port}` } },
      httpAllowList: [`127.0.0.1:${port}`],
    });
    alice = await signUp(t.url);
    bob = await signUp(t.url);
  });
  afterAll(async () => {
    provider?.closeAllConnections();
    await new Promise((resolve) => provider?.close(resolve));
    await t?.close();
  });

  async function store(title = "My Example key") {
    const res = await alice.api.post("/api/integrations/example/credentials", {
      provider: "example",
      type: "api_key",
      title,
      api_key: SECRET,
      expires_at: null,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  }

  it("stores an API key, lists and reads it as metadata only, encrypted at rest, and deletes it", async () => {
    const created = await store();
    expectFits(created, "/api/integrations/{provider}/credentials", "post", 201);
    expect(created).toMatchObject({ provider: "example", type: "api_key", title: "My Example key" });
    expect(JSON.stringify(created)).not.toContain(SECRET);

    const all = await alice.api.get("/api/integrations/credentials");
    const ofProvider = await alice.api.get("/api/integrations/example/credentials");
    const one = await alice.api.get(`/api/integrations/example/credentials/${created.id}`);
    expect(all.status).toBe(200);
    expectFits(all.body, "/api/integrations/credentials", "get", 200);
    expectFits(ofProvider.body, "/api/integrations/{provider}/credentials", "get", 200);
    expectFits(one.body, "/api/integrations/{provider}/credentials/{cred_id}", "get", 200);
    expect(all.body).toContainEqual({
      id: created.id,
      provider: "example",
      type: "api_key",
      title: "My Example key",
      scopes: null,
      username: null,
      host: null,
    });
    expect(ofProvider.body.map((c: { id: string }) => c.id)).toContain(created.id);
    expect(one.body).toMatchObject({ id: created.id, type: "api_key", api_key: "**********" });
    for (const res of [all, ofProvider, one]) expect(JSON.stringify(res.body)).not.toContain(SECRET);

    // On disk: sealed (AES-256-GCM) under the instance key, the key nowhere in plain text.
    const { db } = t.server.platform.database;
    const [row] = await db.select().from(integrationCredentials).where(eq(integrationCredentials.id, created.id));
    expect(row?.userId).toBe(alice.user.id);
    expect(row?.secret).toMatchObject({ v: 1, kid: row?.keyId });
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expect(JSON.stringify(row)).not.toContain(Buffer.from(SECRET).toString("base64"));

    // Another user sees none of it.
    expect((await bob.api.get("/api/integrations/credentials")).body).toEqual([]);
    expect((await bob.api.get(`/api/integrations/example/credentials/${created.id}`)).status).toBe(404);
    expect((await bob.api.delete(`/api/integrations/example/credentials/${created.id}`)).status).toBe(404);

    const deleted = await alice.api.delete(`/api/integrations/example/credentials/${created.id}`);
    expect(deleted.status).toBe(200);
    expectFits(deleted.body, "/api/integrations/{provider}/credentials/{cred_id}", "delete", 200);
    expect(deleted.body).toEqual({ deleted: true, revoked: null });
    expect((await alice.api.get(`/api/integrations/example/credentials/${created.id}`)).status).toBe(404);
    expect((await alice.api.delete(`/api/integrations/example/credentials/${created.id}`)).status).toBe(404);
  });

  it("stores user_password and host_scoped credentials, their secrets masked", async () => {
    const up = await alice.api.post("/api/integrations/example/credentials", {
      type: "user_password",
      username: "alice",
      password: "hunter2-pass",
    });
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    expectFits(up.body, "/api/integrations/{provider}/credentials", "post", 201);
    const hs = await alice.api.post("/api/integrations/example/credentials", {
      type: "host_scoped",
      title: "Headers",
      host: "api.example.com",
      headers: { "x-api-key": "header-secret-91" },
    });
    expect(hs.status, JSON.stringify(hs.body)).toBe(201);
    const one = await alice.api.get(`/api/integrations/example/credentials/${hs.body.id}`);
    expectFits(one.body, "/api/integrations/{provider}/credentials/{cred_id}", "get", 200);
    expect(one.body).toMatchObject({ host: "api.example.com", headers: { "x-api-key": "**********" } });
    const list = await alice.api.get("/api/integrations/example/credentials");
    expect(list.body).toContainEqual(expect.objectContaining({ id: up.body.id, username: "alice" }));
    const text = JSON.stringify([up.body, hs.body, one.body, list.body]);
    expect(text).not.toContain("hunter2-pass");
    expect(text).not.toContain("header-secret-91");
  });

  it("answers 422 for a bad body, 404 for an unknown provider or a credential of another provider", async () => {
    for (const body of [
      { type: "api_key" },
      { type: "api_key", api_key: { key: "x" } },
      { type: "api_key", api_key: "" },
      { type: "password", api_key: "x" },
      { api_key: "x" },
      { type: "user_password", username: "u" },
    ]) {
      const res = await alice.api.post("/api/integrations/example/credentials", body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    const unknown = await alice.api.post("/api/integrations/nowhere/credentials", { type: "api_key", api_key: "x" });
    expect(unknown.status).toBe(404);
    const created = await store();
    expect((await alice.api.get(`/api/integrations/other/credentials/${created.id}`)).status).toBe(404);
    expect((await alice.api.get("/api/integrations/example/credentials/unknown-id")).status).toBe(404);
  });

  it("a credential stored through External API v1 is the same store: listed by all three APIs, deleted by either", async () => {
    const manager = await createKey(t.url, alice.api, [
      "MANAGE_INTEGRATIONS",
      "READ_INTEGRATIONS",
      "DELETE_INTEGRATIONS",
    ]);
    const created = await manager.api.post("/external-api/v1/integrations/example/credentials", {
      type: "api_key",
      api_key: SECRET,
      title: "From v1",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toEqual({ id: created.body.id, provider: "example", type: "api_key", title: "From v1" });
    const v1 = await manager.api.get("/external-api/v1/integrations/example/credentials");
    expect(v1.body).toContainEqual(expect.objectContaining({ id: created.body.id, title: "From v1" }));
    const v2 = await manager.api.get("/external-api/v2/integrations/credentials?provider=example");
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect(v2.body.items).toContainEqual(
      expect.objectContaining({ id: created.body.id, provider: "example", type: "api_key", title: "From v1" }),
    );
    const mine = await alice.api.get("/api/integrations/example/credentials");
    expect(mine.body.map((c: { id: string }) => c.id)).toContain(created.body.id);
    expect(JSON.stringify([created.body, v1.body, v2.body, mine.body])).not.toContain(SECRET);
    const gone = await alice.api.delete(`/api/integrations/example/credentials/${created.body.id}`);
    expect(gone.status).toBe(200);
    const after = await manager.api.get("/external-api/v1/integrations/credentials");
    expect(after.body.map((c: { id: string }) => c.id)).not.toContain(created.body.id);
  });

  it("the seed's paths: GET, POST /api/integrations and DELETE /api/integrations/{id}, on the same store", async () => {
    const added = await alice.api.post("/api/integrations", {
      provider: "example",
      type: "api_key",
      api_key: SECRET,
      title: "Seed",
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ provider: "example", type: "api_key", title: "Seed", api_key: "**********" });
    expect((await alice.api.post("/api/integrations", { type: "api_key", api_key: "x" })).status).toBe(422);
    const list = await alice.api.get("/api/integrations");
    expect(list.status).toBe(200);
    expectFits(list.body, "/api/integrations/credentials", "get", 200);
    expect(list.body.map((c: { id: string }) => c.id)).toContain(added.body.id);
    expect(JSON.stringify(list.body)).not.toContain(SECRET);
    expect((await bob.api.delete(`/api/integrations/${added.body.id}`)).status).toBe(404);
    const removed = await alice.api.delete(`/api/integrations/${added.body.id}`);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ deleted: true, revoked: null });
    expect((await alice.api.delete(`/api/integrations/${added.body.id}`)).status).toBe(404);
  });

  it("lists the providers the blocks take credentials for", async () => {
    const providers = await alice.api.get("/api/integrations/providers");
    expectFits(providers.body, "/api/integrations/providers", "get", 200);
    expect(providers.body).toContain("example");
    const names = await alice.api.get("/api/integrations/providers/names");
    expectFits(names.body, "/api/integrations/providers/names", "get", 200);
    expect(names.body.providers).toContain("example");
    const constants = await alice.api.get("/api/integrations/providers/constants");
    expectFits(constants.body, "/api/integrations/providers/constants", "get", 200);
    expect(constants.body.PROVIDER_NAMES).toMatchObject({ EXAMPLE: "example" });
    // No operator (environment) credentials are configured in this server.
    const system = await alice.api.get("/api/integrations/providers/system");
    expectFits(system.body, "/api/integrations/providers/system", "get", 200);
    expect(system.body).toEqual([]);
  });

  it("hands a stored credential a node selects to its block, and stores and sends only its meta", async () => {
    const created = await store("For runs");
    const g = await create(
      alice.api,
      graph(
        "ask stored",
        [
          { id: "in", block_id: INPUT, input_default: { name: "question" } },
          {
            id: "ask",
            block_id: askExample.id,
            input_default: { credentials: { id: created.id, provider: "example", type: "api_key", title: "For runs" } },
          },
          { id: "out", block_id: OUTPUT, input_default: { name: "answer" } },
        ],
        [
          ["in", "result", "ask", "question"],
          ["ask", "answer", "out", "value"],
        ],
      ),
    );
    const { messages, close } = await watch(t, alice.tokens.access_token, g.id);

    const res = await alice.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: { question: "life" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = await waitFor(alice.api, res.body.id, ended);
    expect(done.status, JSON.stringify(done.node_executions)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["42 (life)"] });
    expect(seen.at(-1)).toBe(`Bearer ${SECRET}`);

    const { nodes, runs } = await storedRows(t, res.body.id);
    const ask = nodes.find((n) => n.blockId === askExample.id);
    expect(ask?.inputData).toMatchObject({ credentials: { id: created.id, provider: "example", type: "api_key" } });
    await new Promise((r) => setTimeout(r, 100)); // the final events in flight
    close();
    expect(messages.some((m) => m.includes('"COMPLETED"'))).toBe(true);
    const everything = [JSON.stringify(nodes), JSON.stringify(runs), JSON.stringify(done), ...messages, ...t.logs];
    expect(everything.join("\n")).toContain(created.id);
    expect(everything.join("\n")).not.toContain(SECRET);

    // The run's credentials_inputs may name the stored credential instead (AutoGPT's usual way): same result.
    const plain = await create(
      alice.api,
      graph(
        "ask by run input",
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
    const byInput = await alice.api.post(`/api/graphs/${plain.id}/execute/${plain.version}`, {
      inputs: { question: "again" },
      credentials_inputs: {
        example_api_key_credentials: { id: created.id, provider: "example", type: "api_key", title: "For runs" },
      },
    });
    expect(byInput.status, JSON.stringify(byInput.body)).toBe(200);
    const again = await waitFor(alice.api, byInput.body.id, ended);
    expect(again.status, JSON.stringify(again.node_executions)).toBe("COMPLETED");
    expect(again.outputs).toEqual({ answer: ["42 (again)"] });
    expect(seen.at(-1)).toBe(`Bearer ${SECRET}`);
    expect(JSON.stringify(again)).not.toContain(SECRET);

    // Bob cannot run with Alice's credential by naming its id.
    const bobs = await create(
      bob.api,
      graph(
        "borrow",
        [
          {
            id: "ask",
            block_id: askExample.id,
            input_default: {
              question: "x",
              credentials: { id: created.id, provider: "example", type: "api_key", title: null },
            },
          },
        ],
        [],
      ),
    );
    const before = seen.length;
    const borrowed = await bob.api.post(`/api/graphs/${bobs.id}/execute/${bobs.version}`, { inputs: {} });
    expect(borrowed.status, JSON.stringify(borrowed.body)).toBe(200);
    const failed = await waitFor(bob.api, borrowed.body.id, ended);
    expect(failed.status).toBe("FAILED");
    expect(seen.length).toBe(before);
  });
});
