// The one LLM call every LLM block (and SmartDecisionMakerBlock) makes: routes a model to its provider (AutoGPT's
// llm_call), speaks that provider's API through the official SDK over the block context's HTTP client, and reports
// the tokens used into the node's stats.
//
// OpenAI, OpenRouter, Groq, Llama API, AI/ML API and v0 speak OpenAI chat completions at their base URLs; Anthropic
// speaks Messages (system messages lifted out, tool calls and results mapped to tool_use/tool_result); Ollama its own
// /api/generate. The SDKs never retry (maxRetries 0): the HTTP client retries 429 and 5xx with backoff, honouring
// Retry-After, so every attempt passes the same guard and is counted.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { Credentials } from "../credentials.js";
import { pyRepr } from "../python.js";
import type { BlockContext } from "../sdk.js";
import { compressPrompt, promptTokens } from "./compress.js";
import { type LlmProvider, MODELS, modelInfo } from "./models.js";
import { sdkFetch } from "./sdk-fetch.js";

export interface LlmToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}
export interface LlmMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string | null;
  tool_calls?: LlmToolCall[];
  tool_call_id?: string;
}
export interface LlmTool {
  type: "function";
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}
export interface LlmCallRequest {
  model: string;
  messages: LlmMessage[];
  maxTokens?: number | null;
  tools?: LlmTool[];
  parallelToolCalls?: boolean;
  jsonOutput?: boolean;
  /** A user-given Ollama host (AutoGPT's `ollama_host`); it goes through the SSRF guard unless it is the operator's. */
  ollamaHost?: string | null;
  /** Fit the prompt into half the model's context window by truncation (AutoGPT's compress_prompt_to_fit); default true. */
  compressToFit?: boolean;
  /** Stream the answer; by default OpenAI and Anthropic models are streamed, the others answered in one body. */
  stream?: boolean;
}
export interface LlmCallResponse {
  text: string;
  toolCalls: LlmToolCall[];
  reasoning: string | null;
  promptTokens: number;
  completionTokens: number;
  raw: unknown;
}

/** A provider's refusal, with its HTTP status (401/403/429 are the user's to fix, as AutoGPT sorts them). */
export class LlmApiError extends Error {
  override name = "LlmApiError";
  constructor(
    message: string,
    readonly provider: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A call that cannot be made as asked (no or wrong credentials, an unknown model, tools a provider lacks): no retry helps. */
export class LlmSetupError extends Error {
  override name = "LlmSetupError";
}

/** Where each provider's API lives unless the operator says otherwise (PROVIDER_BASE_URL_<NAME>, OPENAI_BASE_URL…). */
export const PROVIDER_BASE_URLS: Record<LlmProvider, string> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com",
  open_router: "https://openrouter.ai/api/v1",
  groq: "https://api.groq.com/openai/v1",
  llama_api: "https://api.llama.com/compat/v1/",
  aiml_api: "https://api.aimlapi.com/v2",
  v0: "https://api.v0.dev/v1",
  ollama: "http://localhost:11434",
};

/** The environment variable an operator sets for a provider's key, named in the missing-credentials error. */
const KEY_VARIABLES: Partial<Record<LlmProvider, string>> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  open_router: "OPEN_ROUTER_API_KEY",
  groq: "GROQ_API_KEY",
};

/** AutoGPT's default `ollama_host`, which means "the operator's Ollama" (OLLAMA_HOST) here. */
export const DEFAULT_OLLAMA_HOST = "localhost:11434";

/**
 * Streamed by default: the two APIs whose streams (with usage) every compatible server speaks alike. The others
 * answer in one JSON body, as AutoGPT asks them, since not all of them take `stream_options`.
 */
const STREAMING: ReadonlySet<LlmProvider> = new Set(["openai", "anthropic"]);
const RETRY = { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 30_000 };
/** Per attempt, as AutoGPT gives Anthropic (600 s); the node timeout still bounds the whole call. */
const TIMEOUT_MS = 600_000;

/** AutoGPT's budget: the user's max_tokens, capped by the model's output limit and what the context window leaves. */
function outputBudget(model: string, messages: LlmMessage[], asked: number | null | undefined): number {
  const info = modelInfo(model);
  const modelMax = info?.maxOutputTokens ?? 2 ** 15;
  const userMax = asked || modelMax;
  const available = Math.max((info?.contextWindow ?? 128_000) - promptTokens(messages), 0);
  return Math.max(Math.min(available, modelMax, userMax), 1);
}

function apiKeyOf(credentials: Credentials | undefined, provider: LlmProvider, model: string): string {
  if (!credentials) {
    const variable = KEY_VARIABLES[provider];
    throw new LlmSetupError(
      `No ${provider} credentials for model ${model}: choose ${provider} credentials for \`credentials\`` +
        (variable ? ` or have the operator set ${variable}` : ""),
    );
  }
  if (credentials.provider !== provider) {
    throw new LlmSetupError(
      `The model ${model} is served by ${provider}, but the credentials chosen are for ${credentials.provider}`,
    );
  }
  if (credentials.type !== "api_key") {
    throw new LlmSetupError(`LLM credentials must be an API key, got ${credentials.type} for ${provider}`);
  }
  return credentials.api_key;
}

/** The SDK's error as ours: status and the provider's message, never the request's headers. */
function asLlmError(err: unknown, provider: string): unknown {
  if (err instanceof OpenAI.APIError || err instanceof Anthropic.APIError) {
    const status = typeof err.status === "number" ? err.status : undefined;
    if (status === undefined) {
      const cause = (err as { cause?: unknown }).cause;
      return cause instanceof Error ? cause : err;
    }
    // The SDK's message starts with the status already ("429 Rate limit reached").
    const detail = err.message.startsWith(`${status} `) ? err.message.slice(`${status} `.length) : err.message;
    return new LlmApiError(`${provider} API answered ${status}: ${detail}`, provider, status);
  }
  return err;
}

/** Calls `request.model`'s provider with `request.messages` and reports the usage; throws on any failure. */
export async function llmCall(
  ctx: BlockContext,
  credentials: Credentials | undefined,
  request: LlmCallRequest,
): Promise<LlmCallResponse> {
  const info = modelInfo(request.model);
  if (!info) throw new LlmSetupError(`Unknown LLM model ${JSON.stringify(request.model)}`);
  const provider = info.provider;
  // A provider-prefixed name ("anthropic/claude-sonnet-4-6") is sent as the model it names, as AutoGPT resolves it.
  if (!MODELS[request.model]) request = { ...request, model: request.model.slice(request.model.indexOf("/") + 1) };
  if (request.compressToFit !== false) {
    request = { ...request, messages: compressPrompt(request.messages, Math.floor(info.contextWindow / 2)) };
  }
  const maxTokens = outputBudget(request.model, request.messages, request.maxTokens);
  let attempts = 0;
  const usage = (r: LlmCallResponse) => {
    // The SDKs end a stream quietly when it is aborted: a cut-short answer is not an answer.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.reportUsage({
      tokens_in: r.promptTokens,
      tokens_out: r.completionTokens,
      llm_calls: 1,
      llm_retries: Math.max(0, attempts - 1),
      requests: attempts,
    });
    return r;
  };
  const http = ctx.http.forProvider(provider, PROVIDER_BASE_URLS[provider]);
  const stream = request.stream ?? STREAMING.has(provider);
  const fetch = sdkFetch(http, {
    retry: RETRY,
    timeoutMs: TIMEOUT_MS,
    signal: ctx.signal,
    stream,
    onAttempt: () => attempts++,
  });
  try {
    if (provider === "ollama") {
      return usage(await ollamaCall(ctx, request, maxTokens, () => attempts++));
    }
    const apiKey = apiKeyOf(credentials, provider, request.model);
    if (provider === "anthropic") {
      // Everything is given, so the SDK reads nothing from the environment (ANTHROPIC_AUTH_TOKEN…).
      const client = new Anthropic({
        apiKey,
        authToken: null,
        baseURL: http.baseUrl,
        fetch,
        maxRetries: 0,
        timeout: TIMEOUT_MS,
      });
      return usage(await anthropicCall(client, request, maxTokens, stream, ctx.signal));
    }
    if (provider === "groq" && request.tools?.length) throw new LlmSetupError("Groq does not support tools.");
    const client = new OpenAI({
      apiKey,
      organization: null,
      project: null,
      baseURL: http.baseUrl,
      fetch,
      maxRetries: 0,
      timeout: TIMEOUT_MS,
      defaultHeaders: provider === "open_router" ? { "X-Title": "Agentry" } : undefined,
    });
    return usage(await openAiCall(client, provider, request, maxTokens, stream, ctx.signal));
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (attempts > 0) ctx.reportUsage({ llm_calls: 1, llm_retries: Math.max(0, attempts - 1), requests: attempts });
    throw asLlmError(err, provider);
  }
}

type ChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;

async function openAiCall(
  client: OpenAI,
  provider: LlmProvider,
  request: LlmCallRequest,
  maxTokens: number,
  stream: boolean,
  signal: AbortSignal,
): Promise<LlmCallResponse> {
  const params: Record<string, unknown> = {
    model: request.model,
    messages: request.messages,
  };
  // OpenAI's reasoning models refuse max_tokens; max_completion_tokens is what every current OpenAI model takes.
  if (provider === "openai") params.max_completion_tokens = maxTokens;
  else params.max_tokens = maxTokens;
  // AutoGPT sends AI/ML API no tools (and gets no tool calls back).
  if (request.tools?.length && provider !== "aiml_api") {
    params.tools = request.tools;
    // AutoGPT omits the flag for the o-series and when it is not set.
    if (request.parallelToolCalls !== undefined && !request.model.startsWith("o")) {
      params.parallel_tool_calls = request.parallelToolCalls;
    }
  }
  if (request.jsonOutput && (provider === "openai" || provider === "groq" || provider === "v0")) {
    params.response_format = { type: "json_object" };
  }
  if (!stream) {
    const completion = await client.chat.completions.create(params as unknown as ChatParams, { signal });
    const choice = completion.choices[0];
    if (!choice) throw new Error(`${provider} returned no choices`);
    const message = choice.message as typeof choice.message & { reasoning?: unknown };
    return {
      text: message.content ?? "",
      toolCalls: (message.tool_calls ?? [])
        .filter((c) => c.type === "function")
        .map((c) => ({
          id: c.id,
          type: "function" as const,
          function: { name: c.function.name, arguments: c.function.arguments },
        })),
      reasoning: message.reasoning ? String(message.reasoning) : null,
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
      raw: completion,
    };
  }
  const chunks = await client.chat.completions.create(
    { ...(params as unknown as ChatParams), stream: true, stream_options: { include_usage: true } },
    { signal },
  );
  let text = "";
  let reasoning = "";
  let promptTokens = 0;
  let completionTokens = 0;
  let chunkCount = 0;
  const calls: LlmToolCall[] = [];
  for await (const chunk of chunks) {
    chunkCount++;
    if (chunk.usage) {
      promptTokens = chunk.usage.prompt_tokens ?? 0;
      completionTokens = chunk.usage.completion_tokens ?? 0;
    }
    const delta = chunk.choices?.[0]?.delta as
      | (OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta & { reasoning?: string | null })
      | undefined;
    if (!delta) continue;
    if (delta.content) text += delta.content;
    if (delta.reasoning) reasoning += delta.reasoning;
    for (const part of delta.tool_calls ?? []) {
      calls[part.index] ??= { id: "", type: "function", function: { name: "", arguments: "" } };
      const call = calls[part.index] as LlmToolCall;
      if (part.id) call.id = part.id;
      if (part.function?.name) call.function.name += part.function.name;
      if (part.function?.arguments) call.function.arguments += part.function.arguments;
    }
  }
  if (chunkCount === 0) throw new Error(`${provider} returned an empty stream`);
  const toolCalls = calls.filter(Boolean);
  return {
    text,
    toolCalls,
    reasoning: reasoning || null,
    promptTokens,
    completionTokens,
    raw: { text, tool_calls: toolCalls, usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens } },
  };
}

type AnthropicBlock = Anthropic.Messages.ContentBlockParam;
type AnthropicMessage = { role: "user" | "assistant"; content: string | AnthropicBlock[] };

/** OpenAI-format messages as Anthropic's: same-role turns merged, tool calls as tool_use, tool answers as tool_result. */
export function toAnthropicMessages(messages: LlmMessage[]): { system: string; messages: AnthropicMessage[] } {
  const system = messages
    .filter((m) => m.role === "system")
    .map((m) => m.content ?? "")
    .join(" ");
  const out: AnthropicMessage[] = [];
  const push = (role: "user" | "assistant", content: string | AnthropicBlock[]) => {
    const last = out.at(-1);
    if (last && last.role === role) {
      // AutoGPT concatenates consecutive text turns of one role; blocks are appended to the same turn.
      if (typeof last.content === "string" && typeof content === "string") {
        last.content += content;
        return;
      }
      const blocks = (c: string | AnthropicBlock[]): AnthropicBlock[] =>
        typeof c === "string" ? (c ? [{ type: "text", text: c }] : []) : c;
      last.content = [...blocks(last.content), ...blocks(content)];
      return;
    }
    out.push({ role, content });
  };
  for (const m of messages) {
    if (m.role === "user") push("user", m.content ?? "");
    else if (m.role === "assistant") {
      if (m.tool_calls?.length) {
        const blocks: AnthropicBlock[] = m.content ? [{ type: "text", text: m.content }] : [];
        for (const call of m.tool_calls) {
          let input: unknown = {};
          try {
            input = call.function.arguments ? JSON.parse(call.function.arguments) : {};
          } catch {
            input = {};
          }
          blocks.push({ type: "tool_use", id: call.id, name: call.function.name, input });
        }
        push("assistant", blocks);
      } else push("assistant", m.content ?? "");
    } else if (m.role === "tool") {
      push("user", [{ type: "tool_result", tool_use_id: m.tool_call_id ?? "", content: m.content ?? "" }]);
    }
  }
  return { system, messages: out };
}

/** AutoGPT's convert_openai_tool_fmt_to_anthropic. */
function anthropicTools(tools: LlmTool[]): Anthropic.Messages.Tool[] {
  return tools.map((tool) => {
    const parameters = tool.function.parameters ?? {};
    return {
      name: tool.function.name,
      description: tool.function.description ?? "",
      input_schema: {
        type: "object",
        properties: (parameters.properties as Record<string, unknown> | undefined) ?? {},
        required: (parameters.required as string[] | undefined) ?? [],
      },
    };
  });
}

async function anthropicCall(
  client: Anthropic,
  request: LlmCallRequest,
  maxTokens: number,
  stream: boolean,
  signal: AbortSignal,
): Promise<LlmCallResponse> {
  const { system, messages } = toAnthropicMessages(request.messages);
  const params: Anthropic.Messages.MessageCreateParamsNonStreaming = {
    model: request.model,
    messages: messages as Anthropic.Messages.MessageParam[],
    max_tokens: maxTokens,
  };
  if (request.tools?.length) {
    const tools = anthropicTools(request.tools);
    // As AutoGPT: the tool definitions are cached with the system prompt.
    tools[tools.length - 1] = {
      ...tools[tools.length - 1],
      cache_control: { type: "ephemeral" },
    } as Anthropic.Messages.Tool;
    params.tools = tools;
  }
  if (system.trim()) params.system = [{ type: "text", text: system, cache_control: { type: "ephemeral" } }];
  const message = stream
    ? await client.messages.stream(params, { signal }).finalMessage()
    : await client.messages.create(params, { signal });
  if (!message.content?.length) throw new Error("No content returned from Anthropic.");
  const toolCalls: LlmToolCall[] = [];
  let reasoning: string | null = null;
  for (const block of message.content) {
    if (block.type === "tool_use") {
      toolCalls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    } else if (block.type === "thinking" && reasoning === null) reasoning = block.thinking;
  }
  const first = message.content[0];
  const text =
    first?.type === "tool_use"
      ? first.name
      : message.content
          .filter((b): b is Anthropic.Messages.TextBlock => b.type === "text")
          .map((b) => b.text)
          .join("");
  return {
    text,
    toolCalls,
    reasoning,
    promptTokens: message.usage?.input_tokens ?? 0,
    completionTokens: message.usage?.output_tokens ?? 0,
    raw: message,
  };
}

/** The Ollama endpoint: the operator's (OLLAMA_HOST) for AutoGPT's default host, else the user's, guarded. */
function ollamaBase(ctx: BlockContext, host: string | null | undefined): { http: BlockContext["http"]; url: string } {
  const operator = ctx.http.forProvider("ollama", PROVIDER_BASE_URLS.ollama);
  const given = host?.trim();
  if (!given || given === DEFAULT_OLLAMA_HOST) return { http: operator, url: operator.baseUrl };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : `http://${given}`;
  return { http: ctx.http, url: new URL(withScheme).href };
}

/** AutoGPT's Ollama call: one /api/generate of the system and other messages (as Python lists), not streamed. */
async function ollamaCall(
  ctx: BlockContext,
  request: LlmCallRequest,
  maxTokens: number,
  onAttempt: () => void,
): Promise<LlmCallResponse> {
  if (request.tools?.length) throw new LlmSetupError("Ollama does not support tools.");
  const { http, url } = ollamaBase(ctx, request.ollamaHost);
  const sys = request.messages.filter((m) => m.role === "system").map((m) => m.content ?? "");
  const usr = request.messages.filter((m) => m.role !== "system").map((m) => m.content ?? "");
  onAttempt();
  const res = await http.request({
    url: new URL("api/generate", url.endsWith("/") ? url : `${url}/`),
    json: {
      model: request.model,
      prompt: `${pyRepr(sys)}\n\n${pyRepr(usr)}`,
      stream: false,
      options: { num_ctx: maxTokens },
    },
    retry: RETRY,
    onRetry: onAttempt,
    timeoutMs: TIMEOUT_MS,
  });
  if (!res.ok) {
    throw new LlmApiError(`ollama API answered ${res.status}: ${res.text().slice(0, 300)}`, "ollama", res.status);
  }
  const body = res.json<{ response?: string; prompt_eval_count?: number; eval_count?: number }>();
  return {
    text: body.response ?? "",
    toolCalls: [],
    reasoning: null,
    promptTokens: body.prompt_eval_count ?? 0,
    completionTokens: body.eval_count ?? 0,
    raw: body,
  };
}
