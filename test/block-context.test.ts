// The block context through the real server: credentials decrypted for the block and nowhere else, the shared
// client against a loopback provider, usage into node and run stats, and what the node timeout does not bound.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Type } from "@sinclair/typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsField } from "../src/blocks/credentials.js";
import { inputs, outputs } from "../src/blocks/fields.js";
import { registerBlock } from "../src/blocks/index.js";
import { defineBlock } from "../src/blocks/sdk.js";
import { askExample } from "./fixtures/example-block.js";
import { signUp } from "./helpers/client.js";
import {
  AGENT_EXECUTOR,
  create,
  ended,
  execute,
  graph,
  INPUT,
  OUTPUT,
  parentGraph,
  slowGraph,
  waitFor,
} from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { storedRows, watch } from "./helpers/watch.js";

const SECRET = "sk-example-7c1f9a0e5b2d4e8f";
const SEND_WEB_REQUEST = "6595ae1f-b924-42cb-9a41-551a0611c4b4";

/** A careless block: echoes its key in a value and in its error. The engine must not store either. */
const leaky = defineBlock({
  id: "0d7f3c2e-9b8a-4f6e-8d1c-2b3a4c5d6e7f",
  name: "LeakyTestBlock",
  description: "Yields what it should not (test only).",
  categories: ["BASIC"],
  input: inputs({ credentials: CredentialsField({ providers: ["example"], types: ["api_key"] }) }),
  output: outputs({ echo: Type.String(), meta: Type.Unknown() }),
  async *run(_input, ctx) {
    const credentials = ctx.credentials;
    if (credentials?.type !== "api_key") throw new Error("expected an API key");
    yield ["echo", `the key is ${credentials.api_key}`];
    yield ["meta", credentials];
    throw new Error(`request with ${credentials.api_key} failed`);
  },
});

/** A block with listed costs: 5 credits in `fancy` mode or with a model named, 1 otherwise, 2 more per run of `extra`. */
const priced = defineBlock({
  id: "7a1e6f3b-4c2d-4e8a-9b0c-1d2e3f4a5b6c",
  name: "PricedTestBlock",
  description: "Costs what its mode says (test only).",
  categories: ["BASIC"],
  input: inputs({
    mode: Type.String({ default: "" }),
    options: Type.Object({ model: Type.String() }, { default: { model: "" } }),
    extra: Type.Boolean({ default: false }),
  }),
  output: outputs({ done: Type.Boolean() }),
  costs: [
    { cost_amount: 5, cost_filter: { mode: "fancy" }, cost_type: "run" },
    { cost_amount: 4, cost_filter: { options: { model: "big" } }, cost_type: "run" },
    { cost_amount: 1, cost_filter: { mode: null }, cost_type: "run" },
  ],
  async *run({ extra }, ctx) {
    if (extra) ctx.reportUsage({ cost: 2 });
    yield ["done", true];
  },
});

registerBlock(askExample);
registerBlock(leaky);
registerBlock(priced);

const credentialInput = (extra: Record<string, unknown> = {}) => ({
  example_api_key_credentials: { id: "cred-1", provider: "example", type: "api_key", title: "Mine", ...extra },
});

describe("block context", () => {
  let provider: http.Server;
  let providerUrl: string;
  const seen: Array<{ auth: string | undefined; body: string }> = [];
  let failNext = 0;
  let hangClosed = 0;
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    provider = http.createServer((req, res) => {
      if (req.url === "/hang") {
        req.socket.on("close", () => hangClosed++);
        return;
      }
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push({ auth: req.headers.authorization, body });
        if (failNext > 0) {
          failNext--;
          res.writeHead(503).end("try again");
          return;
        }
        const { question } = JSON.parse(body);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ answer: `42 (${question})`, usage: { input_tokens: 7, output_tokens: 3 } }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const port = (provider.address() as AddressInfo).port;
    providerUrl = `http://127.0.0.1:${port}`;
    t = await startTestServer({
      executor: { nodeTimeoutSeconds: 1 },
      // The operator points the "example" provider at the loopback server; user URLs to it still need the allow-list.
      outgoingHttp: { providerBaseUrls: { example: providerUrl } },
      httpAllowList: [`127.0.0.1:${port}`],
    });
    alice = await signUp(t.url);
  });
  afterAll(async () => {
    provider?.closeAllConnections();
    await new Promise((resolve) => provider?.close(resolve));
    await t?.close();
  });

  const askGraph = () =>
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
    );

  it("runs the SDK README's example block, which is this fixture word for word", () => {
    const readme = fs.readFileSync("src/blocks/README.md", "utf8");
    const example = readme.split("## A complete example")[1]?.split("```ts\n")[1]?.split("```")[0];
    const fixture = fs.readFileSync("test/fixtures/example-block.ts", "utf8").replace(/^(\/\/.*\n)+/, "");
    expect(example).toBe(fixture);
  });

  it("hands the block its decrypted credentials, and never stores, sends or logs them", async () => {
    const g = await create(alice.api, askGraph());
    const events = await watch(t, alice.tokens.access_token, g.id);
    failNext = 1; // the first call answers 503: the block asked for retries
    const res = await alice.api.post(`/api/graphs/${g.id}/execute/${g.version}`, {
      inputs: { question: "life" },
      credentials_inputs: credentialInput({ api_key: SECRET }),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = await waitFor(alice.api, res.body.id, ended);
    expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["42 (life)"] });

    // The block had the key: the provider received it, on the retry too.
    expect(seen.slice(-2).map((s) => s.auth)).toEqual([`Bearer ${SECRET}`, `Bearer ${SECRET}`]);

    // Usage became the node's stats and the run's cost.
    expect(done.stats.cost).toBe(3);
    const { nodes, runs } = await storedRows(t, res.body.id);
    const ask = nodes.find((n) => n.blockId === askExample.id);
    expect(ask?.stats).toMatchObject({
      input_token_count: 7,
      output_token_count: 3,
      request_count: 1,
      extra_cost: 3,
      cost: 3,
    });
    // The node's input holds the credential's meta, chosen from the run's credential inputs.
    expect(ask?.inputData).toMatchObject({
      credentials: { id: "cred-1", provider: "example", type: "api_key", title: "Mine" },
    });

    await new Promise((r) => setTimeout(r, 100)); // the final events in flight
    events.close();
    expect(events.messages.some((m) => m.includes('"COMPLETED"'))).toBe(true);
    const everything = [
      JSON.stringify(nodes),
      JSON.stringify(runs),
      JSON.stringify(done),
      JSON.stringify((await alice.api.get(`/api/graphs/${g.id}/executions/${res.body.id}`)).body),
      ...events.messages,
      ...t.logs,
    ].join("\n");
    expect(everything).toContain("cred-1");
    expect(everything).not.toContain(SECRET);
  });

  it("scrubs a key a block echoes from its stored outputs and error; the credential serializes as its meta", async () => {
    const g = await create(alice.api, graph("leak", [{ id: "leak", block_id: leaky.id }], []));
    const run = await alice.api.post(`/api/graphs/${g.id}/execute/${g.version}`, {
      inputs: {},
      credentials_inputs: credentialInput({ api_key: SECRET }),
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const done = await waitFor(alice.api, run.body.id, ended);
    expect(done.status).toBe("FAILED");
    const node = done.node_executions[0];
    expect(node.output_data.echo).toEqual(["the key is <redacted>"]);
    expect(node.output_data.meta).toEqual([{ id: "cred-1", provider: "example", type: "api_key", title: "Mine" }]);
    expect(node.output_data.error).toEqual(["request with <redacted> failed"]);
    const { nodes } = await storedRows(t, run.body.id);
    expect(JSON.stringify(nodes) + t.logs.join("\n")).not.toContain(SECRET);
  });

  it("fails the node, naming the credential, when no source holds its secret", async () => {
    const g = await create(alice.api, askGraph());
    const run = await alice.api.post(`/api/graphs/${g.id}/execute/${g.version}`, {
      inputs: { question: "x" },
      credentials_inputs: credentialInput(),
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const done = await waitFor(alice.api, run.body.id, ended);
    expect(done.status).toBe("FAILED");
    expect(done.stats.error).toMatch(/Credentials cred-1 \(example, api_key\) for `credentials` are not available/);
  });

  it("does not bound timers by the node timeout (1 s here), only the run's limits", async () => {
    const g = await create(alice.api, slowGraph(2));
    const run = await execute(alice.api, g, { message: "hi" });
    const done = await waitFor(alice.api, run.id, ended);
    expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ done: ["hi"] });
  });

  it("does not bound a sub-agent by its node's timeout; its cost and steps become the node's and the run's", async () => {
    // The child waits 2 s (past the 1 s node timeout), then asks the provider (3 credits) with the parent's credentials.
    const child = await create(
      alice.api,
      graph(
        "slow ask",
        [
          { id: "in", block_id: INPUT, input_default: { name: "message" } },
          { id: "wait", block_id: "d67a9c52-5e4e-11e2-bcfd-0800200c9a71", input_default: { seconds: 2 } },
          { id: "ask", block_id: askExample.id },
          { id: "out", block_id: OUTPUT, input_default: { name: "done" } },
        ],
        [
          ["in", "result", "wait", "input_message"],
          ["wait", "output_message", "ask", "question"],
          ["ask", "answer", "out", "value"],
        ],
      ),
    );
    const parent = await create(alice.api, parentGraph(child, alice.user.id));
    const run = await alice.api.post(`/api/graphs/${parent.id}/execute/${parent.version}`, {
      inputs: { message: "deep" },
      credentials_inputs: credentialInput({ api_key: SECRET }),
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const done = await waitFor(alice.api, run.body.id, ended);
    expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ done: ["42 (deep)"] });
    expect(done.stats.cost).toBe(3);
    const { nodes } = await storedRows(t, run.body.id);
    expect(nodes.find((n) => n.blockId === AGENT_EXECUTOR)?.stats).toMatchObject({
      extra_cost: 3,
      cost: 3,
      extra_steps: 4,
    });
  });

  it("stops a block past the node timeout through ctx.signal: its HTTP request is cut", async () => {
    const g = await create(
      alice.api,
      graph(
        "hang",
        [{ id: "req", block_id: SEND_WEB_REQUEST, input_default: { url: `${providerUrl}/hang`, method: "GET" } }],
        [],
      ),
    );
    const before = hangClosed;
    const run = await execute(alice.api, g, {});
    const done = await waitFor(alice.api, run.id, ended);
    expect(done.status).toBe("FAILED");
    expect(done.node_executions[0].output_data.error).toEqual(["Node execution exceeded 1s wall-clock cap"]);
    const deadline = Date.now() + 5000;
    while (hangClosed === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(hangClosed).toBe(before + 1);
  });

  it("charges a node its block's listed cost for its input, AutoGPT's filter rules, plus any extra it reports", async () => {
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ mode: "fancy" }, 5],
      [{ options: { model: "big" } }, 4],
      [{}, 1], // an empty mode matches the filter's null
      [{ mode: "plain" }, 0], // no listed cost matches
      [{ mode: "fancy", extra: true }, 7],
    ];
    for (const [input, cost] of cases) {
      const g = await create(alice.api, graph("priced", [{ id: "p", block_id: priced.id, input_default: input }], []));
      const run = await execute(alice.api, g, {});
      const done = await waitFor(alice.api, run.id, ended);
      expect(done.status).toBe("COMPLETED");
      expect(done.stats.cost, JSON.stringify(input)).toBe(cost);
      const { nodes } = await storedRows(t, run.id);
      expect(nodes[0]?.stats).toMatchObject({ cost, extra_cost: input.extra ? 2 : 0 });
    }
  });
});
