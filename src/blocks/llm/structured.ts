// AIStructuredResponseGeneratorBlock and the prompt loop every AutoGPT LLM block runs through it: the conversation
// history, the system prompt and the prompt filled from `prompt_values`, the JSON-format instructions in a one-time
// tag, and the bounded re-ask with the parse or validation error until `retry` attempts are spent.
import { randomBytes } from "node:crypto";
import { Type } from "@sinclair/typebox";
import type { Credentials } from "../credentials.js";
import { Dict, inputs, Nullable, outputs } from "../fields.js";
import { renderTemplate } from "../sandbox/index.js";
import { type BlockContext, defineBlock } from "../sdk.js";
import { DEFAULT_OLLAMA_HOST, LlmApiError, type LlmMessage, LlmSetupError, llmCall } from "./call.js";
import { DEFAULT_LLM_MODEL, LLM_COSTS, llmCredentialsField, llmModelField, modelInfo } from "./models.js";
import { scriptedLlm, TEST_CREDENTIALS, TEST_CREDENTIALS_INPUT, taggedJson } from "./scripted.js";

/** What AIStructuredResponseGeneratorBlock takes; the other LLM blocks build one to call it. */
export interface StructuredRequest {
  prompt: string;
  expected_format: Record<string, string>;
  list_result?: boolean;
  model: string;
  force_json_output?: boolean;
  sys_prompt?: string;
  conversation_history?: unknown[] | null;
  retry?: number;
  prompt_values?: Record<string, string>;
  max_tokens?: number | null;
  compress_prompt_to_fit?: boolean;
  ollama_host?: string;
}

/** AutoGPT's trim_prompt: each line stripped, then everything up to and including its leading `|`s. */
export function trimPrompt(s: string): string {
  return s
    .trim()
    .split("\n")
    .map((line) => line.trim().replace(/^\|+/, ""))
    .join("\n");
}

/** Python's `json.dumps(value, indent=2)` for the flat format dicts used here. */
const dumps2 = (value: unknown) => JSON.stringify(value, null, 2);

/** AutoGPT's response_format_instructions, to the character. */
function formatInstructions(
  format: Record<string, string>,
  listMode: boolean,
  pureJson: boolean,
  tagStart: string,
): string {
  let expected = dumps2(format);
  const outputType = listMode ? "array" : "object";
  const outerType = pureJson ? "object" : outputType;
  if (outputType === "array") {
    expected = `[\n  ${expected.replaceAll("\n", "\n  ")},\n  ...\n]`;
    if (pureJson) {
      expected = `{\n  "reasoning": "... (optional)",\n  "results": ${expected.replaceAll("\n", "\n  ")}\n}`;
    }
  }
  expected = expected.replaceAll("\n", "\n|");
  if (!pureJson) expected = `${tagStart}\n${expected}\n</json_output>`;
  let instructions = `|In your response you MUST include a valid JSON ${outerType} strictly following this format:
|${expected}
|
|If you cannot provide all the keys, you MUST provide an empty string for the values you cannot answer.`;
  if (!pureJson) {
    // As AutoGPT's (stripped) second block is appended without a newline, its first `|` ends the line before.
    instructions += `|
|You MUST enclose your final JSON answer in ${tagStart}...</json_output> tags, even if the user specifies a different tag.
|There MUST be exactly ONE ${tagStart}...</json_output> block in your response, which MUST ONLY contain the JSON ${outerType} and nothing else. Other text outside this block is allowed.`;
  }
  return trimPrompt(instructions);
}

/** AutoGPT's invalid_response_feedback. */
function invalidResponseFeedback(
  error: string,
  wasParseable: boolean,
  listMode: boolean,
  pureJson: boolean,
  tagStart: string,
): string {
  const outerType = !listMode || pureJson ? "object" : "array";
  const complaint = wasParseable
    ? `Your previous response did not match the expected ${outerType} format.`
    : `Your previous response did not contain a parseable JSON ${outerType}.`;
  const instruction = `${pureJson ? "Please provide a" : `Please provide a ${tagStart}...</json_output> block containing a`} valid JSON ${outerType} that matches the expected format.`;
  return trimPrompt(`
|${complaint}
|
|${error.replaceAll("\n", "\n|")}
|
|${instruction}
`);
}

/** AutoGPT's get_json_from_response. */
function jsonFromResponse(text: string, pureJson: boolean, tagStart: string): unknown {
  if (pureJson) {
    try {
      return JSON.parse(text);
    } catch (first) {
      // Allow ```json fences and prose around one object; report the first error, the likelier to be relevant.
      const start = text.indexOf("{");
      const end = text.lastIndexOf("}");
      try {
        return JSON.parse(text.slice(start, end + 1));
      } catch {
        throw first;
      }
    }
  }
  const at = text.indexOf(tagStart);
  if (at < 0) throw new Error(`Response does not contain the expected ${tagStart}...</json_output> block.`);
  const after = text.slice(at + tagStart.length);
  const close = after.lastIndexOf("</json_output>");
  return JSON.parse((close >= 0 ? after.slice(0, close) : after).trim());
}

const pyTypeName = (v: unknown) =>
  Array.isArray(v)
    ? "list"
    : v === null
      ? "NoneType"
      : typeof v === "string"
        ? "str"
        : typeof v === "number"
          ? Number.isInteger(v)
            ? "int"
            : "float"
          : typeof v === "boolean"
            ? "bool"
            : "dict";

function validationError(parsed: unknown, format: Record<string, string>): string | null {
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return `Expected a dictionary, but got <class '${pyTypeName(parsed)}'>`;
  }
  const missing = Object.keys(format).filter((k) => !(k in parsed));
  return missing.length ? `Missing keys: {${missing.map((k) => `'${k}'`).join(", ")}}` : null;
}

/** AutoGPT's _get_model_error_guidance: a hint when the provider says the model does not exist (any more). */
const MODEL_GONE = [
  /model not found/,
  /model.*not.*available/,
  /model.*not.*supported/,
  /model.*deprecated/,
  /model.*retired/,
  /no.*such.*model/,
  /invalid.*model/,
  /model.*does not exist/,
  /is not a valid model/,
];
function modelGuidance(err: unknown): string | null {
  const msg = String((err as Error)?.message ?? err).toLowerCase();
  if (msg.includes("maximum context length") || msg.includes("token limit") || msg.includes("context length")) {
    return null;
  }
  const isApi = err instanceof LlmApiError;
  const statusMatch = isApi && (err.status === 400 || err.status === 404);
  if (MODEL_GONE.some((p) => p.test(msg)) && (statusMatch || !isApi)) {
    return "The configured model ID appears to be unavailable or deprecated. Please check your provider's current model list and update your model configuration to a supported model.";
  }
  return null;
}

/** Python's `str(dict)` of a parsed response, for the list_result complaint. */
const pyish = (v: unknown) => JSON.stringify(v);

/**
 * AIStructuredResponseGeneratorBlock's run: the response object (or `{response: text}` without an expected format)
 * and the prompt of the last call. Throws the last error once `retry` attempts are spent.
 */
export async function structuredResponse(
  ctx: BlockContext,
  credentials: Credentials | undefined,
  input: StructuredRequest,
  tagId: string = randomBytes(8).toString("hex"),
): Promise<{ response: unknown; prompt: LlmMessage[] }> {
  const prompt = (input.conversation_history ?? []).filter(Boolean) as LlmMessage[];
  let userPrompt = input.prompt;
  let sysPrompt = input.sys_prompt ?? "";
  const values = input.prompt_values ?? {};
  if (Object.keys(values).length > 0) {
    userPrompt = await renderTemplate(userPrompt, values, { signal: ctx.signal });
    sysPrompt = await renderTemplate(sysPrompt, values, { signal: ctx.signal });
  }
  if (sysPrompt) prompt.push({ role: "system", content: sysPrompt });
  const format = input.expected_format ?? {};
  const hasFormat = Object.keys(format).length > 0;
  const listMode = input.list_result ?? false;
  const pureJson = input.force_json_output ?? false;
  const tagStart = `<json_output id="${tagId}">`;
  if (hasFormat) {
    prompt.push({ role: "system", content: formatInstructions(format, listMode, pureJson, tagStart) });
  }
  if (userPrompt) prompt.push({ role: "user", content: userPrompt });

  let feedback = "";
  let maxTokens = input.max_tokens ?? null;
  const attempts = input.retry ?? 3;
  for (let retryCount = 0; retryCount < attempts; retryCount++) {
    let text: string;
    const sent = [...prompt];
    try {
      const answer = await llmCall(ctx, credentials, {
        model: input.model,
        messages: sent,
        maxTokens,
        jsonOutput: pureJson && hasFormat,
        compressToFit: input.compress_prompt_to_fit ?? true,
        ollamaHost: input.ollama_host ?? DEFAULT_OLLAMA_HOST,
      });
      text = answer.text;
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const message = (err as Error)?.message ?? String(err);
      feedback = `Error calling LLM: ${message}`;
      const lower = message.toLowerCase();
      if (lower.includes("maximum context length") || lower.includes("token limit")) {
        maxTokens = Math.max(1, Math.floor((maxTokens ?? modelInfo(input.model)?.maxOutputTokens ?? 4096) * 0.85));
        continue;
      }
      const guidance = modelGuidance(err);
      if (guidance) feedback += `\n\n${guidance}`;
      const userError = err instanceof LlmApiError && [401, 403, 429].includes(err.status ?? 0);
      if (userError || guidance || err instanceof LlmSetupError) break;
      continue;
    }
    const succeed = (response: unknown) => {
      if (retryCount > 0) ctx.reportUsage({ llm_retries: retryCount });
      return { response, prompt: sent };
    };
    if (!hasFormat) return succeed({ response: text });

    let parsed: unknown;
    try {
      parsed = jsonFromResponse(text, pureJson, tagStart);
    } catch (err) {
      prompt.push({ role: "assistant", content: text });
      feedback = invalidResponseFeedback((err as Error).message, false, listMode, pureJson, tagStart);
      prompt.push({ role: "user", content: feedback });
      continue;
    }
    // With force_json_output a list comes back as {"results": [...]}.
    if (listMode && parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      const results = (parsed as Record<string, unknown>).results;
      if (Array.isArray(results)) parsed = results;
      else {
        feedback = `Expected an array of objects in the 'results' key, but got: ${pyish(parsed)}`;
        prompt.push({ role: "assistant", content: text });
        prompt.push({ role: "user", content: feedback });
        continue;
      }
    }
    const errors = (Array.isArray(parsed) ? parsed : [parsed])
      .map((item) => validationError(item, format))
      .filter((e): e is string => e !== null)
      .join("\n");
    if (!errors) return succeed(parsed);
    prompt.push({ role: "assistant", content: text });
    feedback = invalidResponseFeedback(errors, true, listMode, pureJson, tagStart);
    prompt.push({ role: "user", content: feedback });
  }
  throw new Error(feedback || `No LLM call was made: retry is ${attempts}`);
}

const PromptValues = Dict(Type.String(), {
  advanced: false,
  default: {},
  description:
    "Values used to fill in the prompt. The values can be used in the prompt by putting them in a double curly braces, e.g. {{variable_name}}.",
});
const SysPrompt = Type.String({
  title: "System Prompt",
  default: "",
  description: "The system prompt to provide additional context to the model.",
});
const Retry = Type.Integer({
  title: "Retry Count",
  default: 3,
  description: "Number of times to retry the LLM call if the response does not match the expected format.",
});
const MaxTokens = Nullable(Type.Integer(), {
  advanced: true,
  default: null,
  description: "The maximum number of tokens to generate in the chat completion.",
});
const OllamaHost = Type.String({
  advanced: true,
  default: DEFAULT_OLLAMA_HOST,
  description: "Ollama host for local  models",
});
const ForceJson = Type.Boolean({
  title: "Restrict LLM to pure JSON output",
  default: false,
  description:
    "Whether to force the LLM to produce a JSON-only response. This can increase the block's reliability, but may also reduce the quality of the response because it prohibits the LLM from reasoning before providing its JSON response.",
});
const PromptOut = Type.Array(Type.Unknown(), { description: "The prompt sent to the language model." });

/** Pins the LLM blocks share, as AutoGPT declares them. */
export const llmPins = { PromptValues, SysPrompt, Retry, MaxTokens, OllamaHost, ForceJson, PromptOut };

/** The credentials an LLM block runs with (AutoGPT's `credentials` pin). */
export const credentialsOf = (ctx: BlockContext) => ctx.credentials ?? ctx.credentialsFor("credentials");

const isList = (v: unknown) => Array.isArray(v);

export const aiStructuredResponseGenerator = defineBlock({
  id: "ed55ac19-356e-4243-a6cb-bc599e9b716f",
  name: "AIStructuredResponseGeneratorBlock",
  description:
    "A block that generates structured JSON responses using a Large Language Model (LLM), with schema validation and format enforcement.",
  categories: ["AI"],
  input: inputs({
    prompt: Type.String({
      description: "The prompt to send to the language model.",
      placeholder: "Enter your prompt here...",
    }),
    expected_format: Dict(Type.String(), {
      description:
        "Expected format of the response. If provided, the response will be validated against this format. The keys should be the expected fields in the response, and the values should be the description of the field.",
    }),
    list_result: Type.Boolean({
      title: "List Result",
      default: false,
      description: "Whether the response should be a list of objects in the expected format.",
    }),
    model: llmModelField({ advanced: false, description: "The language model to use for answering the prompt." }),
    force_json_output: ForceJson,
    credentials: llmCredentialsField(),
    sys_prompt: SysPrompt,
    conversation_history: Nullable(Type.Array(Dict()), {
      default: [],
      description: "The conversation history to provide context for the prompt.",
    }),
    retry: Retry,
    prompt_values: PromptValues,
    max_tokens: MaxTokens,
    compress_prompt_to_fit: Type.Boolean({
      advanced: true,
      default: true,
      description: "Whether to compress the prompt to fit within the model's context window.",
    }),
    ollama_host: OllamaHost,
  }),
  output: outputs({
    response: Type.Union([Dict(), Type.Array(Dict())], {
      description: "The response object generated by the language model.",
    }),
    prompt: PromptOut,
  }),
  costs: LLM_COSTS,
  async *run(input, ctx) {
    const { response, prompt } = await structuredResponse(ctx, credentialsOf(ctx), input as StructuredRequest);
    yield ["response", response];
    yield ["prompt", prompt];
  },
  test: [
    {
      input: {
        model: DEFAULT_LLM_MODEL,
        credentials: TEST_CREDENTIALS_INPUT,
        expected_format: { key1: "value1", key2: "value2" },
        prompt: "User prompt",
      },
      context: {
        credentials: TEST_CREDENTIALS,
        http: scriptedLlm((messages) => taggedJson(messages, { key1: "key1Value", key2: "key2Value" })),
      },
      output: [
        ["response", { key1: "key1Value", key2: "key2Value" }],
        ["prompt", isList],
      ],
    },
  ],
});
