// SmartDecisionMakerBlock: an LLM picks among the blocks and sub-agents linked to its `tools` pin. Each tool call's
// arguments are yielded on `tools_^_{node_id}_~_{pin}`, so the tool nodes run as ordinary downstream nodes and feed
// their result back into `last_tool_output`; the answer without a tool call is `finished` (AutoGPT's traditional
// mode). With `agent_mode_max_iterations` set, the block runs the tools itself, turn after turn.
import { Type } from "@sinclair/typebox";
import { isToolPin, sanitizePinName, toolPinName } from "../../core/pins.js";
import type { Credentials } from "../credentials.js";
import { AnyValue, Dict, inputs, Nullable, outputs } from "../fields.js";
import { calculator } from "../maths.js";
import { isRecord, pyRepr, pyTruthy, pythonJsonDumps } from "../python.js";
import { renderTemplate } from "../sandbox/index.js";
import { type Block, type BlockContext, type BlockOutput, defineBlock, type LinkedNode } from "../sdk.js";
import { scriptedHttp } from "../test-http.js";
import { type LlmCallResponse, type LlmMessage, type LlmTool, type LlmToolCall, llmCall } from "./call.js";
import { LLM_COSTS, llmCredentialsField, llmModelField } from "./models.js";
import { TEST_CREDENTIALS, TEST_CREDENTIALS_INPUT } from "./scripted.js";
import { credentialsOf } from "./structured.js";

const AGENT_EXECUTOR_ID = "e189baac-8c20-45a1-94a7-55177ea42565";

/** Marks the objective turns, so a later turn of the same conversation does not add them again. */
const MAIN_OBJECTIVE_PREFIX = "[Main Objective Prompt]: ";

const DEFAULT_SYS_PROMPT =
  "Thinking carefully step by step decide which function to call. " +
  "Always choose a function call from the list of function signatures, " +
  "and always provide the complete argument provided with the type " +
  "matching the required jsonschema signature, no missing argument is allowed. " +
  "If you have already completed the task objective, you can end the task " +
  "by providing the end result of your work as a finish message. " +
  "Function parameters that has no default value and not optional typed has to be provided. ";

type Message = Record<string, unknown>;

/** A tool as the model sees it, plus where its arguments go (AutoGPT keeps these beside the signature too). */
export interface ToolFunction {
  type: "function";
  function: {
    name: string;
    description: string;
    parameters: Record<string, unknown>;
    /** Cleaned parameter name -> the sink pin it fills. */
    _field_mapping: Record<string, string>;
    _sink_node_id: string;
  };
}

/** A name the providers accept for a function or parameter: [a-zA-Z0-9_-], lower case. */
export const cleanup = (s: string) => s.replace(/[^a-zA-Z0-9_-]/g, "_").toLowerCase();

const DYNAMIC = ["_$_", "_#_", "_@_"];
const isDynamicField = (name: string) => DYNAMIC.some((d) => name.includes(d));

/** How AutoGPT describes a dynamic pin (`values_#_name`) to the model. */
function dynamicFieldDescription(name: string): string {
  const base = sanitizePinName(name);
  const part = (sep: string) => {
    const rest = name.split(sep)[1] ?? "";
    return rest.includes("_") ? rest.split("_")[0] : rest;
  };
  if (name.includes("_#_")) {
    const key = part("_#_");
    return `Dictionary field '${key}' for base field '${base}' (${base}['${key}'])`;
  }
  if (name.includes("_$_")) {
    const index = part("_$_");
    return `List item ${index} for base field '${base}' (${base}[${index}])`;
  }
  if (name.includes("_@_")) {
    const attr = name.split("_@_")[1] ?? "";
    return `Object attribute '${attr}' for base field '${base}' (${base}.${attr})`;
  }
  return `Value for ${name}`;
}

const toolName = (node: LinkedNode, fallback: string) => {
  const custom = node.metadata.customized_name;
  return cleanup(typeof custom === "string" && custom ? custom : fallback);
};

/** A block node as a function: the block's name and description, one parameter per linked pin, with its schema. */
function blockFunction(node: LinkedNode, sinkPins: string[]): ToolFunction {
  const { block } = node;
  const properties: Record<string, unknown> = {};
  const mapping: Record<string, string> = {};
  const required = new Set<string>();
  const blockRequired = new Set(block.input.required ?? []);
  for (const field of sinkPins) {
    const clean = cleanup(field);
    mapping[clean] = field;
    const pin = block.input.properties[field];
    if (isDynamicField(field)) {
      properties[clean] = { type: "string", description: dynamicFieldDescription(field) };
      if (blockRequired.has(sanitizePinName(field))) required.add(clean);
    } else {
      // The pin's JSON Schema as /api/blocks serializes it (TypeBox's symbols dropped).
      properties[clean] = pin ? JSON.parse(JSON.stringify(pin)) : { type: "string", description: `Value for ${field}` };
      if (blockRequired.has(field)) required.add(clean);
    }
  }
  return {
    type: "function",
    function: {
      name: toolName(node, block.name),
      description: block.description,
      parameters: { type: "object", properties, additionalProperties: false, required: [...required].sort() },
      _field_mapping: mapping,
      _sink_node_id: node.id,
    },
  };
}

/** A sub-agent node as a function: the agent's name and description, its linked inputs as string parameters. */
async function agentFunction(node: LinkedNode, sinkPins: string[], ctx: BlockContext): Promise<ToolFunction> {
  const graphId = node.inputDefault.graph_id;
  const graphVersion = node.inputDefault.graph_version;
  if (typeof graphId !== "string" || !graphId || !graphVersion) {
    throw new Error("Graph ID or Graph Version not found in sink node.");
  }
  const meta = await ctx.graphInfo(graphId, Number(graphVersion));
  if (!meta) throw new Error(`Sink graph metadata not found: ${graphId} ${graphVersion}`);
  const schema = isRecord(node.inputDefault.input_schema) ? node.inputDefault.input_schema : {};
  const schemaProperties = isRecord(schema.properties) ? schema.properties : {};
  const properties: Record<string, unknown> = {};
  const mapping: Record<string, string> = {};
  for (const field of sinkPins) {
    const clean = cleanup(field);
    mapping[clean] = field;
    const prop = isRecord(schemaProperties[field]) ? schemaProperties[field] : {};
    properties[clean] = {
      type: "string",
      description: "description" in prop ? prop.description : `The ${field} of the tool`,
      default: pythonJsonDumps(prop.default ?? null),
    };
  }
  return {
    type: "function",
    function: {
      name: toolName(node, meta.name),
      description: meta.description,
      parameters: { type: "object", properties, additionalProperties: false, strict: true },
      _field_mapping: mapping,
      _sink_node_id: node.id,
    },
  };
}

/** One function per node the `tools` pin is linked to, in link order (AutoGPT's _create_tool_node_signatures). */
export async function toolFunctions(ctx: BlockContext): Promise<ToolFunction[]> {
  const tools: ToolFunction[] = [];
  for (const node of ctx.linkedNodes) {
    const pins = node.links.filter((l) => isToolPin(l.sourceName)).map((l) => l.sinkName);
    if (pins.length === 0) continue;
    tools.push(node.block.id === AGENT_EXECUTOR_ID ? await agentFunction(node, pins, ctx) : blockFunction(node, pins));
  }
  if (tools.length === 0) throw new Error("There is no next node to execute.");
  return tools;
}

/** What the provider is sent: the signature without the routing AutoGPT keeps beside it. */
const asLlmTool = (tool: ToolFunction): LlmTool => {
  const { name, description, parameters } = tool.function;
  return { type: "function", function: { name, description, parameters } };
};

// --- The conversation ----------------------------------------------------------------------------------------------

/** The tool call ids an entry asks for: OpenAI's `tool_calls`, Anthropic's `tool_use` content items. */
function toolRequests(entry: Message): string[] {
  if (entry.role !== "assistant") return [];
  const ids: string[] = [];
  if (Array.isArray(entry.tool_calls)) {
    for (const call of entry.tool_calls) if (isRecord(call) && call.id) ids.push(String(call.id));
  }
  if (Array.isArray(entry.content)) {
    for (const item of entry.content)
      if (isRecord(item) && item.type === "tool_use" && item.id) ids.push(String(item.id));
  }
  return ids;
}

/** The tool call ids an entry answers: OpenAI's `tool` messages, Anthropic's `tool_result` content items. */
function toolResponses(entry: Message): string[] {
  const ids: string[] = [];
  if (entry.role === "tool" && entry.tool_call_id) ids.push(String(entry.tool_call_id));
  if (entry.role === "user" && Array.isArray(entry.content)) {
    for (const item of entry.content) {
      if (isRecord(item) && item.type === "tool_result" && item.tool_use_id) ids.push(String(item.tool_use_id));
    }
  }
  return ids;
}

/** Tool calls of the conversation still waiting for their output, with how many times (AutoGPT's order). */
export function pendingToolCalls(conversation: unknown): Map<string, number> {
  const counts = new Map<string, number>();
  if (!Array.isArray(conversation)) return counts;
  for (const entry of conversation) {
    if (!isRecord(entry)) continue;
    for (const id of toolRequests(entry)) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const id of toolResponses(entry)) counts.set(id, (counts.get(id) ?? 0) - 1);
  }
  for (const [id, n] of counts) if (n <= 0) counts.delete(id);
  return counts;
}

/** A tool's output as the answer to its call, in the format of the provider that made the call. */
function toolResponse(callId: string, output: unknown): Message {
  const content = typeof output === "string" ? output : pythonJsonDumps(output);
  if (callId.startsWith("toolu_")) {
    return { role: "user", type: "message", content: [{ tool_use_id: callId, type: "tool_result", content }] };
  }
  return { role: "tool", tool_call_id: callId, content };
}

/** Several Anthropic tool results go back as one user turn. */
function combineToolResponses(outputs: Message[]): Message[] {
  const anthropic = outputs.filter(
    (o) =>
      o.role === "user" &&
      o.type === "message" &&
      Array.isArray(o.content) &&
      o.content.some((i) => isRecord(i) && i.type === "tool_result"),
  );
  if (outputs.length <= 1 || anthropic.length <= 1) return outputs;
  const combined = { role: "user", type: "message", content: anthropic.flatMap((o) => o.content as unknown[]) };
  return [combined, ...outputs.filter((o) => !anthropic.includes(o))];
}

const text = (v: unknown) => (typeof v === "string" ? v : v === null || v === undefined ? null : pythonJsonDumps(v));

/**
 * A conversation entry as the LLM layer takes it (OpenAI's format). Anthropic entries (content lists of text,
 * tool_use and tool_result items, as AutoGPT stores Claude's turns) become assistant tool calls and tool answers.
 */
function toLlmMessages(entry: Message): LlmMessage[] {
  const role = entry.role;
  if (Array.isArray(entry.content) && (role === "assistant" || role === "user")) {
    const items = entry.content.filter(isRecord);
    const said = items
      .filter((i) => i.type === "text")
      .map((i) => String(i.text ?? ""))
      .join("");
    if (role === "assistant") {
      const calls: LlmToolCall[] = items
        .filter((i) => i.type === "tool_use")
        .map((i) => ({
          id: String(i.id),
          type: "function",
          function: { name: String(i.name), arguments: JSON.stringify(i.input ?? {}) },
        }));
      return [{ role: "assistant", content: said || null, ...(calls.length ? { tool_calls: calls } : {}) }];
    }
    const results: LlmMessage[] = items
      .filter((i) => i.type === "tool_result")
      .map((i) => ({ role: "tool", tool_call_id: String(i.tool_use_id), content: text(i.content) ?? "" }));
    return said ? [...results, { role: "user", content: said }] : results;
  }
  const message: LlmMessage = {
    role: role === "system" || role === "assistant" || role === "tool" ? role : "user",
    content: text(entry.content),
  };
  if (Array.isArray(entry.tool_calls) && entry.tool_calls.length > 0) {
    message.tool_calls = entry.tool_calls.filter(isRecord).map((c) => {
      const fn = isRecord(c.function) ? c.function : {};
      return {
        id: String(c.id),
        type: "function",
        function: {
          name: String(fn.name ?? ""),
          arguments: typeof fn.arguments === "string" ? fn.arguments : JSON.stringify(fn.arguments ?? {}),
        },
      };
    });
  }
  if (entry.tool_call_id !== undefined) message.tool_call_id = String(entry.tool_call_id);
  return [message];
}

/** The model's turn as the conversation keeps it: Claude's message as Anthropic gave it, else OpenAI's message. */
function assistantEntry(response: LlmCallResponse): Message {
  const raw = response.raw;
  if (isRecord(raw) && raw.type === "message" && raw.role === "assistant" && Array.isArray(raw.content)) {
    return JSON.parse(JSON.stringify(raw)) as Message;
  }
  return {
    role: "assistant",
    content: response.toolCalls.length > 0 && !response.text ? null : response.text,
    ...(response.toolCalls.length > 0 ? { tool_calls: response.toolCalls } : {}),
  };
}

/**
 * The model's turn added to the conversation, with its reasoning before it: in agent mode not before Claude's
 * tool_use (it would split the tool_use from its tool_result), as AutoGPT's agent mode; its traditional mode always.
 */
function addTurn(
  conversation: Message[],
  response: LlmCallResponse,
  toolOutputs: Message[] = [],
  agentMode = true,
): void {
  const entry = assistantEntry(response);
  const usedTools = Array.isArray(entry.content) && entry.content.some((i) => isRecord(i) && i.type === "tool_use");
  if (response.reasoning && !(agentMode && usedTools)) {
    conversation.push({ role: "assistant", content: `[Reasoning]: ${response.reasoning}` });
  }
  conversation.push(entry, ...toolOutputs);
}

// --- Tool calls ------------------------------------------------------------------------------------------------------

const findTool = (tools: ToolFunction[], name: string) =>
  tools.find((t) => t.function.name === name) ?? (tools.length === 1 ? tools[0] : undefined);

/** Python's sorted(list) as it prints: ['a', 'b']. */
const sortedRepr = (names: Iterable<string>) => `[${[...names].sort().map(pyRepr).join(", ")}]`;

function parseArguments(call: LlmToolCall): Record<string, unknown> {
  const args: unknown = JSON.parse(call.function.arguments);
  if (!isRecord(args)) throw new Error("the arguments are not a JSON object");
  return args;
}

/** What is wrong with the model's tool calls (unknown tools, bad JSON, unknown or missing parameters), if anything. */
function toolCallErrors(calls: LlmToolCall[], tools: ToolFunction[]): string[] {
  const errors: string[] = [];
  for (const call of calls) {
    const name = call.function.name;
    let args: Record<string, unknown>;
    try {
      args = parseArguments(call);
    } catch (err) {
      errors.push(`Tool call '${name}' has invalid JSON arguments: ${err instanceof Error ? err.message : err}`);
      continue;
    }
    const tool = findTool(tools, name);
    if (!tool) errors.push(`Tool call for '${name}' does not match any known tool definition.`);
    const parameters = tool?.function.parameters;
    const expected = new Set(Object.keys(tool ? ((parameters?.properties as object) ?? {}) : args));
    const required = new Set(tool ? ((parameters?.required as string[] | undefined) ?? []) : []);
    const unknown = Object.keys(args).filter((a) => !expected.has(a));
    const missing = [...required].filter((r) => !(r in args));
    if (unknown.length === 0 && missing.length === 0) continue;
    let message = `Tool call '${name}' has parameter errors:`;
    if (unknown.length) message += ` Unknown parameters: ${sortedRepr(unknown)}.`;
    if (missing.length) message += ` Missing required parameters: ${sortedRepr(missing)}.`;
    message += ` Expected parameters: ${sortedRepr(expected)}.`;
    if (required.size) message += ` Required parameters: ${sortedRepr(required)}.`;
    errors.push(message);
  }
  return errors;
}

/** A tool call resolved against its tool: the node it runs and the value of each linked pin (null when omitted). */
interface ToolInvocation {
  call: LlmToolCall;
  tool: ToolFunction;
  input: Record<string, unknown>;
}

function invocations(calls: LlmToolCall[], tools: ToolFunction[]): ToolInvocation[] {
  const out: ToolInvocation[] = [];
  for (const call of calls) {
    const tool = findTool(tools, call.function.name);
    if (!tool) continue;
    const args = parseArguments(call);
    const input: Record<string, unknown> = {};
    for (const clean of Object.keys((tool.function.parameters.properties as object) ?? {})) {
      input[tool.function._field_mapping[clean] ?? clean] = args[clean] ?? null;
    }
    out.push({ call, tool, input });
  }
  return out;
}

// --- The block -------------------------------------------------------------------------------------------------------

interface TurnOptions {
  model: string;
  credentials: Credentials | undefined;
  tools: ToolFunction[];
  max_tokens: number | null;
  ollama_host: string;
  multiple_tool_calls: boolean;
  conversation_compaction: boolean;
}

/** One call of the model; a reply whose tool calls do not fit the tools is an error the caller may re-ask about. */
async function callModel(ctx: BlockContext, options: TurnOptions, conversation: Message[]) {
  const response = await llmCall(ctx, options.credentials, {
    model: options.model,
    messages: conversation.flatMap(toLlmMessages),
    maxTokens: options.max_tokens,
    tools: options.tools.map(asLlmTool),
    parallelToolCalls: options.multiple_tool_calls,
    ollamaHost: options.ollama_host,
    compressToFit: options.conversation_compaction,
  });
  const errors = toolCallErrors(response.toolCalls, options.tools);
  return { response, error: errors.length > 0 ? errors.join("; ") : undefined };
}

const Input = inputs({
  prompt: Type.String({
    description: "The prompt to send to the language model.",
    placeholder: "Enter your prompt here...",
  }),
  model: llmModelField({ advanced: false }),
  credentials: llmCredentialsField(),
  multiple_tool_calls: Type.Boolean({
    title: "Multiple Tool Calls",
    default: false,
    description: "Whether to allow multiple tool calls in a single response.",
    advanced: true,
  }),
  sys_prompt: Type.String({
    title: "System Prompt",
    default: DEFAULT_SYS_PROMPT,
    description: "The system prompt to provide additional context to the model.",
  }),
  conversation_history: Nullable(Type.Array(Dict()), {
    default: [],
    description: "The conversation history to provide context for the prompt.",
  }),
  last_tool_output: AnyValue({ default: null, description: "The output of the last tool that was called." }),
  retry: Type.Integer({
    title: "Retry Count",
    default: 3,
    description: "Number of times to retry the LLM call if the response does not match the expected format.",
  }),
  prompt_values: Dict(Type.String(), {
    advanced: false,
    default: {},
    description:
      "Values used to fill in the prompt. The values can be used in the prompt by putting them in a double curly braces, e.g. {{variable_name}}.",
  }),
  max_tokens: Nullable(Type.Integer(), {
    advanced: true,
    default: null,
    description: "The maximum number of tokens to generate in the chat completion.",
  }),
  ollama_host: Type.String({
    advanced: true,
    default: "localhost:11434",
    description: "Ollama host for local  models",
  }),
  agent_mode_max_iterations: Type.Integer({
    title: "Agent Mode Max Iterations",
    description:
      "Maximum iterations for agent mode. 0 = traditional mode (single LLM call, yield tool calls for external execution), -1 = infinite agent mode (loop until finished), 1+ = agent mode with max iterations limit.",
    advanced: true,
    default: 0,
  }),
  conversation_compaction: Type.Boolean({
    default: true,
    title: "Context window auto-compaction",
    description: "Automatically compact the context window once it hits the limit",
  }),
});

export const smartDecisionMaker = defineBlock({
  id: "3b191d9f-356f-482d-8238-ba04b6d18381",
  name: "SmartDecisionMakerBlock",
  description: "Uses AI to intelligently decide what tool to use.",
  categories: ["AI"],
  blockType: "AI",
  costs: LLM_COSTS,
  input: Input,
  output: outputs({
    tools: AnyValue({ description: "The tools that are available to use." }),
    finished: Type.String({ description: "The finished message to display to the user." }),
    conversations: Type.Array(AnyValue(), {
      description: "The conversation history to provide context for the prompt.",
    }),
  }),
  // The conversation loops back through these: a turn runs when its tool's output (or its history) has arrived.
  optionalLinkedPins: ["conversation_history", "last_tool_output"],
  waitingFor(input) {
    const pending = pendingToolCalls(input.conversation_history);
    const output = input.last_tool_output;
    if ((output === null || output === undefined) && pending.size > 0) return ["last_tool_output"];
    if (output !== null && output !== undefined && pending.size === 0) return ["conversation_history"];
    return [];
  },
  async *run(input, ctx) {
    const tools = await toolFunctions(ctx);
    yield ["tool_functions", pythonJsonDumps(tools)];

    const history = (input.conversation_history ?? []) as Message[];
    const conversation: Message[] = history
      .filter((m) => isRecord(m) && Object.keys(m).length > 0)
      .map((m) => ({ ...m }));
    const pending = pendingToolCalls(history);
    const lastOutput = input.last_tool_output;
    if (pending.size > 0 && (lastOutput === null || lastOutput === undefined)) {
      throw new Error(`Tool call requires an output for ${pyRepr(Object.fromEntries(pending))}`);
    }
    if (pending.size > 0) {
      const [first] = pending.keys();
      conversation.push(toolResponse(first, lastOutput));
      // More calls of the same turn still to answer: wait for their outputs before asking the model again.
      if (pendingToolCalls(conversation).size > 0) {
        yield ["conversations", [...conversation]];
        return;
      }
    } else if (pyTruthy(lastOutput)) {
      conversation.push({ role: "user", content: `Last tool output: ${pythonJsonDumps(lastOutput)}` });
    }

    let { prompt, sys_prompt } = input;
    if (Object.keys(input.prompt_values).length > 0) {
      prompt = await renderTemplate(prompt, input.prompt_values, { signal: ctx.signal });
      sys_prompt = await renderTemplate(sys_prompt, input.prompt_values, { signal: ctx.signal });
    }
    const objective = (role: string) =>
      conversation.some(
        (m) => m.role === role && typeof m.content === "string" && m.content.startsWith(MAIN_OBJECTIVE_PREFIX),
      );
    if (sys_prompt && !objective("system"))
      conversation.push({ role: "system", content: MAIN_OBJECTIVE_PREFIX + sys_prompt });
    if (prompt && !objective("user")) conversation.push({ role: "user", content: MAIN_OBJECTIVE_PREFIX + prompt });

    const credentials = credentialsOf(ctx);
    const options: TurnOptions = { ...input, model: String(input.model), credentials, tools };
    if (input.agent_mode_max_iterations !== 0) {
      yield* agentMode(ctx, options, conversation, input.agent_mode_max_iterations);
      return;
    }

    // Traditional mode: one answer; invalid tool calls are re-asked with the errors, up to `retry` times.
    let asked = [...conversation];
    let response: LlmCallResponse | undefined;
    let lastError: string | undefined;
    for (let attempt = 0; attempt < Math.max(1, input.retry); attempt++) {
      const result = await callModel(ctx, options, asked);
      if (!result.error) {
        response = result.response;
        break;
      }
      lastError = result.error;
      asked = [
        ...asked,
        {
          role: "user",
          content:
            "Your tool call had errors. Please fix the following issues and try again:\n" +
            `- ${result.error}\n` +
            "\nPlease make sure to use the exact tool and parameter names as specified in the function schema.",
        },
      ];
    }
    if (!response) throw new Error(lastError ?? "Failed to get valid response after all retry attempts");
    if (response.toolCalls.length === 0) {
      yield ["finished", response.text];
      return;
    }
    for (const { tool, input: args } of invocations(response.toolCalls, tools)) {
      for (const [pin, value] of Object.entries(args)) yield [toolPinName(tool.function._sink_node_id, pin), value];
    }
    addTurn(conversation, response, [], false);
    yield ["conversations", [...conversation]];
  },
  test: [
    {
      input: { prompt: "What is 1 + 2?", model: "gpt-4o", credentials: TEST_CREDENTIALS_INPUT },
      context: exampleContext({ name: "calculatorblock", arguments: '{"operation": "Add", "a": 1, "b": 2}' }),
      output: [
        [
          "tool_functions",
          (v: unknown) => typeof v === "string" && JSON.parse(v)[0].function.name === "calculatorblock",
        ],
        ["tools_^_calc_~_operation", "Add"],
        ["tools_^_calc_~_a", 1],
        ["tools_^_calc_~_b", 2],
        [
          "conversations",
          (v: unknown) => Array.isArray(v) && v.at(-1)?.tool_calls?.[0]?.function.name === "calculatorblock",
        ],
      ],
    },
    {
      input: { prompt: "Say done", model: "gpt-4o", credentials: TEST_CREDENTIALS_INPUT },
      context: exampleContext("Done"),
      output: [
        ["tool_functions", (v: unknown) => typeof v === "string"],
        ["finished", "Done"],
      ],
    },
  ],
});

/**
 * The examples' context: a CalculatorBlock node linked to `tools`, and a scripted OpenAI answering (streamed, as
 * llmCall asks) with `reply`, a text or one tool call.
 */
function exampleContext(reply: string | { name: string; arguments: string }): Partial<BlockContext> {
  const delta =
    typeof reply === "string"
      ? { role: "assistant", content: reply }
      : { role: "assistant", tool_calls: [{ index: 0, id: "call_1", type: "function", function: reply }] };
  const chunk = (choices: unknown[], extra = {}) => ({ id: "c", object: "chat.completion.chunk", choices, ...extra });
  const events = [
    chunk([{ index: 0, delta, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, finish_reason: typeof reply === "string" ? "stop" : "tool_calls" }]),
    chunk([], { usage: { prompt_tokens: 10, completion_tokens: 5 } }),
  ];
  const body = `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("")}data: [DONE]\n\n`;
  const pins = ["operation", "a", "b"].map((sinkName) => ({ sourceName: "tools", sinkName }));
  return {
    credentials: TEST_CREDENTIALS,
    http: scriptedHttp(() => ({ headers: { "content-type": "text/event-stream" }, body })),
    linkedNodes: [{ id: "calc", block: calculator, inputDefault: {}, metadata: {}, links: pins }],
  };
}

/** Agent mode: the block runs the chosen tools itself and answers the model with their outputs, until it finishes. */
async function* agentMode(
  ctx: BlockContext,
  options: TurnOptions,
  conversation: Message[],
  maxIterations: number,
): AsyncGenerator<BlockOutput> {
  let iteration = 0;
  while (maxIterations < 0 || iteration < maxIterations) {
    iteration++;
    const asked = [...conversation];
    if (maxIterations > 0 && iteration === maxIterations) {
      asked.push({
        role: "system",
        content:
          `${MAIN_OBJECTIVE_PREFIX}This is your last iteration (${iteration}/${maxIterations}). ` +
          "Try to complete the task with the information you have. If you cannot fully complete it, " +
          "provide a summary of what you've accomplished and what remains to be done. " +
          "Prefer finishing with a clear response rather than making additional tool calls.",
      });
    }
    let response: LlmCallResponse;
    try {
      const result = await callModel(ctx, options, asked);
      if (result.error) throw new Error(result.error);
      response = result.response;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      yield [
        "error",
        `LLM call failed in agent mode iteration ${iteration}: ${err instanceof Error ? err.message : err}`,
      ];
      return;
    }
    const calls = invocations(response.toolCalls, options.tools);
    if (calls.length === 0) {
      yield ["finished", response.text];
      addTurn(conversation, response);
      yield ["conversations", [...conversation]];
      return;
    }
    const outputs: Message[] = [];
    for (const { call, tool, input } of calls) outputs.push(await runTool(ctx, call, tool, input));
    addTurn(conversation, response, combineToolResponses(outputs));
    yield ["conversations", [...conversation]];
  }
  yield [
    "finished",
    maxIterations < 0
      ? `Agent mode completed after ${iteration} iterations`
      : `Agent mode completed after ${maxIterations} iterations (limit reached)`,
  ];
  yield ["conversations", [...conversation]];
}

/** Runs one tool node of the graph with the call's arguments; its outputs (or its failure) answer the call. */
async function runTool(
  ctx: BlockContext,
  call: LlmToolCall,
  tool: ToolFunction,
  input: Record<string, unknown>,
): Promise<Message> {
  if (!ctx.runNode) return toolResponse(call.id, "Tool execution failed: tools can only run inside a graph");
  try {
    if (Object.keys(input).length === 0) throw new Error(`Tool call has no input data: ${call.function.name}`);
    // An argument the model left out leaves the pin to its default, rather than failing the tool on a null.
    const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null));
    const outputs = await ctx.runNode(tool.function._sink_node_id, given);
    return toolResponse(
      call.id,
      Object.keys(outputs).length > 0 ? pythonJsonDumps(outputs) : "Tool executed successfully",
    );
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return toolResponse(call.id, `Tool execution failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export const smartDecisionBlocks: Block[] = [smartDecisionMaker];
