// A block run outside any graph (POST /api/blocks/{id}/execute, External API v1's /blocks/{id}/execute): the
// credentials pin names one of the caller's stored credentials, which reaches the provider and nothing else.
import { Type } from "@sinclair/typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authHeader, CredentialsField } from "../src/blocks/credentials.js";
import { inputs, outputs } from "../src/blocks/fields.js";
import { registerBlock } from "../src/blocks/index.js";
import { defineBlock } from "../src/blocks/sdk.js";
import { askExample } from "./fixtures/example-block.js";
import { createKey, signUp } from "./helpers/client.js";
import { type ProviderServer, startProviderServer } from "./helpers/provider-server.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const SECRET = "sk-direct-5e8a2c4b9d1f7a3e";
const OPERATOR_KEY = "sk-operator-9c3e7a1b5d2f4e6a";

/** Asks the "openai" provider for who it is talking to: the operator's key serves it when no credential is named. */
const whoami = defineBlock({
  id: "3c5e7a9b-1d2f-4e6a-8b0c-2d4e6f8a0b1c",
  name: "WhoAmITestBlock",
  description: "Reports the key the provider saw (test only).",
  categories: ["BASIC"],
  input: inputs({ credentials: CredentialsField({ providers: ["openai"], types: ["api_key"] }) }),
  output: outputs({ seen: Type.Boolean() }),
  async *run(_input, ctx) {
    if (!ctx.credentials) throw new Error("no credentials");
    const res = await ctx.http
      .forProvider("openai", "https://api.openai.com")
      .request({ url: "/v1/whoami", headers: { authorization: authHeader(ctx.credentials) } });
    yield ["seen", res.ok];
  },
});

registerBlock(askExample);
registerBlock(whoami);

describe("direct block runs with credentials", () => {
  let provider: ProviderServer;
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  let credential: { id: string; provider: string; type: string; title: string };

  beforeAll(async () => {
    provider = await startProviderServer((req) =>
      // A provider that echoes what it was sent: a block yielding it must not hand the key back.
      req.json?.question === "echo"
        ? { json: { answer: `you sent ${req.headers.authorization}`, usage: { input_tokens: 1, output_tokens: 1 } } }
        : { json: { answer: `42 (${req.json?.question})`, usage: { input_tokens: 1, output_tokens: 1 } } },
    );
    t = await startTestServer({
      outgoingHttp: { providerBaseUrls: { example: provider.url } },
      systemCredentials: { openai: { apiKey: OPERATOR_KEY, baseUrl: provider.url } },
    });
    alice = await signUp(t.url);
    bob = await signUp(t.url);
    const res = await alice.api.post("/api/integrations/example/credentials", {
      type: "api_key",
      title: "Direct",
      api_key: SECRET,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    credential = { id: res.body.id, provider: "example", type: "api_key", title: "Direct" };
  });
  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });

  it("runs a block with the caller's stored credential at AutoGPT's path and External API v1's", async () => {
    const internal = await alice.api.post(`/api/blocks/${askExample.id}/execute`, {
      question: "life",
      credentials: credential,
    });
    expect(internal.status, JSON.stringify(internal.body)).toBe(200);
    expect(internal.body).toEqual({ answer: ["42 (life)"] });
    expect(provider.received.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);

    const key = await createKey(t.url, alice.api, ["EXECUTE_BLOCK"]);
    const external = await key.api.post(`/external-api/v1/blocks/${askExample.id}/execute`, {
      question: "again",
      credentials: credential,
    });
    expect(external.status, JSON.stringify(external.body)).toBe(200);
    expect(external.body).toEqual({ answer: ["42 (again)"] });

    const echoed = await alice.api.post(`/api/blocks/${askExample.id}/execute`, {
      question: "echo",
      credentials: credential,
    });
    expect(echoed.body).toEqual({ answer: ["you sent Bearer <redacted>"] });
    expect(JSON.stringify([internal.body, external.body, echoed.body, t.logs])).not.toContain(SECRET);
  });

  it("answers 400 naming another user's credential, 422 for none, and reaches no provider", async () => {
    const before = provider.received.length;
    const theirs = await bob.api.post(`/api/blocks/${askExample.id}/execute`, {
      question: "steal",
      credentials: credential,
    });
    expect(theirs.status, JSON.stringify(theirs.body)).toBe(400);
    expect(JSON.stringify(theirs.body)).toContain(`Credentials ${credential.id} (example, api_key)`);
    const none = await alice.api.post(`/api/blocks/${askExample.id}/execute`, { question: "nothing" });
    expect(none.status, JSON.stringify(none.body)).toBe(422);
    expect(none.body.detail[0].loc).toEqual(["body", "credentials"]);
    expect(provider.received.length).toBe(before);
    const unknown = await alice.api.post("/api/blocks/00000000-0000-0000-0000-000000000000/execute", {});
    expect(unknown.status).toBe(404);
  });

  it("fills an empty credentials pin with the operator's key for its provider", async () => {
    const res = await alice.api.post(`/api/blocks/${whoami.id}/execute`, {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ seen: [true] });
    expect(provider.received.at(-1)?.path).toBe("/v1/whoami");
    expect(provider.received.at(-1)?.headers.authorization).toBe(`Bearer ${OPERATOR_KEY}`);
    expect(JSON.stringify(t.logs)).not.toContain(OPERATOR_KEY);
  });
});
