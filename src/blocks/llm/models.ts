// AutoGPT's LLM models (its LlmModel values and MODEL_METADATA) as data: model name -> provider, context window, max
// output tokens, display name, plus the per-model run cost (block_cost_config.py MODEL_COST). Adding a model is one
// row. Also the two pins every LLM block shares: `model` and the credentials discriminated by it.
import type { TSchema, TUnsafe } from "@sinclair/typebox";
import { CredentialsField } from "../credentials.js";
import { type PinOptions, StringEnum } from "../fields.js";

/** AutoGPT's LLMProviderName values, in its order. */
export const LLM_PROVIDERS = [
  "aiml_api",
  "anthropic",
  "groq",
  "ollama",
  "openai",
  "open_router",
  "llama_api",
  "v0",
] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

export interface ModelInfo {
  provider: LlmProvider;
  contextWindow: number;
  /** null: the provider does not say (AutoGPT then assumes 2**15). */
  maxOutputTokens: number | null;
  displayName: string;
  providerName: string;
  creatorName: string;
  priceTier: 1 | 2 | 3;
  /** Credits per run when the platform's (operator's) key pays (AutoGPT's MODEL_COST). */
  cost: number;
}

const m = (
  provider: LlmProvider,
  contextWindow: number,
  maxOutputTokens: number | null,
  displayName: string,
  providerName: string,
  creatorName: string,
  priceTier: number,
  cost: number,
): ModelInfo => ({
  provider,
  contextWindow,
  maxOutputTokens,
  displayName,
  providerName,
  creatorName,
  priceTier: priceTier as 1 | 2 | 3,
  cost,
});

/** Every model, in AutoGPT's LlmModel order (the order of its JSON schema's enum and metadata). */
export const MODELS: Readonly<Record<string, ModelInfo>> = {
  "o3-mini": m("openai", 200000, 100000, "O3 Mini", "OpenAI", "OpenAI", 1, 2),
  "o3-2025-04-16": m("openai", 200000, 100000, "O3", "OpenAI", "OpenAI", 2, 4),
  o1: m("openai", 200000, 100000, "O1", "OpenAI", "OpenAI", 3, 16),
  "o1-mini": m("openai", 128000, 65536, "O1 Mini", "OpenAI", "OpenAI", 2, 4),
  "gpt-5.2-2025-12-11": m("openai", 400000, 128000, "GPT-5.2", "OpenAI", "OpenAI", 3, 6),
  "gpt-5.1-2025-11-13": m("openai", 400000, 128000, "GPT-5.1", "OpenAI", "OpenAI", 2, 5),
  "gpt-5-2025-08-07": m("openai", 400000, 128000, "GPT-5", "OpenAI", "OpenAI", 1, 2),
  "gpt-5-mini-2025-08-07": m("openai", 400000, 128000, "GPT-5 Mini", "OpenAI", "OpenAI", 1, 1),
  "gpt-5-nano-2025-08-07": m("openai", 400000, 128000, "GPT-5 Nano", "OpenAI", "OpenAI", 1, 1),
  "gpt-5-chat-latest": m("openai", 400000, 16384, "GPT-5 Chat Latest", "OpenAI", "OpenAI", 2, 5),
  "gpt-4.1-2025-04-14": m("openai", 1047576, 32768, "GPT-4.1", "OpenAI", "OpenAI", 1, 2),
  "gpt-4.1-mini-2025-04-14": m("openai", 1047576, 32768, "GPT-4.1 Mini", "OpenAI", "OpenAI", 1, 1),
  "gpt-4o-mini": m("openai", 128000, 16384, "GPT-4o Mini", "OpenAI", "OpenAI", 1, 1),
  "gpt-4o": m("openai", 128000, 16384, "GPT-4o", "OpenAI", "OpenAI", 2, 3),
  "gpt-4-turbo": m("openai", 128000, 4096, "GPT-4 Turbo", "OpenAI", "OpenAI", 3, 10),
  "claude-opus-4-1-20250805": m("anthropic", 200000, 32000, "Claude Opus 4.1", "Anthropic", "Anthropic", 3, 21),
  "claude-opus-4-20250514": m("anthropic", 200000, 32000, "Claude Opus 4", "Anthropic", "Anthropic", 3, 21),
  "claude-sonnet-4-20250514": m("anthropic", 200000, 64000, "Claude Sonnet 4", "Anthropic", "Anthropic", 2, 5),
  "claude-opus-4-5-20251101": m("anthropic", 200000, 64000, "Claude Opus 4.5", "Anthropic", "Anthropic", 3, 14),
  "claude-sonnet-4-5-20250929": m("anthropic", 200000, 64000, "Claude Sonnet 4.5", "Anthropic", "Anthropic", 3, 9),
  "claude-haiku-4-5-20251001": m("anthropic", 200000, 64000, "Claude Haiku 4.5", "Anthropic", "Anthropic", 2, 4),
  "claude-opus-4-6": m("anthropic", 200000, 128000, "Claude Opus 4.6", "Anthropic", "Anthropic", 3, 14),
  "claude-opus-4-7": m("anthropic", 200000, 128000, "Claude Opus 4.7", "Anthropic", "Anthropic", 3, 14),
  "claude-sonnet-4-6": m("anthropic", 200000, 64000, "Claude Sonnet 4.6", "Anthropic", "Anthropic", 3, 9),
  "claude-3-haiku-20240307": m("anthropic", 200000, 4096, "Claude 3 Haiku", "Anthropic", "Anthropic", 1, 1),
  "Qwen/Qwen2.5-72B-Instruct-Turbo": m("aiml_api", 32000, 8000, "Qwen 2.5 72B Instruct Turbo", "AI/ML", "Qwen", 1, 1),
  "nvidia/llama-3.1-nemotron-70b-instruct": m(
    "aiml_api",
    128000,
    40000,
    "Llama 3.1 Nemotron 70B Instruct",
    "AI/ML",
    "Nvidia",
    1,
    1,
  ),
  "meta-llama/Llama-3.3-70B-Instruct-Turbo": m(
    "aiml_api",
    128000,
    null,
    "Llama 3.3 70B Instruct Turbo",
    "AI/ML",
    "Meta",
    1,
    1,
  ),
  "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo": m(
    "aiml_api",
    131000,
    2000,
    "Llama 3.1 70B Instruct Turbo",
    "AI/ML",
    "Meta",
    1,
    1,
  ),
  "meta-llama/Llama-3.2-3B-Instruct-Turbo": m(
    "aiml_api",
    128000,
    null,
    "Llama 3.2 3B Instruct Turbo",
    "AI/ML",
    "Meta",
    1,
    1,
  ),
  "llama-3.3-70b-versatile": m("groq", 128000, 32768, "Llama 3.3 70B Versatile", "Groq", "Meta", 1, 1),
  "llama-3.1-8b-instant": m("groq", 128000, 8192, "Llama 3.1 8B Instant", "Groq", "Meta", 1, 1),
  "llama3.3": m("ollama", 8192, null, "Llama 3.3", "Ollama", "Meta", 1, 1),
  "llama3.2": m("ollama", 8192, null, "Llama 3.2", "Ollama", "Meta", 1, 1),
  llama3: m("ollama", 8192, null, "Llama 3", "Ollama", "Meta", 1, 1),
  "llama3.1:405b": m("ollama", 8192, null, "Llama 3.1 405B", "Ollama", "Meta", 1, 1),
  "dolphin-mistral:latest": m("ollama", 32768, null, "Dolphin Mistral Latest", "Ollama", "Mistral AI", 1, 1),
  "openai/gpt-oss-120b": m("open_router", 131072, 131072, "GPT-OSS 120B", "OpenRouter", "OpenAI", 1, 1),
  "openai/gpt-oss-20b": m("open_router", 131072, 32768, "GPT-OSS 20B", "OpenRouter", "OpenAI", 1, 1),
  "google/gemini-2.5-pro-preview-03-25": m(
    "open_router",
    1048576,
    65536,
    "Gemini 2.5 Pro Preview 03.25",
    "OpenRouter",
    "Google",
    2,
    4,
  ),
  "google/gemini-2.5-pro": m("open_router", 1048576, 65536, "Gemini 2.5 Pro", "OpenRouter", "Google", 2, 4),
  "google/gemini-3.1-pro-preview": m(
    "open_router",
    1048576,
    65536,
    "Gemini 3.1 Pro Preview",
    "OpenRouter",
    "Google",
    2,
    5,
  ),
  "google/gemini-3-flash-preview": m(
    "open_router",
    1048576,
    65536,
    "Gemini 3 Flash Preview",
    "OpenRouter",
    "Google",
    1,
    2,
  ),
  "google/gemini-2.5-flash": m("open_router", 1048576, 65535, "Gemini 2.5 Flash", "OpenRouter", "Google", 1, 1),
  "google/gemini-2.0-flash-001": m("open_router", 1048576, 8192, "Gemini 2.0 Flash 001", "OpenRouter", "Google", 1, 1),
  "google/gemini-3.1-flash-lite-preview": m(
    "open_router",
    1048576,
    65536,
    "Gemini 3.1 Flash Lite Preview",
    "OpenRouter",
    "Google",
    1,
    1,
  ),
  "google/gemini-2.5-flash-lite-preview-06-17": m(
    "open_router",
    1048576,
    65535,
    "Gemini 2.5 Flash Lite Preview 06.17",
    "OpenRouter",
    "Google",
    1,
    1,
  ),
  "google/gemini-2.0-flash-lite-001": m(
    "open_router",
    1048576,
    8192,
    "Gemini 2.0 Flash Lite 001",
    "OpenRouter",
    "Google",
    1,
    1,
  ),
  "mistralai/mistral-nemo": m("open_router", 128000, 4096, "Mistral Nemo", "OpenRouter", "Mistral AI", 1, 1),
  "mistralai/mistral-large-2512": m(
    "open_router",
    262144,
    null,
    "Mistral Large 3 2512",
    "OpenRouter",
    "Mistral AI",
    2,
    2,
  ),
  "mistralai/mistral-medium-3.1": m(
    "open_router",
    131072,
    null,
    "Mistral Medium 3.1",
    "OpenRouter",
    "Mistral AI",
    2,
    2,
  ),
  "mistralai/mistral-small-3.2-24b-instruct": m(
    "open_router",
    131072,
    131072,
    "Mistral Small 3.2 24B",
    "OpenRouter",
    "Mistral AI",
    1,
    1,
  ),
  "mistralai/codestral-2508": m("open_router", 256000, null, "Codestral 2508", "OpenRouter", "Mistral AI", 1, 1),
  "cohere/command-r-08-2024": m("open_router", 128000, 4096, "Command R 08.2024", "OpenRouter", "Cohere", 1, 1),
  "cohere/command-r-plus-08-2024": m(
    "open_router",
    128000,
    4096,
    "Command R Plus 08.2024",
    "OpenRouter",
    "Cohere",
    2,
    3,
  ),
  "cohere/command-a-03-2025": m("open_router", 256000, 8192, "Command A 03.2025", "OpenRouter", "Cohere", 2, 3),
  "cohere/command-a-translate-08-2025": m(
    "open_router",
    128000,
    8192,
    "Command A Translate 08.2025",
    "OpenRouter",
    "Cohere",
    2,
    3,
  ),
  "cohere/command-a-reasoning-08-2025": m(
    "open_router",
    256000,
    32768,
    "Command A Reasoning 08.2025",
    "OpenRouter",
    "Cohere",
    3,
    6,
  ),
  "cohere/command-a-vision-07-2025": m(
    "open_router",
    128000,
    8192,
    "Command A Vision 07.2025",
    "OpenRouter",
    "Cohere",
    2,
    3,
  ),
  "deepseek/deepseek-chat": m("open_router", 64000, 2048, "DeepSeek Chat", "OpenRouter", "DeepSeek", 1, 2),
  "deepseek/deepseek-r1-0528": m("open_router", 163840, 163840, "DeepSeek R1 0528", "OpenRouter", "DeepSeek", 1, 1),
  "perplexity/sonar": m("open_router", 127000, 8000, "Sonar", "OpenRouter", "Perplexity", 1, 1),
  "perplexity/sonar-pro": m("open_router", 200000, 8000, "Sonar Pro", "OpenRouter", "Perplexity", 2, 5),
  "perplexity/sonar-reasoning-pro": m(
    "open_router",
    128000,
    8000,
    "Sonar Reasoning Pro",
    "OpenRouter",
    "Perplexity",
    2,
    5,
  ),
  "perplexity/sonar-deep-research": m(
    "open_router",
    128000,
    16000,
    "Sonar Deep Research",
    "OpenRouter",
    "Perplexity",
    3,
    10,
  ),
  "nousresearch/hermes-3-llama-3.1-405b": m(
    "open_router",
    131000,
    4096,
    "Hermes 3 Llama 3.1 405B",
    "OpenRouter",
    "Nous Research",
    1,
    1,
  ),
  "nousresearch/hermes-3-llama-3.1-70b": m(
    "open_router",
    12288,
    12288,
    "Hermes 3 Llama 3.1 70B",
    "OpenRouter",
    "Nous Research",
    1,
    1,
  ),
  "amazon/nova-lite-v1": m("open_router", 300000, 5120, "Nova Lite V1", "OpenRouter", "Amazon", 1, 1),
  "amazon/nova-micro-v1": m("open_router", 128000, 5120, "Nova Micro V1", "OpenRouter", "Amazon", 1, 1),
  "amazon/nova-pro-v1": m("open_router", 300000, 5120, "Nova Pro V1", "OpenRouter", "Amazon", 1, 1),
  "microsoft/wizardlm-2-8x22b": m("open_router", 65536, 4096, "WizardLM 2 8x22B", "OpenRouter", "Microsoft", 1, 1),
  "microsoft/phi-4": m("open_router", 16384, 16384, "Phi-4", "OpenRouter", "Microsoft", 1, 1),
  "gryphe/mythomax-l2-13b": m("open_router", 4096, 4096, "MythoMax L2 13B", "OpenRouter", "Gryphe", 1, 1),
  "meta-llama/llama-4-scout": m("open_router", 131072, 131072, "Llama 4 Scout", "OpenRouter", "Meta", 1, 1),
  "meta-llama/llama-4-maverick": m("open_router", 1048576, 1000000, "Llama 4 Maverick", "OpenRouter", "Meta", 1, 1),
  "x-ai/grok-3": m("open_router", 131072, 131072, "Grok 3", "OpenRouter", "xAI", 2, 3),
  "x-ai/grok-4": m("open_router", 256000, 256000, "Grok 4", "OpenRouter", "xAI", 3, 9),
  "x-ai/grok-4-fast": m("open_router", 2000000, 30000, "Grok 4 Fast", "OpenRouter", "xAI", 1, 1),
  "x-ai/grok-4.1-fast": m("open_router", 2000000, 30000, "Grok 4.1 Fast", "OpenRouter", "xAI", 1, 1),
  "x-ai/grok-4.20": m("open_router", 2000000, 100000, "Grok 4.20", "OpenRouter", "xAI", 3, 5),
  "x-ai/grok-4.20-multi-agent": m("open_router", 2000000, 100000, "Grok 4.20 Multi-Agent", "OpenRouter", "xAI", 3, 5),
  "x-ai/grok-code-fast-1": m("open_router", 256000, 10000, "Grok Code Fast 1", "OpenRouter", "xAI", 1, 1),
  "moonshotai/kimi-k2": m("open_router", 131000, 131000, "Kimi K2", "OpenRouter", "Moonshot AI", 1, 1),
  "moonshotai/kimi-k2-0905": m("open_router", 262144, 262144, "Kimi K2 0905", "OpenRouter", "Moonshot AI", 1, 1),
  "moonshotai/kimi-k2.5": m("open_router", 262144, 262144, "Kimi K2.5", "OpenRouter", "Moonshot AI", 1, 1),
  "moonshotai/kimi-k2.6": m("open_router", 262144, 262144, "Kimi K2.6", "OpenRouter", "Moonshot AI", 2, 2),
  "moonshotai/kimi-k2-thinking": m(
    "open_router",
    262144,
    262144,
    "Kimi K2 Thinking",
    "OpenRouter",
    "Moonshot AI",
    2,
    2,
  ),
  "qwen/qwen3-235b-a22b-thinking-2507": m(
    "open_router",
    262144,
    262144,
    "Qwen 3 235B A22B Thinking 2507",
    "OpenRouter",
    "Qwen",
    1,
    1,
  ),
  "qwen/qwen3-coder": m("open_router", 262144, 262144, "Qwen 3 Coder", "OpenRouter", "Qwen", 3, 9),
  "z-ai/glm-4-32b": m("open_router", 128000, 128000, "GLM 4 32B", "OpenRouter", "Z.ai", 1, 1),
  "z-ai/glm-4.5": m("open_router", 131072, 98304, "GLM 4.5", "OpenRouter", "Z.ai", 2, 2),
  "z-ai/glm-4.5-air": m("open_router", 131072, 98304, "GLM 4.5 Air", "OpenRouter", "Z.ai", 1, 1),
  "z-ai/glm-4.5-air:free": m("open_router", 131072, 96000, "GLM 4.5 Air (Free)", "OpenRouter", "Z.ai", 1, 1),
  "z-ai/glm-4.5v": m("open_router", 65536, 16384, "GLM 4.5V", "OpenRouter", "Z.ai", 2, 2),
  "z-ai/glm-4.6": m("open_router", 204800, 204800, "GLM 4.6", "OpenRouter", "Z.ai", 1, 1),
  "z-ai/glm-4.6v": m("open_router", 131072, 131072, "GLM 4.6V", "OpenRouter", "Z.ai", 1, 1),
  "z-ai/glm-4.7": m("open_router", 202752, 65535, "GLM 4.7", "OpenRouter", "Z.ai", 1, 1),
  "z-ai/glm-4.7-flash": m("open_router", 202752, 202752, "GLM 4.7 Flash", "OpenRouter", "Z.ai", 1, 1),
  "z-ai/glm-5": m("open_router", 80000, 80000, "GLM 5", "OpenRouter", "Z.ai", 2, 2),
  "z-ai/glm-5-turbo": m("open_router", 202752, 131072, "GLM 5 Turbo", "OpenRouter", "Z.ai", 3, 4),
  "z-ai/glm-5v-turbo": m("open_router", 202752, 131072, "GLM 5V Turbo", "OpenRouter", "Z.ai", 3, 4),
  "Llama-4-Scout-17B-16E-Instruct-FP8": m(
    "llama_api",
    128000,
    4028,
    "Llama 4 Scout 17B 16E Instruct FP8",
    "Llama API",
    "Meta",
    1,
    1,
  ),
  "Llama-4-Maverick-17B-128E-Instruct-FP8": m(
    "llama_api",
    128000,
    4028,
    "Llama 4 Maverick 17B 128E Instruct FP8",
    "Llama API",
    "Meta",
    1,
    1,
  ),
  "Llama-3.3-8B-Instruct": m("llama_api", 128000, 4028, "Llama 3.3 8B Instruct", "Llama API", "Meta", 1, 1),
  "Llama-3.3-70B-Instruct": m("llama_api", 128000, 4028, "Llama 3.3 70B Instruct", "Llama API", "Meta", 1, 1),
  "v0-1.5-md": m("v0", 128000, 64000, "v0 1.5 MD", "V0", "V0", 1, 1),
  "v0-1.5-lg": m("v0", 512000, 64000, "v0 1.5 LG", "V0", "V0", 1, 2),
  "v0-1.0-md": m("v0", 128000, 64000, "v0 1.0 MD", "V0", "V0", 1, 1),
};

export const MODEL_NAMES = Object.keys(MODELS);

/** AutoGPT's DEFAULT_LLM_MODEL. */
export const DEFAULT_LLM_MODEL = "gpt-5.2-2025-12-11";

/**
 * The model's metadata. As AutoGPT's LlmModel._missing_, a provider-prefixed name ("anthropic/claude-sonnet-4-6")
 * finds the model without the prefix.
 */
export function modelInfo(model: string): ModelInfo | undefined {
  const direct = MODELS[model];
  if (direct) return direct;
  const slash = model.indexOf("/");
  return slash >= 0 ? MODELS[model.slice(slash + 1)] : undefined;
}

/** The provider serving `model`; throws a clear error for a model that is not in the list. */
export function providerOf(model: string): LlmProvider {
  const info = modelInfo(model);
  if (!info) throw new Error(`Unknown LLM model ${JSON.stringify(model)}`);
  return info.provider;
}

/** AutoGPT's `llm_model_metadata` beside the enum in the model pin's JSON schema. */
function modelMetadataJSON() {
  return Object.fromEntries(
    Object.entries(MODELS).map(([name, info]) => [
      name,
      {
        creator: info.creatorName,
        creator_name: info.creatorName,
        title: info.displayName,
        provider: info.provider,
        provider_name: info.providerName,
        name,
        price_tier: info.priceTier,
      },
    ]),
  );
}

/** The `model` pin (AutoGPT's `model: LlmModel = SchemaField(title="LLM Model", default=DEFAULT_LLM_MODEL, ...)`). */
export function llmModelField(options: PinOptions = {}): TUnsafe<string> {
  return StringEnum(MODEL_NAMES, {
    title: "LLM Model",
    default: DEFAULT_LLM_MODEL,
    description: "The language model to use for answering the prompt.",
    llm_model: true,
    llm_model_metadata: modelMetadataJSON(),
    ...options,
  });
}

/** model -> provider, AutoGPT's discriminator_mapping of AICredentialsField. */
export const MODEL_PROVIDER_MAPPING: Readonly<Record<string, LlmProvider>> = Object.fromEntries(
  Object.entries(MODELS).map(([name, info]) => [name, info.provider]),
);

/**
 * AutoGPT's AICredentialsField: an api_key of any LLM provider, discriminated by the node's `model` (the graph's
 * credentials_input_schema narrows the field to the chosen model's provider).
 */
export function llmCredentialsField(): TSchema {
  return CredentialsField({
    providers: [...LLM_PROVIDERS],
    types: ["api_key"],
    description: "API key for the LLM provider.",
    discriminator: "model",
    discriminator_mapping: { ...MODEL_PROVIDER_MAPPING },
  });
}

/** AutoGPT's system ("Use Credits for …") credentials of the LLM providers, which the costs below apply to. */
const PLATFORM_CREDENTIALS: Partial<Record<LlmProvider, { id: string; provider: string; type: string }>> = {
  openai: { id: "53c25cb8-e3ee-465c-a4d1-e75a4c899c2a", provider: "openai", type: "api_key" },
  anthropic: { id: "24e5d942-d9e3-4798-8151-90143ee55629", provider: "anthropic", type: "api_key" },
  open_router: { id: "b5a0e27d-0c98-4df3-a4b9-10193e1f3c40", provider: "open_router", type: "api_key" },
  aiml_api: { id: "aad82a89-9794-4ebb-977f-d736aa5260a3", provider: "aiml_api", type: "api_key" },
  llama_api: { id: "d44045af-1c33-4833-9e19-752313214de2", provider: "llama_api", type: "api_key" },
};
const GROQ_PLATFORM_ID = "4ec22295-8f97-4dd1-b42b-2c6957a02545";

/**
 * AutoGPT's LLM_COST: one run cost per model, charged when the node uses the platform's credentials of the model's
 * provider (Groq's filter names only the id, as AutoGPT's does). Ollama runs are free; v0's platform credential id
 * is not known here, so its models carry no cost.
 */
export const LLM_COSTS: Array<{ cost_amount: number; cost_filter: Record<string, unknown>; cost_type: "run" }> =
  Object.entries(MODELS).flatMap(([model, info]) => {
    const credentials = info.provider === "groq" ? { id: GROQ_PLATFORM_ID } : PLATFORM_CREDENTIALS[info.provider];
    return credentials
      ? [{ cost_amount: info.cost, cost_filter: { model, credentials }, cost_type: "run" as const }]
      : [];
  });
