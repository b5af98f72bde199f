// AutoGPT's LLM blocks through the real server against a scripted loopback LLM: prompts filled, models routed to
// their provider's API, streaming and plain answers, retries on 429/5xx, structured output re-asked and bounded,
// list and summary outputs, usage in the node's stats, operator keys, and keys never stored, shown or logged.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { standaloneContext } from "../src/blocks/context.js";
import { type LlmMessage, type LlmTool, llmCall } from "../src/blocks/llm/call.js";
import { aiConversation, aiListGenerator, aiTextGenerator, aiTextSummarizer } from "../src/blocks/llm/generators.js";
import { aiStructuredResponseGenerator } from "../src/blocks/llm/structured.js";
import type { Usage } from "../src/blocks/sdk.js";
import { testCredentials } from "../src/blocks/test-http.js";
import { HttpClient } from "../src/infra/http/client.js";
import { runBlock } from "./helpers/block-run.js";
import { type Client, signUp } from "./helpers/client.js";
import { type LlmServer, startLlmServer, structured } from "./helpers/llm-server.js";
import { create, ended, graph, INPUT, OUTPUT, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { storedRows } from "./helpers/watch.js";

const USER_OPENAI = "sk-user-openai-5d1c9e7a3b";
const USER_ANTHROPIC = "sk-ant-user-8f2a6c4e1d";
const USER_V0 = "v0-user-key-3e9b7a1c";
const OPERATOR_OPENAI = "sk-operator-openai-7c1e9a3f";
const OPERATOR_ANTHROPIC = "sk-ant-operator-2b4d6f8a";
const SECRETS = [USER_OPENAI, USER_ANTHROPIC, USER_V0, OPERATOR_OPENAI, OPERATOR_ANTHROPIC];

const key = (provider: string, api_key: string) => ({
  id: `cred-${provider}`,
  provider,
  type: "api_key",
  title: `My ${provider} key`,
  api_key,
});
const openai = key("openai", USER_OPENAI);
const anthropic = key("anthropic", USER_ANTHROPIC);

describe("LLM blocks", () => {
  let llm: LlmServer;
  let t: TestServer;
  let api: Client;

  beforeAll(async () => {
    llm = await startLlmServer();
    t = await startTestServer({
      // What OPENAI_API_KEY/OPENAI_BASE_URL, ANTHROPIC_API_KEY/ANTHROPIC_BASE_URL and OLLAMA_HOST set.
      systemCredentials: {
        openai: { apiKey: OPERATOR_OPENAI, baseUrl: llm.openaiBaseUrl },
        anthropic: { apiKey: OPERATOR_ANTHROPIC, baseUrl: llm.anthropicBaseUrl },
        ollama: { baseUrl: llm.url },
      },
      outgoingHttp: { providerBaseUrls: { v0: llm.openaiBaseUrl } },
    });
    api = (await signUp(t.url)).api;
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });
  beforeEach(() => llm.reset());

  /** The run's stored rows and the server's logs hold none of the keys. */
  async function expectNoSecrets(runId: string, ...answers: unknown[]) {
    const { nodes, runs } = await storedRows(t, runId);
    const everything = [
      JSON.stringify(nodes),
      JSON.stringify(runs),
      ...answers.map((a) => JSON.stringify(a)),
      ...t.logs,
    ];
    for (const secret of SECRETS) expect(everything.join("\n")).not.toContain(secret);
    return nodes;
  }

  it("AITextGenerator fills the prompt and system prompt, streams from OpenAI and records the usage", async () => {
    const result = await runBlock(
      api,
      aiTextGenerator.id,
      {
        model: "gpt-4o",
        prompt: "Write a haiku about {{ topic }}.",
        sys_prompt: "You are a {{style}} poet.",
        prompt_values: { topic: "owls", style: "terse" },
      },
      { credentials: openai },
    );
    expect(result.status, JSON.stringify(result.node)).toBe("COMPLETED");
    const [req] = llm.requests;
    expect(llm.requests).toHaveLength(1);
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe(`Bearer ${USER_OPENAI}`);
    expect(req.body).toMatchObject({
      model: "gpt-4o",
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 16384,
    });
    expect(req.messages).toEqual([
      { role: "system", content: "You are a terse poet." },
      { role: "user", content: "Write a haiku about owls." },
    ]);
    expect(result.outputs.response).toEqual(["Echo: Write a haiku about owls."]);
    expect(result.outputs.prompt).toEqual([req.messages]);

    const nodes = await expectNoSecrets(result.run.id, result.run);
    expect(nodes[0]?.stats).toMatchObject({
      input_token_count: 12,
      output_token_count: 7,
      llm_call_count: 1,
      llm_retry_count: 0,
      request_count: 1,
    });
  });

  it("routes a Claude model to Anthropic's Messages API with the system prompt lifted out", async () => {
    llm.reply({ text: "Bonjour", usage: { input: 30, output: 4 } });
    const result = await runBlock(
      api,
      aiTextGenerator.id,
      { model: "claude-sonnet-4-6", prompt: "Say hello in French.", sys_prompt: "Be brief." },
      { credentials: anthropic },
    );
    expect(result.status, JSON.stringify(result.node)).toBe("COMPLETED");
    const [req] = llm.requests;
    expect(req.api).toBe("anthropic");
    expect(req.path).toBe("/v1/messages");
    expect(req.headers.authorization ?? req.headers["x-api-key"]).toContain(USER_ANTHROPIC);
    expect(req.body).toMatchObject({ model: "claude-sonnet-4-6", max_tokens: 64000, stream: true });
    expect(req.body.system).toEqual([{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }]);
    expect(req.messages).toEqual([{ role: "user", content: "Say hello in French." }]);
    expect(result.outputs.response).toEqual(["Bonjour"]);
    const nodes = await expectNoSecrets(result.run.id, result.run);
    expect(nodes[0]?.stats).toMatchObject({ input_token_count: 30, output_token_count: 4, llm_call_count: 1 });
  });

  it("speaks plain (non-streamed) chat completions to providers that do not stream, with max_tokens", async () => {
    llm.reply({ text: "A v0 answer" });
    const result = await runBlock(
      api,
      aiTextGenerator.id,
      { model: "v0-1.5-md", prompt: "Build a button", max_tokens: 100 },
      { credentials: key("v0", USER_V0) },
    );
    expect(result.status, JSON.stringify(result.node)).toBe("COMPLETED");
    const [req] = llm.requests;
    expect(req.headers.authorization).toBe(`Bearer ${USER_V0}`);
    expect(req.stream).toBe(false);
    expect(req.body).toMatchObject({ model: "v0-1.5-md", max_tokens: 100 });
    expect(result.outputs.response).toEqual(["A v0 answer"]);
    await expectNoSecrets(result.run.id, result.run);
  });

  it("retries 429 and 500 answers with backoff and counts the attempts", async () => {
    llm.reply({ status: 429 }, { status: 500 }, { text: "third time lucky" });
    const result = await runBlock(
      api,
      aiTextGenerator.id,
      { model: "gpt-4o-mini", prompt: "Hi" },
      { credentials: openai },
    );
    expect(result.status, JSON.stringify(result.node)).toBe("COMPLETED");
    expect(llm.requests).toHaveLength(3);
    expect(llm.requests.every((r) => r.headers.authorization === `Bearer ${USER_OPENAI}`)).toBe(true);
    expect(result.outputs.response).toEqual(["third time lucky"]);
    const nodes = await expectNoSecrets(result.run.id, result.run);
    expect(nodes[0]?.stats).toMatchObject({ request_count: 3, llm_call_count: 1, llm_retry_count: 2 });
  });

  it("gives up on a provider that keeps answering 429, naming the status", async () => {
    llm.handle(() => ({ status: 429, error: "Rate limit reached" }));
    const result = await runBlock(
      api,
      aiTextGenerator.id,
      { model: "gpt-4o-mini", prompt: "Hi" },
      { credentials: openai },
    );
    expect(result.status).toBe("FAILED");
    // The client's three attempts; a 429 is the user's to fix, so the block does not ask again (AutoGPT).
    expect(llm.requests).toHaveLength(3);
    expect(JSON.stringify(result.outputs.error)).toMatch(/429.*Rate limit reached/);
    await expectNoSecrets(result.run.id, result.run);
  });

  it("AIStructuredResponseGenerator re-asks with the parse and validation errors until the answer fits", async () => {
    llm.reply(
      { text: "I think it is Paris." },
      (req) => ({ text: structured(req, { city: "Paris" }) }),
      (req) => ({ text: `Here: ${structured(req, { city: "Paris", country: "France" })}` }),
    );
    const result = await runBlock(
      api,
      aiStructuredResponseGenerator.id,
      {
        model: "gpt-4o",
        prompt: "Where is the {{thing}}?",
        prompt_values: { thing: "Eiffel Tower" },
        expected_format: { city: "The city", country: "The country" },
      },
      { credentials: openai },
    );
    expect(result.status, JSON.stringify(result.node)).toBe("COMPLETED");
    expect(result.outputs.response).toEqual([{ city: "Paris", country: "France" }]);
    expect(llm.requests).toHaveLength(3);
    const [first, second, third] = llm.requests;
    const tag = first.jsonTag;
    expect(tag).toMatch(/^[0-9a-f]{16}$/);
    expect(first.system).toContain(
      `<json_output id="${tag}">\n{\n  "city": "The city",\n  "country": "The country"\n}`,
    );
    expect(first.lastUserText).toBe("Where is the Eiffel Tower?");
    expect(second.messages.at(-2)).toEqual({ role: "assistant", content: "I think it is Paris." });
    expect(second.lastUserText).toContain("Your previous response did not contain a parseable JSON object.");
    expect(third.lastUserText).toContain("Your previous response did not match the expected object format.");
    expect(third.lastUserText).toContain("Missing keys: {'country'}");
    const nodes = await expectNoSecrets(result.run.id, result.run);
    expect(nodes[0]?.stats).toMatchObject({ llm_call_count: 3, llm_retry_count: 2, input_token_count: 36 });
  });

  it("AIStructuredResponseGenerator fails after `retry` attempts with the last complaint", async () => {
    llm.handle(() => ({ text: "no JSON at all" }));
    const result = await runBlock(
      api,
      aiStructuredResponseGenerator.id,
      { model: "gpt-4o", prompt: "Answer", expected_format: { answer: "The answer" }, retry: 2 },
      { credentials: openai },
    );
    expect(result.status).toBe("FAILED");
    expect(llm.requests).toHaveLength(2);
    expect(JSON.stringify(result.outputs.error)).toContain("did not contain a parseable JSON object");
  });

  it("the loopback's default answer fills structured requests, so unscripted agents of LLM blocks run", async () => {
    const listed = await runBlock(api, aiListGenerator.id, { model: "gpt-4o", focus: "owls" }, { credentials: openai });
    expect(listed.status, JSON.stringify(listed.node)).toBe("COMPLETED");
    expect(listed.outputs.list_item).toHaveLength(1);
    const rows = await runBlock(
      api,
      aiStructuredResponseGenerator.id,
      { model: "gpt-4o", prompt: "Name one", expected_format: { name: "A name" }, list_result: true },
      { credentials: openai },
    );
    expect(rows.status, JSON.stringify(rows.node)).toBe("COMPLETED");
    expect(rows.outputs.response).toEqual([[{ name: "Echo: Name one" }]]);
    expect(llm.requests).toHaveLength(2);
  });

  it("AIListGenerator yields the list and each item", async () => {
    llm.reply((req) => ({ text: structured(req, { list: ["Mercury", "Venus", "Earth"] }) }));
    const result = await runBlock(
      api,
      aiListGenerator.id,
      { model: "gpt-4o", focus: "inner planets", source_data: "Mercury, Venus and Earth orbit close." },
      { credentials: openai },
    );
    expect(result.status, JSON.stringify(result.node)).toBe("COMPLETED");
    expect(result.outputs.generated_list).toEqual([["Mercury", "Venus", "Earth"]]);
    expect(result.outputs.list_item).toEqual(["Mercury", "Venus", "Earth"]);
    const [req] = llm.requests;
    expect(req.system).toContain("You are a JSON array generator.");
    expect(req.lastUserText).toContain("Generate a list with the following focus:\n<focus>\n\ninner planets</focus>");
    expect(req.lastUserText).toContain("<source_data>\n\nMercury, Venus and Earth orbit close.</source_data>");
  });

  it("AITextSummarizer summarises overlapping chunks, then combines the summaries", async () => {
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`);
    let chunk = 0;
    llm.handle((req) =>
      req.system.includes('"final_summary"')
        ? { text: structured(req, { final_summary: "All of it, briefly." }) }
        : { text: structured(req, { summary: `part ${++chunk}` }) },
    );
    const result = await runBlock(
      api,
      aiTextSummarizer.id,
      { model: "gpt-4o", text: words.join(" "), max_tokens: 10, chunk_overlap: 2, focus: "letters", style: "detailed" },
      { credentials: openai },
    );
    expect(result.status, JSON.stringify(result.node)).toBe("COMPLETED");
    expect(result.outputs.summary).toEqual(["All of it, briefly."]);
    // Windows of 10 words every 8 words: 0-9, 8-17, 16-25, 24-29; then the final summary.
    expect(llm.requests).toHaveLength(5);
    expect(llm.requests[0]?.lastUserText).toBe(
      `Summarize the following text in a detailed form. Focus your summary on the topic of \`letters\` if present, otherwise just provide a general summary:\n\n\`\`\`${words.slice(0, 10).join(" ")}\`\`\``,
    );
    expect(llm.requests[3]?.lastUserText).toContain(`\`\`\`${words.slice(24).join(" ")}\`\`\``);
    expect(llm.requests[4]?.lastUserText).toContain("```part 1\n\npart 2\n\npart 3\n\npart 4```");
    const nodes = await expectNoSecrets(result.run.id, result.run);
    expect(nodes[0]?.stats).toMatchObject({ llm_call_count: 5 });
  });

  it("AIConversation sends the conversation and refuses an empty one", async () => {
    const messages = [
      { role: "system", content: "You are helpful." },
      { role: "user", content: "Who won in 2020?" },
      { role: "assistant", content: "The Dodgers." },
      { role: "user", content: "Where?" },
    ];
    const result = await runBlock(api, aiConversation.id, { model: "gpt-4o", messages }, { credentials: openai });
    expect(result.status, JSON.stringify(result.node)).toBe("COMPLETED");
    expect(llm.requests[0]?.messages).toEqual(messages);
    expect(result.outputs.response).toEqual(["Echo: Where?"]);

    const empty = await runBlock(api, aiConversation.id, { model: "gpt-4o", messages: [] }, { credentials: openai });
    expect(empty.status).toBe("FAILED");
    expect(JSON.stringify(empty.outputs.error)).toContain("Cannot call LLM with no messages and no prompt");
    expect(llm.requests).toHaveLength(1);
  });

  it("runs a graph with no credentials_inputs on the operator's keys, each model on its provider's", async () => {
    const g = await create(
      api,
      graph(
        "ask two models",
        [
          { id: "in", block_id: INPUT, input_default: { name: "topic" } },
          { id: "gpt", block_id: aiTextGenerator.id, input_default: { model: "gpt-4o", prompt: "About {{topic}}" } },
          {
            id: "claude",
            block_id: aiTextGenerator.id,
            input_default: { model: "claude-haiku-4-5-20251001", prompt: "Also about {{topic}}" },
          },
          { id: "out1", block_id: OUTPUT, input_default: { name: "gpt" } },
          { id: "out2", block_id: OUTPUT, input_default: { name: "claude" } },
        ],
        [
          ["in", "result", "gpt", "prompt_values_#_topic"],
          ["in", "result", "claude", "prompt_values_#_topic"],
          ["gpt", "response", "out1", "value"],
          ["claude", "response", "out2", "value"],
        ],
      ),
    );
    expect(Object.keys(g.credentials_input_schema.properties).sort()).toEqual([
      "anthropic_api_key_credentials",
      "openai_api_key_credentials",
    ]);
    const res = await api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: { topic: "owls" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = await waitFor(api, res.body.id, ended);
    expect(done.status, JSON.stringify(done.node_executions)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ gpt: ["Echo: About owls"], claude: ["Echo: Also about owls"] });
    const byApi = Object.fromEntries(llm.requests.map((r) => [r.api, r]));
    expect(byApi.openai?.headers.authorization).toBe(`Bearer ${OPERATOR_OPENAI}`);
    expect(byApi.anthropic?.headers.authorization ?? byApi.anthropic?.headers["x-api-key"]).toContain(
      OPERATOR_ANTHROPIC,
    );
    await expectNoSecrets(res.body.id, done);
  });

  it("Ollama models use the operator's OLLAMA_HOST; a user-given host goes through the SSRF guard", async () => {
    llm.reply({ text: "llama says hi", usage: { input: 3, output: 4 } });
    const local = await runBlock(api, aiTextGenerator.id, { model: "llama3.2", prompt: "Hi", sys_prompt: "Sys" });
    expect(local.status, JSON.stringify(local.node)).toBe("COMPLETED");
    expect(local.outputs.response).toEqual(["llama says hi"]);
    const [req] = llm.requests;
    expect(req.path).toBe("/api/generate");
    expect(req.body).toMatchObject({ model: "llama3.2", prompt: "['Sys']\n\n['Hi']", stream: false });

    const port = new URL(llm.url).port;
    const guarded = await runBlock(api, aiTextGenerator.id, {
      model: "llama3.2",
      prompt: "Hi",
      ollama_host: `127.0.0.2:${port}`,
    });
    expect(guarded.status).toBe("FAILED");
    expect(JSON.stringify(guarded.outputs.error)).toMatch(/block|private|loopback|not allowed/i);
    expect(llm.requests).toHaveLength(1);
  });

  it("serializes the model pin with AutoGPT's metadata and the credentials discriminated by model", async () => {
    const blocks = (await api.get("/api/blocks")).body as any[];
    const gen = blocks.find((b) => b.id === aiTextGenerator.id);
    const model = gen.inputSchema.properties.model;
    expect(model).toMatchObject({ type: "string", default: "gpt-5.2-2025-12-11", title: "LLM Model", llm_model: true });
    expect(model.enum).toContain("claude-sonnet-4-5-20250929");
    expect(model.llm_model_metadata["gpt-4o"]).toEqual({
      creator: "OpenAI",
      creator_name: "OpenAI",
      title: "GPT-4o",
      provider: "openai",
      provider_name: "OpenAI",
      name: "gpt-4o",
      price_tier: 2,
    });
    const credentials = gen.inputSchema.properties.credentials;
    expect(credentials).toMatchObject({ discriminator: "model", credentials_types: ["api_key"] });
    expect(credentials.credentials_provider).toEqual(
      expect.arrayContaining(["openai", "anthropic", "groq", "ollama", "open_router", "llama_api", "aiml_api", "v0"]),
    );
    expect(credentials.discriminator_mapping).toMatchObject({ "gpt-4o": "openai", "llama3.2": "ollama" });
    expect(gen.costs).toContainEqual({
      cost_amount: 3,
      cost_type: "run",
      cost_filter: {
        model: "gpt-4o",
        credentials: { id: "53c25cb8-e3ee-465c-a4d1-e75a4c899c2a", provider: "openai", type: "api_key" },
      },
    });
  });
});

/** llmCall itself, as SmartDecisionMakerBlock uses it: tool calls both ways, and cancellation. */
describe("llmCall", () => {
  let llm: LlmServer;
  let client: HttpClient;
  const tools: LlmTool[] = [
    {
      type: "function",
      function: {
        name: "add",
        description: "Adds two numbers",
        parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a"] },
      },
    },
  ];
  const conversation: LlmMessage[] = [
    { role: "system", content: "Use tools." },
    { role: "user", content: "What is 1 + 2?" },
    {
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "add", arguments: '{"a":1,"b":2}' } }],
    },
    { role: "tool", tool_call_id: "call_1", content: "3" },
  ];

  beforeAll(async () => {
    llm = await startLlmServer();
    client = new HttpClient({ providerBaseUrls: { openai: llm.openaiBaseUrl, anthropic: llm.anthropicBaseUrl } });
  });
  afterAll(async () => {
    client?.close();
    await llm?.close();
  });
  beforeEach(() => llm.reset());

  const ctx = (usage: Usage[] = [], signal?: AbortSignal) =>
    standaloneContext({ http: client.withSignal(signal ?? new AbortController().signal), usage, signal });

  it("streams OpenAI tool calls, their arguments reassembled, and sends the tools and tool results", async () => {
    llm.reply({ toolCalls: [{ id: "call_9", name: "add", arguments: { a: 40, b: 2 } }] });
    const usage: Usage[] = [];
    const answer = await llmCall(ctx(usage), testCredentials({ provider: "openai", type: "api_key", api_key: "k" }), {
      model: "gpt-4o",
      messages: conversation,
      tools,
      parallelToolCalls: false,
    });
    expect(answer.toolCalls).toEqual([
      { id: "call_9", type: "function", function: { name: "add", arguments: '{"a":40,"b":2}' } },
    ]);
    expect(usage).toEqual([{ tokens_in: 12, tokens_out: 7, llm_calls: 1, llm_retries: 0, requests: 1 }]);
    const [req] = llm.requests;
    expect(req.body.tools).toEqual(tools);
    expect(req.body.parallel_tool_calls).toBe(false);
    expect(req.messages).toEqual(conversation);
  });

  it("maps tools, tool calls and tool results to Anthropic's tool_use and tool_result, and back", async () => {
    llm.reply({ text: "Let me add.", toolCalls: [{ id: "toolu_7", name: "add", arguments: { a: 3, b: 4 } }] });
    const answer = await llmCall(ctx(), testCredentials({ provider: "anthropic", type: "api_key", api_key: "k" }), {
      model: "claude-sonnet-4-6",
      messages: conversation,
      tools,
    });
    expect(answer.text).toBe("Let me add.");
    expect(answer.toolCalls).toEqual([
      { id: "toolu_7", type: "function", function: { name: "add", arguments: '{"a":3,"b":4}' } },
    ]);
    const [req] = llm.requests;
    expect(req.system).toBe("Use tools.");
    expect(req.body.tools).toEqual([
      {
        name: "add",
        description: "Adds two numbers",
        input_schema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a"] },
        cache_control: { type: "ephemeral" },
      },
    ]);
    expect(req.messages).toEqual([
      { role: "user", content: "What is 1 + 2?" },
      { role: "assistant", content: [{ type: "tool_use", id: "call_1", name: "add", input: { a: 1, b: 2 } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "3" }] },
    ]);
  });

  it("stops waiting when the node's signal aborts", async () => {
    llm.reply({ hang: true });
    const controller = new AbortController();
    const pending = llmCall(
      ctx([], controller.signal),
      testCredentials({ provider: "openai", type: "api_key", api_key: "k" }),
      { model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] },
    );
    await expect.poll(() => llm.requests.length).toBe(1);
    controller.abort(new Error("stopped by the user"));
    await expect(pending).rejects.toThrow("stopped by the user");
  });

  it("stops reading a streamed answer that stalls when the signal aborts", async () => {
    for (const [model, provider] of [
      ["gpt-4o", "openai"],
      ["claude-sonnet-4-6", "anthropic"],
    ] as const) {
      llm.reply({ text: "never finished", hang: "midway" });
      const controller = new AbortController();
      const pending = llmCall(
        ctx([], controller.signal),
        testCredentials({ provider, type: "api_key", api_key: "k" }),
        { model, messages: [{ role: "user", content: "Hi" }] },
      );
      const before = llm.requests.length;
      await expect.poll(() => llm.requests.length).toBe(before + 1);
      controller.abort(new Error(`stopped ${provider}`));
      await expect(pending).rejects.toThrow(`stopped ${provider}`);
    }
  });

  it("fits a prompt over half the context window by cutting the middle, keeping tool calls whole", async () => {
    const big = `${"a".repeat(20_000)}MIDDLE${"z".repeat(20_000)}`;
    const call = { id: "call_1", type: "function" as const, function: { name: "add", arguments: '{"a":1}' } };
    const messages: LlmMessage[] = [
      { role: "system", content: "Keep this." },
      { role: "user", content: big },
      { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", tool_call_id: "call_1", content: "1" },
      { role: "user", content: "And this." },
    ];
    // MythoMax L2 13B (OpenRouter) has a 4,096-token window: the prompt must come down to about 2,048 tokens.
    const credentials = testCredentials({ provider: "open_router", type: "api_key", api_key: "k" });
    const local = new HttpClient({ providerBaseUrls: { open_router: llm.openaiBaseUrl } });
    const context = standaloneContext({ http: local });
    await llmCall(context, credentials, { model: "gryphe/mythomax-l2-13b", messages });
    const [sent] = llm.requests;
    expect(sent.messages[0]).toEqual(messages[0]);
    expect(sent.messages.at(-1)).toEqual(messages[4]);
    expect(sent.messages[2]).toEqual({ role: "assistant", content: null, tool_calls: [call] });
    expect(sent.messages[1].content.length).toBeLessThan(9_000);
    expect(sent.messages[1].content).toMatch(/^a+ … z+$/);
    expect(sent.body.max_tokens).toBeLessThanOrEqual(4096);

    await llmCall(context, credentials, { model: "gryphe/mythomax-l2-13b", messages, compressToFit: false });
    expect(llm.requests[1]?.messages[1].content).toBe(big);
    local.close();
  });

  it("resolves a provider-prefixed model name to the model it names", async () => {
    const credentials = testCredentials({ provider: "anthropic", type: "api_key", api_key: "k" });
    await llmCall(ctx(), credentials, {
      model: "anthropic/claude-sonnet-4-6",
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(llm.requests[0]?.api).toBe("anthropic");
    expect(llm.requests[0]?.model).toBe("claude-sonnet-4-6");
  });

  it("names the missing credentials instead of calling anyone", async () => {
    await expect(
      llmCall(ctx(), undefined, { model: "claude-sonnet-4-6", messages: [{ role: "user", content: "Hi" }] }),
    ).rejects.toThrow(/No anthropic credentials.*ANTHROPIC_API_KEY/);
    await expect(
      llmCall(ctx(), testCredentials({ provider: "openai", type: "api_key", api_key: "k" }), {
        model: "claude-sonnet-4-6",
        messages: [],
      }),
    ).rejects.toThrow(/served by anthropic.*for openai/);
    expect(llm.requests).toHaveLength(0);
  });
});
