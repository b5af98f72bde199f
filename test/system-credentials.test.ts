// Operator ("system") credentials: a key the operator sets in the environment (OPENAI_API_KEY, OPENAI_BASE_URL…)
// is used by every user's runs through AutoGPT's fixed system credential ids, and is never shown or stored.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Type } from "@sinclair/typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authHeader, CredentialsField } from "../src/blocks/credentials.js";
import { inputs, outputs } from "../src/blocks/fields.js";
import { registerBlock } from "../src/blocks/index.js";
import { defineBlock } from "../src/blocks/sdk.js";
import { loadConfig } from "../src/config.js";
import { integrationCredentials } from "../src/infra/db/schema.js";
import { signUp } from "./helpers/client.js";
import { create, ended, graph, INPUT, OUTPUT, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { storedRows } from "./helpers/watch.js";

const OPERATOR_KEY = "sk-operator-7c1e9a3f5b2d4e60";
const OPENAI_SYSTEM_ID = "53c25cb8-e3ee-465c-a4d1-e75a4c899c2a";

// A test-only block calling "openai" with its credentials through ctx.http (the operator's base URL).
const askOpenAi = defineBlock({
  id: "9d3f6a2e-1b4c-4e8f-a0d7-5c2b8e1f4a63",
  name: "AskOpenAiTestBlock",
  description: "Test only: asks the OpenAI provider a question.",
  categories: ["AI"],
  input: inputs({
    credentials: CredentialsField({ providers: ["openai"], types: ["api_key"], description: "An OpenAI API key" }),
    question: Type.String({ description: "What to ask" }),
  }),
  output: outputs({ answer: Type.String({ description: "The provider's answer" }) }),
  async *run({ question }, ctx) {
    if (!ctx.credentials) throw new Error("No OpenAI credentials");
    const api = ctx.http.forProvider("openai", "https://api.openai.com/v1");
    const res = await api.request({
      url: "/answer",
      json: { question },
      headers: { authorization: authHeader(ctx.credentials) },
    });
    if (!res.ok) throw new Error(`OpenAI answered ${res.status}`);
    yield ["answer", res.json<{ answer: string }>().answer];
  },
});
registerBlock(askOpenAi);

const askGraph = (credentials?: Record<string, unknown>) =>
  graph(
    "ask openai",
    [
      { id: "in", block_id: INPUT, input_default: { name: "question" } },
      { id: "ask", block_id: askOpenAi.id, input_default: credentials ? { credentials } : {} },
      { id: "out", block_id: OUTPUT, input_default: { name: "answer" } },
    ],
    [
      ["in", "result", "ask", "question"],
      ["ask", "answer", "out", "value"],
    ],
  );
const systemMeta = { id: OPENAI_SYSTEM_ID, provider: "openai", type: "api_key", title: "Use Credits for OpenAI" };

describe("system credentials", () => {
  let provider: http.Server;
  let baseUrl: string;
  const seen: Array<string | undefined> = [];
  let t: TestServer;
  let bare: TestServer;

  beforeAll(async () => {
    provider = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push(req.headers.authorization);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ answer: `42 (${JSON.parse(body).question})` }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    // What OPENAI_API_KEY and OPENAI_BASE_URL set; no allow list: the operator's endpoint is trusted.
    t = await startTestServer({ systemCredentials: { openai: { apiKey: OPERATOR_KEY, baseUrl } } });
    bare = await startTestServer({ outgoingHttp: { providerBaseUrls: { openai: baseUrl } } });
  });
  afterAll(async () => {
    provider?.closeAllConnections();
    await new Promise((resolve) => provider?.close(resolve));
    await t?.close();
    await bare?.close();
  });

  it("reads the operator's keys from the environment; PROVIDER_BASE_URL_<NAME> wins over OPENAI_BASE_URL", () => {
    const config = loadConfig({
      OPENAI_API_KEY: "k1",
      OPENAI_BASE_URL: "http://127.0.0.1:1/v1",
      ANTHROPIC_API_KEY: "k2",
      ANTHROPIC_BASE_URL: "http://127.0.0.1:2",
      PROVIDER_BASE_URL_ANTHROPIC: "http://127.0.0.1:3",
      GROQ_API_KEY: "k3",
      OPEN_ROUTER_API_KEY: "k4",
      OLLAMA_HOST: "http://127.0.0.1:11434",
    });
    expect(config.systemCredentials).toEqual({
      openai: { apiKey: "k1", baseUrl: "http://127.0.0.1:1/v1" },
      anthropic: { apiKey: "k2", baseUrl: "http://127.0.0.1:2" },
      open_router: { apiKey: "k4" },
      groq: { apiKey: "k3" },
      ollama: { baseUrl: "http://127.0.0.1:11434" },
    });
    expect(config.outgoingHttp.providerBaseUrls).toEqual({
      openai: "http://127.0.0.1:1/v1",
      anthropic: "http://127.0.0.1:3",
      ollama: "http://127.0.0.1:11434",
    });
    expect(loadConfig({}).systemCredentials).toEqual({});
    expect(() => loadConfig({ OPENAI_BASE_URL: "file:///etc/passwd" })).toThrow(/http/);
  });

  it("runs a node selecting the system credential with the operator's key, stored and shown nowhere", async () => {
    const alice = await signUp(t.url);
    const system = await alice.api.get("/api/integrations/providers/system");
    expect(system.status).toBe(200);
    expect(system.body).toEqual(["openai"]);

    const g = await create(alice.api, askGraph(systemMeta));
    const res = await alice.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: { question: "life" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = await waitFor(alice.api, res.body.id, ended);
    expect(done.status, JSON.stringify(done.node_executions)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["42 (life)"] });
    expect(seen.at(-1)).toBe(`Bearer ${OPERATOR_KEY}`);

    const { nodes, runs } = await storedRows(t, res.body.id);
    const stored = await t.server.platform.database.db.select().from(integrationCredentials);
    expect(stored).toEqual([]);
    const ask = nodes.find((n) => n.blockId === askOpenAi.id);
    expect(ask?.inputData).toMatchObject({ credentials: { id: OPENAI_SYSTEM_ID, provider: "openai" } });
    const listed = await alice.api.get("/api/integrations/credentials");
    const one = await alice.api.get(`/api/integrations/openai/credentials/${OPENAI_SYSTEM_ID}`);
    const everything = [nodes, runs, done, listed.body, one.body, system.body].map((x) => JSON.stringify(x));
    expect([...everything, ...t.logs].join("\n")).toContain(OPENAI_SYSTEM_ID);
    expect([...everything, ...t.logs].join("\n")).not.toContain(OPERATOR_KEY);

    // Users cannot delete the operator's credentials (AutoGPT: 403).
    const removed = await alice.api.delete(`/api/integrations/openai/credentials/${OPENAI_SYSTEM_ID}`);
    expect(removed.status).toBe(403);
    expect(JSON.stringify(removed.body)).not.toContain(OPERATOR_KEY);
    expect((await alice.api.delete(`/api/integrations/${OPENAI_SYSTEM_ID}`)).status).toBe(403);
  });

  it("fills a node's empty OpenAI credentials with the system credential when the run gives none", async () => {
    const bob = await signUp(t.url);
    const g = await create(bob.api, askGraph());
    const res = await bob.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: { question: "empty" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = await waitFor(bob.api, res.body.id, ended);
    expect(done.status, JSON.stringify(done.node_executions)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["42 (empty)"] });
    expect(seen.at(-1)).toBe(`Bearer ${OPERATOR_KEY}`);
    expect(JSON.stringify(done)).not.toContain(OPERATOR_KEY);
  });

  it("without the operator's key the same run fails, naming the missing credentials", async () => {
    const carol = await signUp(bare.url);
    expect((await carol.api.get("/api/integrations/providers/system")).body).toEqual([]);
    const before = seen.length;
    const g = await create(carol.api, askGraph(systemMeta));
    const res = await carol.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: { question: "life" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = await waitFor(carol.api, res.body.id, ended);
    expect(done.status).toBe("FAILED");
    const ask = done.node_executions.find((n: { block_id: string }) => n.block_id === askOpenAi.id);
    expect(JSON.stringify(ask?.output_data)).toMatch(new RegExp(`${OPENAI_SYSTEM_ID}.*openai.*not available`));
    expect(seen.length).toBe(before);

    // An empty OpenAI pin is refused up front: no operator key, no stored one, none given.
    const empty = await create(carol.api, askGraph());
    const refused = await carol.api.post(`/api/graphs/${empty.id}/execute/${empty.version}`, {
      inputs: { question: "x" },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain("credentials_inputs.openai_api_key_credentials");
  });
});
