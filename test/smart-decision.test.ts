// SmartDecisionMakerBlock through the real server against the scripted loopback LLM: the functions it
// offers the model (one per linked block or sub-agent), the tool nodes it feeds through `tools_^_…` pins, the loop
// back through `last_tool_output` (OpenAI's and Anthropic's formats), the re-ask on a bad tool call, and agent mode
// running the tools itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standaloneContext } from "../src/blocks/context.js";
import { getBlock } from "../src/blocks/index.js";
import { pendingToolCalls, toolFunctions } from "../src/blocks/llm/smart-decision.js";
import { parseExecutionOutput } from "../src/core/pins.js";
import { signUp } from "./helpers/client.js";
import { type LlmReply, type LlmServer, startLlmServer } from "./helpers/llm-server.js";
import { AGENT_EXECUTOR, create, ended, execute, graph, INPUT, OUTPUT, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { storedRows } from "./helpers/watch.js";

const SDM = "3b191d9f-356f-482d-8238-ba04b6d18381";
const CALCULATOR = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";
const OPERATOR_KEY = "sk-operator-3f9d2c71a4b8e650";

describe("SmartDecisionMakerBlock", () => {
  let t: TestServer;
  let llm: LlmServer;
  let user: Awaited<ReturnType<typeof signUp>>;
  const chats = () => llm.requests;

  beforeAll(async () => {
    llm = await startLlmServer();
    t = await startTestServer({
      systemCredentials: {
        openai: { apiKey: OPERATOR_KEY, baseUrl: llm.openaiBaseUrl },
        anthropic: { apiKey: OPERATOR_KEY, baseUrl: llm.anthropicBaseUrl },
      },
    });
    user = await signUp(t.url);
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  /** Runs `g` with the model answering `replies`, one per call. */
  async function run(g: unknown, inputs: Record<string, unknown>, replies: LlmReply[]) {
    llm.reset();
    llm.reply(...replies);
    const created = await create(user.api, g);
    const exec = await execute(user.api, created, inputs);
    const done = await waitFor(user.api, exec.id, ended, 60_000);
    // Node ids are the server's: find a node's executions by its block.
    const nodeOf = (blockId: string) => created.nodes.find((n: any) => n.block_id === blockId).id as string;
    const execs = done.node_executions as any[];
    const of = (blockId: string) => execs.filter((n) => n.node_id === nodeOf(blockId));
    return { created, run: done, of, nodeOf };
  }

  const calculatorLoop = (toolSource: string, model = "gpt-4o") =>
    graph(
      "calculator tool",
      [
        { id: "in", block_id: INPUT, input_default: { name: "question" } },
        { id: "sdm", block_id: SDM, input_default: { model, prompt_values: {} } },
        { id: "calc", block_id: CALCULATOR, input_default: { round_result: false } },
        { id: "out", block_id: OUTPUT, input_default: { name: "answer" } },
      ],
      [
        ["in", "result", "sdm", "prompt"],
        ["sdm", toolSource, "calc", "operation"],
        ["sdm", toolSource, "calc", "a"],
        ["sdm", toolSource, "calc", "b"],
        ["calc", "result", "sdm", "last_tool_output"],
        ["sdm", "conversations", "sdm", "conversation_history"],
        ["sdm", "finished", "out", "value"],
      ],
    );

  it("offers the linked block as a function, runs it on the model's call and answers the model with its result", async () => {
    const {
      run: done,
      of,
      nodeOf,
    } = await run(calculatorLoop("tools"), { question: "What is 2 + 3?" }, [
      { toolCalls: [{ name: "calculatorblock", arguments: '{"operation": "Add", "a": 2, "b": 3}' }] },
      { text: "2 + 3 = 5" },
    ]);
    expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["2 + 3 = 5"] });

    const [first, second] = chats();
    expect(chats()).toHaveLength(2);
    expect(first.headers.authorization).toBe(`Bearer ${OPERATOR_KEY}`);
    expect(first.body.model).toBe("gpt-4o");
    expect(first.body.tools).toHaveLength(1);
    const fn = first.body.tools[0];
    expect(fn.type).toBe("function");
    expect(fn.function.name).toBe("calculatorblock");
    expect(fn.function.description).toBe("Performs a mathematical operation on two numbers.");
    expect(fn.function.parameters).toMatchObject({
      type: "object",
      additionalProperties: false,
      required: ["a", "b", "operation"],
      properties: {
        operation: { type: "string", enum: ["Add", "Subtract", "Multiply", "Divide", "Power"] },
        a: { type: "number", description: "Enter the first number (A)" },
        b: { type: "number", description: "Enter the second number (B)" },
      },
    });
    expect(Object.keys(fn.function.parameters.properties)).toEqual(["operation", "a", "b"]);
    expect(first.body.messages).toEqual([
      { role: "system", content: expect.stringMatching(/^\[Main Objective Prompt\]: Thinking carefully/) },
      { role: "user", content: "[Main Objective Prompt]: What is 2 + 3?" },
    ]);

    // The tool node ran once with the model's arguments; its result went back as the answer to the call.
    const calc = of(CALCULATOR);
    expect(calc).toHaveLength(1);
    expect(calc[0].input_data).toMatchObject({ operation: "Add", a: 2, b: 3 });
    expect(calc[0].output_data).toEqual({ result: [5] });
    expect(second.body.messages.slice(2)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "calculatorblock", arguments: expect.any(String) } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "5" },
    ]);

    // The decision node ran twice: the call (tool pins, conversation), then the finish.
    const sdm = of(SDM);
    expect(sdm.map((n) => n.status)).toEqual(["COMPLETED", "COMPLETED"]);
    const calcId = nodeOf(CALCULATOR);
    expect(sdm[0].output_data[`tools_^_${calcId}_~_operation`]).toEqual(["Add"]);
    expect(sdm[0].output_data[`tools_^_${calcId}_~_a`]).toEqual([2]);
    expect(sdm[0].output_data[`tools_^_${calcId}_~_b`]).toEqual([3]);
    expect(JSON.parse(sdm[0].output_data.tool_functions[0])[0].function._sink_node_id).toBe(calcId);
    const conversation = sdm[0].output_data.conversations[0];
    expect(conversation.map((m: any) => m.role)).toEqual(["system", "user", "assistant"]);
    expect(conversation[2].tool_calls[0].function.name).toBe("calculatorblock");
    expect(sdm[1].input_data.last_tool_output).toBe(5);
    expect(sdm[1].output_data.finished).toEqual(["2 + 3 = 5"]);
    expect(sdm[1].output_data.conversations).toBeUndefined();
    // Each turn's model call is in its node's stats.
    const { nodes: rows } = await storedRows(t, done.id);
    const stats = rows.filter((r) => r.blockId === SDM).map((r) => r.stats as Record<string, number>);
    expect(stats.map((s) => [s.llm_call_count, s.input_token_count, s.output_token_count])).toEqual([
      [1, 12, 7],
      [1, 12, 7],
    ]);
  });

  it("routes tool calls through AutoGPT's older `tools_^_…` link names as well", async () => {
    const { run: done, of } = await run(calculatorLoop("tools_^_calculatorblock_~_x"), { question: "3 * 4?" }, [
      { toolCalls: [{ name: "calculatorblock", arguments: '{"operation": "Multiply", "a": 3, "b": 4}' }] },
      { text: "12" },
    ]);
    expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["12"] });
    expect(of(CALCULATOR)[0]?.output_data).toEqual({ result: [12] });
  });

  it("with multiple tool calls runs each, and asks the model again once every call has its output", async () => {
    const g = calculatorLoop("tools");
    (g.nodes[1].input_default as Record<string, unknown>).multiple_tool_calls = true;
    const { run: done, of } = await run(g, { question: "2 + 3 and 3 * 4?" }, [
      {
        toolCalls: [
          { name: "calculatorblock", arguments: { operation: "Add", a: 2, b: 3 } },
          { name: "calculatorblock", arguments: { operation: "Multiply", a: 3, b: 4 } },
        ],
      },
      { text: "5 and 12" },
    ]);
    expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["5 and 12"] });
    expect(chats()).toHaveLength(2);
    const [first, second] = chats();
    expect(first.body.parallel_tool_calls).toBe(true);
    expect(
      of(CALCULATOR)
        .map((n) => n.output_data.result[0])
        .sort(),
    ).toEqual([12, 5]);
    // Three turns of the decision node: the calls, the first output (still waiting), the second (asks again).
    const sdm = of(SDM);
    expect(sdm).toHaveLength(3);
    expect(sdm[1].output_data).toEqual({ tool_functions: [expect.any(String)], conversations: [expect.any(Array)] });
    const answers = second.body.messages.filter((m: any) => m.role === "tool");
    expect(answers.map((m: any) => m.tool_call_id)).toEqual(["call_1", "call_2"]);
    expect(answers.map((m: any) => m.content).sort()).toEqual(["12", "5"]);
  });

  it("compacts a prompt over half the model's context window unless conversation_compaction is off", async () => {
    const question = "x".repeat(300_000); // about 75,000 tokens: gpt-4o's budget is 64,000
    const sent: number[] = [];
    for (const conversation_compaction of [true, false]) {
      const g = calculatorLoop("tools");
      (g.nodes[1].input_default as Record<string, unknown>).conversation_compaction = conversation_compaction;
      const { run: done } = await run(g, { question }, [{ text: "ok" }]);
      expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
      sent.push(chats()[0].body.messages.at(-1).content.length);
    }
    expect(sent[0]).toBeLessThan(100_000);
    expect(sent[1]).toBe("[Main Objective Prompt]: ".length + question.length);
  });

  it("keeps a Claude conversation in Anthropic's format: tool_use turns, tool_result answers", async () => {
    const { run: done, of } = await run(calculatorLoop("tools", "claude-sonnet-4-6"), { question: "What is 7 - 2?" }, [
      { toolCalls: [{ name: "calculatorblock", arguments: '{"operation": "Subtract", "a": 7, "b": 2}' }] },
      { text: "5" },
    ]);
    expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["5"] });
    const [first, second] = chats();
    expect(first.api).toBe("anthropic");
    expect(first.headers["x-api-key"] ?? first.headers.authorization).toContain(OPERATOR_KEY);
    expect(first.body.tools[0]).toMatchObject({
      name: "calculatorblock",
      description: "Performs a mathematical operation on two numbers.",
      input_schema: { type: "object", required: ["a", "b", "operation"] },
    });
    // The tool's result answers the tool_use by its id, as a user turn.
    expect(second.body.messages.slice(-2)).toEqual([
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "toolu_1", name: "calculatorblock", input: { operation: "Subtract", a: 7, b: 2 } },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "5" }] },
    ]);
    const conversation = of(SDM)[0].output_data.conversations[0];
    expect(conversation.at(-1)).toMatchObject({ role: "assistant", type: "message", content: [{ type: "tool_use" }] });
    expect(of(SDM)[1].input_data.last_tool_output).toBe(5);
  });

  it("re-asks the model with the errors when it calls a tool with wrong parameters", async () => {
    const { run: done, of } = await run(calculatorLoop("tools"), { question: "What is 6 / 3?" }, [
      { toolCalls: [{ name: "calculatorblock", arguments: '{"operation": "Divide", "x": 6}' }] },
      { toolCalls: [{ name: "calculatorblock", arguments: '{"operation": "Divide", "a": 6, "b": 3}' }] },
      { text: "6 / 3 = 2" },
    ]);
    expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["6 / 3 = 2"] });
    const [, reask] = chats();
    const feedback = reask.body.messages.at(-1);
    expect(feedback.role).toBe("user");
    expect(feedback.content).toContain("Your tool call had errors");
    expect(feedback.content).toContain("Tool call 'calculatorblock' has parameter errors: Unknown parameters: ['x'].");
    expect(feedback.content).toContain("Missing required parameters: ['a', 'b'].");
    // Only the corrected call reached the tool.
    const calc = of(CALCULATOR);
    expect(calc.map((n) => n.input_data)).toMatchObject([{ operation: "Divide", a: 6, b: 3 }]);
  });

  it("fails the node naming the errors once the retries are used up", async () => {
    const g = calculatorLoop("tools");
    (g.nodes[1].input_default as Record<string, unknown>).retry = 2;
    const { run: done, of } = await run(g, { question: "?" }, [
      { toolCalls: [{ name: "nosuchtool", arguments: "{}" }] },
      { toolCalls: [{ name: "calculatorblock", arguments: "not json" }] },
    ]);
    expect(done.status).toBe("FAILED");
    expect(chats()).toHaveLength(2);
    const [sdm] = of(SDM);
    expect(sdm.output_data.error[0]).toContain("Tool call 'calculatorblock' has invalid JSON arguments");
    expect(of(CALCULATOR)).toEqual([]);
  });

  it("offers a sub-agent as a function named after the agent, with its linked inputs as parameters", async () => {
    const child = await create(
      user.api,
      graph(
        "Word Doubler",
        [
          { id: "in", block_id: INPUT, input_default: { name: "word", description: "The word to double" } },
          { id: "out", block_id: OUTPUT, input_default: { name: "doubled" } },
        ],
        [["in", "result", "out", "value"]],
      ),
    );
    const g = graph(
      "agent tool",
      [
        { id: "in", block_id: INPUT, input_default: { name: "question" } },
        { id: "sdm", block_id: SDM, input_default: { model: "gpt-4o" } },
        {
          id: "agent",
          block_id: AGENT_EXECUTOR,
          input_default: {
            graph_id: child.id,
            graph_version: child.version,
            user_id: "",
            inputs: {},
            input_schema: child.input_schema,
            output_schema: child.output_schema,
          },
        },
        { id: "out", block_id: OUTPUT, input_default: { name: "answer" } },
      ],
      [
        ["in", "result", "sdm", "prompt"],
        ["sdm", "tools", "agent", "word"],
        ["agent", "doubled", "sdm", "last_tool_output"],
        ["sdm", "conversations", "sdm", "conversation_history"],
        ["sdm", "finished", "out", "value"],
      ],
    );
    const { run: done, of } = await run(g, { question: "Echo hello" }, [
      { toolCalls: [{ name: "word_doubler", arguments: '{"word": "hello"}' }] },
      { text: "It said hello" },
    ]);
    expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["It said hello"] });
    const [first, second] = chats();
    expect(first.body.tools).toEqual([
      {
        type: "function",
        function: {
          name: "word_doubler",
          description: "Word Doubler (test)",
          parameters: {
            type: "object",
            properties: { word: { type: "string", description: "The word to double", default: "null" } },
            additionalProperties: false,
            strict: true,
          },
        },
      },
    ]);
    expect(of(AGENT_EXECUTOR)[0]?.input_data.inputs).toEqual({ word: "hello" });
    expect(second.body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_1", content: "hello" });
  });

  it("in agent mode runs the tools itself and loops until the model finishes", async () => {
    const g = graph(
      "agent mode",
      [
        { id: "in", block_id: INPUT, input_default: { name: "question" } },
        { id: "sdm", block_id: SDM, input_default: { model: "gpt-4o", agent_mode_max_iterations: 5 } },
        { id: "calc", block_id: CALCULATOR },
        { id: "out", block_id: OUTPUT, input_default: { name: "answer" } },
      ],
      [
        ["in", "result", "sdm", "prompt"],
        ["sdm", "tools", "calc", "operation"],
        ["sdm", "tools", "calc", "a"],
        ["sdm", "tools", "calc", "b"],
        ["sdm", "finished", "out", "value"],
      ],
    );
    const { run: done, of } = await run(g, { question: "(2 + 3) * 4?" }, [
      { toolCalls: [{ name: "calculatorblock", arguments: '{"operation": "Add", "a": 2, "b": 3}' }] },
      { toolCalls: [{ name: "calculatorblock", arguments: '{"operation": "Multiply", "a": 5, "b": 4}' }] },
      { text: "20" },
    ]);
    expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ answer: ["20"] });
    const calc = of(CALCULATOR);
    expect(calc.map((n) => n.output_data.result)).toEqual([[5], [20]]);
    expect(chats()[1].body.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_1",
      content: '{"result": [5]}',
    });
    const sdm = of(SDM);
    expect(sdm).toHaveLength(1);
    expect(sdm[0].output_data.finished).toEqual(["20"]);
    // One conversation per turn, each as it was then.
    const conversations = sdm[0].output_data.conversations;
    expect(conversations.map((c: unknown[]) => c.length)).toEqual([4, 6, 7]);
    expect(conversations.at(-1).map((m: any) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "tool",
      "assistant",
      "tool",
      "assistant",
    ]);
  });
});

describe("SmartDecisionMaker's tools, without a server", () => {
  const FILL_TEMPLATE = "db7d8f02-2f44-4c55-ab7a-eae0941f0c30";

  it("describes a dynamic pin to the model and requires it when its base pin is required", async () => {
    const block = getBlock(FILL_TEMPLATE);
    if (!block) throw new Error("no FillTextTemplateBlock");
    const ctx = standaloneContext({
      linkedNodes: [
        {
          id: "fill",
          block,
          inputDefault: {},
          metadata: { customized_name: "Greeting Writer!" },
          links: [
            { sourceName: "tools", sinkName: "values_#_name" },
            { sourceName: "tools", sinkName: "format" },
            { sourceName: "finished", sinkName: "escape_html" },
          ],
        },
      ],
    });
    const [tool] = await toolFunctions(ctx);
    expect(tool.function.name).toBe("greeting_writer_");
    expect(tool.function.parameters).toEqual({
      type: "object",
      properties: {
        values___name: {
          type: "string",
          description: "Dictionary field 'name' for base field 'values' (values['name'])",
        },
        format: expect.objectContaining({ type: "string" }),
      },
      additionalProperties: false,
      required: ["format", "values___name"],
    });
    expect(tool.function._field_mapping).toEqual({ values___name: "values_#_name", format: "format" });
  });

  it("refuses to run with no tool linked", async () => {
    await expect(toolFunctions(standaloneContext())).rejects.toThrow("There is no next node to execute.");
  });

  it("counts the calls still waiting for an output, in both providers' formats", () => {
    const pending = pendingToolCalls([
      { role: "assistant", tool_calls: [{ id: "call_1" }, { id: "call_2" }] },
      { role: "tool", tool_call_id: "call_1", content: "5" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1" }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_2" }] },
    ]);
    expect([...pending]).toEqual([
      ["call_2", 1],
      ["toolu_1", 1],
    ]);
  });

  it("routes a tool argument only to the pin its name says, whatever the link's tool pin is called", () => {
    const sink = { id: "calc", name: "a" };
    expect(parseExecutionOutput("tools_^_calc_~_a", 2, "tools", sink)).toBe(2);
    expect(parseExecutionOutput("tools_^_calc_~_a", 2, "tools_^_calculatorblock_~_a", sink)).toBe(2);
    expect(parseExecutionOutput("tools_^_calc_~_b", 3, "tools", sink)).toBeUndefined();
    expect(parseExecutionOutput("tools_^_other_~_a", 3, "tools", sink)).toBeUndefined();
    // An argument the model left out is not passed on (AutoGPT skips a None it did not ask for by name).
    expect(parseExecutionOutput("tools_^_calc_~_a", null, "tools", sink)).toBeUndefined();
    expect(parseExecutionOutput("tools_^_calc_~_a", null, "tools_^_calc_~_a", sink)).toBeNull();
    expect(parseExecutionOutput("finished", "x", "tools", sink)).toBeUndefined();
  });
});
