// Replicate: one prediction runner (create, poll until it ends, retry a failed prediction as AutoGPT's
// run_replicate_with_retry does) and the two blocks on it, AIImageGeneratorBlock and ReplicateFluxAdvancedModelBlock.
import { randomBytes } from "node:crypto";
import { Type } from "@sinclair/typebox";
import { sleep } from "../../core/sleep.js";
import { authHeader, CredentialsField, requireCredentials } from "../credentials.js";
import { inputs, Nullable, outputs, StringEnum } from "../fields.js";
import { type Block, type BlockContext, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { bodyText, exampleCredentialsInput, jsonOf } from "./shared.js";

export const REPLICATE_BASE_URL = "https://api.replicate.com/v1";
/** AutoGPT's system credential for Replicate: its costs apply when a run uses the operator's key. */
const REPLICATE_SYSTEM_CREDENTIALS = {
  id: "6b9fc200-4726-4973-86c9-cd526f5ce5db",
  provider: "replicate",
  type: "api_key",
};

/**
 * How the runner waits: the Replicate client polls every 0.5 s; a failed prediction is tried again after 2 s, then
 * 4 s (3 attempts). Embedders and tests may change these.
 */
export const replicateTuning = { pollIntervalMs: 500, retryDelayMs: 2000, attempts: 3 };

interface Prediction {
  id: string;
  status: "starting" | "processing" | "succeeded" | "failed" | "canceled" | string;
  output?: unknown;
  error?: unknown;
}

/** A failure retrying will not fix (a refused request); a failed prediction is worth another attempt. */
class ReplicateRequestError extends Error {}

const TERMINAL = new Set(["succeeded", "failed", "canceled"]);

async function predictOnce(ctx: BlockContext, model: string, input: Record<string, unknown>): Promise<unknown> {
  const credentials = requireCredentials(ctx, "replicate", ["api_key"]);
  const api = ctx.http.forProvider("replicate", REPLICATE_BASE_URL);
  const headers = { authorization: authHeader(credentials) };
  const [name, version] = model.split(":");
  const create = await api.request({
    url: version ? "/predictions" : `/models/${name}/predictions`,
    method: "POST",
    headers,
    json: version ? { version, input } : { input },
    retry: { attempts: 3, baseDelayMs: 500 },
  });
  ctx.reportUsage({ requests: 1 });
  if (!create.ok) {
    const detail = jsonOf<{ detail?: string }>(create)?.detail ?? bodyText(create);
    throw new ReplicateRequestError(`Replicate answered ${create.status} to the prediction of ${model}: ${detail}`);
  }
  let prediction = create.json<Prediction>();
  while (!TERMINAL.has(prediction.status)) {
    await sleep(replicateTuning.pollIntervalMs, ctx.signal);
    const res = await api.request({ url: `/predictions/${encodeURIComponent(prediction.id)}`, headers, retry: 3 });
    ctx.reportUsage({ requests: 1 });
    if (!res.ok) {
      throw new ReplicateRequestError(
        `Replicate answered ${res.status} about prediction ${prediction.id}: ${bodyText(res)}`,
      );
    }
    prediction = res.json<Prediction>();
  }
  if (prediction.status === "failed") {
    throw new Error(`Replicate prediction failed${prediction.error ? `: ${String(prediction.error)}` : ""}`);
  }
  if (prediction.status === "canceled")
    throw new ReplicateRequestError(`Replicate prediction ${prediction.id} was canceled`);
  return prediction.output;
}

/** Runs `model` ("owner/name" or "owner/name:version") on `input` and returns the prediction's output. */
export async function runReplicateModel(
  ctx: BlockContext,
  model: string,
  input: Record<string, unknown>,
): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await predictOnce(ctx, model, input);
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (error instanceof ReplicateRequestError || attempt + 1 >= replicateTuning.attempts) throw error;
      await sleep(replicateTuning.retryDelayMs * 2 ** attempt, ctx.signal);
    }
  }
}

const isUrl = (v: unknown): v is string => typeof v === "string" && /^(https?|data):/i.test(v);

/** AutoGPT's extract_result: a file's URL, text joined, a dict as text, or a fallback message. */
export function extractResult(output: unknown): string {
  if (Array.isArray(output) && output.length > 0) {
    const first = output[0];
    if (isUrl(first)) return first;
    if (typeof first === "string") return output.map(String).join("");
    if (typeof first === "object" && first !== null) return JSON.stringify(first);
    return "Unable to process result. Please contact us with the models and inputs used";
  }
  if (typeof output === "string") return output;
  return "No output received";
}

const replicateCredentials = (description: string) =>
  CredentialsField({ providers: ["replicate"], types: ["api_key"], description });

const perImageCost = (model: string, cost_amount: number) => ({
  cost_amount,
  cost_filter: { model, credentials: REPLICATE_SYSTEM_CREDENTIALS },
  cost_type: "run" as const,
});

// ---------------------------------------------------------------- AIImageGeneratorBlock

const IMAGE_MODELS = [
  "Flux 1.1 Pro",
  "Flux 1.1 Pro Ultra",
  "Recraft v3",
  "Stable Diffusion 3.5 Medium",
  "Nano Banana Pro",
  "Nano Banana 2",
] as const;
type ImageModel = (typeof IMAGE_MODELS)[number];

const SIZES = ["square", "landscape", "portrait", "wide", "tall"] as const;
type Size = (typeof SIZES)[number];
const RATIO: Record<Size, string> = { square: "1:1", landscape: "4:3", portrait: "3:4", wide: "16:9", tall: "9:16" };
const FLUX_DIMENSIONS: Record<Size, [number, number]> = {
  square: [1024, 1024],
  landscape: [1365, 1024],
  portrait: [1024, 1365],
  wide: [1440, 810],
  tall: [810, 1440],
};
const RECRAFT_SIZE: Record<Size, string> = {
  square: "1024x1024",
  landscape: "1365x1024",
  portrait: "1024x1365",
  wide: "1536x1024",
  tall: "1024x1536",
};

/** AutoGPT's ImageStyle values and the prompt prefix used for models without a native style. */
const STYLE_PREFIX: Record<string, string> = {
  any: "",
  realistic_image: "photorealistic",
  "realistic_image/b_and_w": "black and white photograph",
  "realistic_image/hdr": "HDR photograph",
  "realistic_image/natural_light": "natural light photograph",
  "realistic_image/studio_portrait": "studio portrait photograph",
  "realistic_image/enterprise": "enterprise photograph",
  "realistic_image/hard_flash": "hard flash photograph",
  "realistic_image/motion_blur": "motion blur photograph",
  digital_illustration: "digital art",
  "digital_illustration/pixel_art": "pixel art",
  "digital_illustration/hand_drawn": "hand drawn illustration",
  "digital_illustration/grain": "grainy digital illustration",
  "digital_illustration/infantile_sketch": "sketchy illustration",
  "digital_illustration/2d_art_poster": "2D art poster",
  "digital_illustration/2d_art_poster_2": "alternate 2D art poster",
  "digital_illustration/handmade_3d": "handmade 3D illustration",
  "digital_illustration/hand_drawn_outline": "hand drawn outline illustration",
  "digital_illustration/engraving_color": "color engraving illustration",
};
const STYLES = Object.keys(STYLE_PREFIX);

/** The Replicate model and input AutoGPT's generate_image sends for each choice. */
export function imageRequest(
  model: ImageModel,
  prompt: string,
  size: Size,
  style: string,
): { model: string; input: Record<string, unknown> } {
  const prefix = STYLE_PREFIX[style] ? `${STYLE_PREFIX[style]} of` : "";
  const styled = model === "Recraft v3" ? prompt : `${prefix} ${prompt}`.trim();
  switch (model) {
    case "Stable Diffusion 3.5 Medium":
      return {
        model: "stability-ai/stable-diffusion-3.5-medium",
        input: {
          prompt: styled,
          aspect_ratio: RATIO[size],
          output_format: "webp",
          output_quality: 90,
          steps: 40,
          cfg_scale: 7.0,
        },
      };
    case "Flux 1.1 Pro":
    case "Flux 1.1 Pro Ultra": {
      const [width, height] = FLUX_DIMENSIONS[size];
      return {
        model: model === "Flux 1.1 Pro" ? "black-forest-labs/flux-1.1-pro" : "black-forest-labs/flux-1.1-pro-ultra",
        input: { prompt: styled, width, height, aspect_ratio: RATIO[size], output_format: "jpg", output_quality: 90 },
      };
    }
    case "Recraft v3":
      return { model: "recraft-ai/recraft-v3", input: { prompt, size: RECRAFT_SIZE[size], style } };
    case "Nano Banana Pro":
    case "Nano Banana 2":
      return {
        model: model === "Nano Banana Pro" ? "google/nano-banana-pro" : "google/nano-banana-2",
        input: {
          prompt: styled,
          aspect_ratio: RATIO[size],
          resolution: "2K",
          output_format: "jpg",
          safety_filter_level: "block_only_high",
        },
      };
  }
}

/** AutoGPT's _run_client: the first file of a list, a file's URL, or a URL string. */
function imageUrlOf(output: unknown): string | undefined {
  const first = Array.isArray(output) ? output[0] : output;
  return typeof first === "string" && first ? first : undefined;
}

const exampleReplicate = {
  http: scriptedHttp((req) =>
    req.url.pathname.endsWith("/predictions")
      ? { json: { id: "p1", status: "succeeded", output: ["https://replicate.delivery/generated-image.webp"] } }
      : { status: 404, json: { detail: "not found" } },
  ),
  credentials: testCredentials({ provider: "replicate", type: "api_key", api_key: "mock-replicate-api-key" }),
};

export const aiImageGenerator = defineBlock({
  id: "ed1ae7a0-b770-4089-b520-1f0005fad19a",
  name: "AIImageGeneratorBlock",
  description: "Generate images using various AI models through a unified interface",
  categories: ["AI"],
  input: inputs({
    credentials: replicateCredentials(
      "Enter your Replicate API key to access the image generation API. You can obtain an API key from https://replicate.com/account/api-tokens.",
    ),
    prompt: Type.String({
      title: "Prompt",
      description: "Text prompt for image generation",
      placeholder: "e.g., 'A red panda using a laptop in a snowy forest'",
    }),
    model: StringEnum(IMAGE_MODELS, {
      title: "Model",
      description: "The AI model to use for image generation",
      default: "Stable Diffusion 3.5 Medium",
    }),
    size: StringEnum(SIZES, {
      title: "Image Format",
      description:
        "Format of the generated image:\n- Square: Perfect for profile pictures, icons\n- Landscape: Traditional photo format\n- Portrait: Vertical photos, portraits\n- Wide: Cinematic format, desktop wallpapers\n- Tall: Mobile wallpapers, social media stories",
      default: "square",
    }),
    style: StringEnum(STYLES, {
      title: "Image Style",
      description: "Visual style for the generated image",
      default: "any",
    }),
  }),
  output: outputs({
    image_url: Type.String({ description: "URL of the generated image" }),
    error: Type.String({ description: "Error message if generation failed" }),
  }),
  costs: [
    perImageCost("Stable Diffusion 3.5 Medium", 5),
    perImageCost("Flux 1.1 Pro", 6),
    perImageCost("Flux 1.1 Pro Ultra", 10),
    perImageCost("Recraft v3", 7),
    perImageCost("Nano Banana Pro", 14),
    perImageCost("Nano Banana 2", 14),
  ],
  async *run({ prompt, model, size, style }, ctx) {
    requireCredentials(ctx, "replicate", ["api_key"]);
    const request = imageRequest(model as ImageModel, prompt, size as Size, style);
    let url: string | undefined;
    try {
      url = imageUrlOf(await runReplicateModel(ctx, request.model, request.input));
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      yield ["error", `Failed to generate image: ${(error as Error).message}`];
      return;
    }
    if (url) yield ["image_url", url];
    else yield ["error", "Image generation returned an empty result."];
  },
  test: [
    {
      input: {
        credentials: exampleCredentialsInput("replicate"),
        prompt: "An octopus using a laptop in a snowy forest with 'AutoGPT' clearly visible on the screen",
        model: "Recraft v3",
        size: "square",
        style: "realistic_image",
      },
      output: [["image_url", "https://replicate.delivery/generated-image.webp"]],
      context: exampleReplicate,
    },
  ],
});

// ---------------------------------------------------------------- ReplicateFluxAdvancedModelBlock

const FLUX_MODELS: Record<string, string> = {
  "Flux Schnell": "black-forest-labs/flux-schnell",
  "Flux Pro": "black-forest-labs/flux-pro",
  "Flux Pro 1.1": "black-forest-labs/flux-1.1-pro",
};

export const replicateFluxAdvanced = defineBlock({
  id: "90f8c45e-e983-4644-aa0b-b4ebe2f531bc",
  name: "ReplicateFluxAdvancedModelBlock",
  description: "This block runs Flux models on Replicate with advanced settings.",
  categories: ["AI", "MULTIMEDIA"],
  input: inputs({
    credentials: replicateCredentials(
      "The Replicate integration can be used with any API key with sufficient permissions for the blocks it is used on.",
    ),
    prompt: Type.String({
      title: "Prompt",
      description: "Text prompt for image generation",
      placeholder: "e.g., 'A futuristic cityscape at sunset'",
    }),
    replicate_model_name: StringEnum(Object.keys(FLUX_MODELS), {
      title: "Image Generation Model",
      description: "The name of the Image Generation Model, i.e Flux Schnell",
      default: "Flux Schnell",
      advanced: false,
    }),
    seed: Nullable(Type.Integer(), {
      title: "Seed",
      description: "Random seed. Set for reproducible generation",
      default: null,
    }),
    steps: Type.Integer({ title: "Steps", description: "Number of diffusion steps", default: 25 }),
    guidance: Type.Number({
      title: "Guidance",
      description:
        "Controls the balance between adherence to the text prompt and image quality/diversity. Higher values make the output more closely match the prompt but may reduce overall image quality.",
      default: 3,
    }),
    interval: Type.Number({
      title: "Interval",
      description:
        "Interval is a setting that increases the variance in possible outputs. Setting this value low will ensure strong prompt following with more consistent outputs.",
      default: 2,
    }),
    aspect_ratio: Type.String({
      title: "Aspect Ratio",
      description: "Aspect ratio for the generated image",
      default: "1:1",
      placeholder: "Choose from: 1:1, 16:9, 2:3, 3:2, 4:5, 5:4, 9:16",
    }),
    output_format: StringEnum(["webp", "jpg", "png"], {
      title: "Output Format",
      description: "File format of the output image",
      default: "webp",
    }),
    output_quality: Type.Integer({
      title: "Output Quality",
      description: "Quality when saving the output images, from 0 to 100. Not relevant for .png outputs",
      default: 80,
    }),
    safety_tolerance: Type.Integer({
      title: "Safety Tolerance",
      description: "Safety tolerance, 1 is most strict and 5 is most permissive",
      default: 2,
    }),
  }),
  output: outputs({ result: Type.String({ description: "Generated output" }) }),
  costs: [{ cost_amount: 10, cost_filter: { credentials: REPLICATE_SYSTEM_CREDENTIALS }, cost_type: "run" }],
  async *run(input, ctx) {
    requireCredentials(ctx, "replicate", ["api_key"]);
    // AutoGPT draws a random 32-bit seed when none is given.
    const seed = input.seed ?? randomBytes(4).readUInt32BE(0);
    const output = await runReplicateModel(ctx, FLUX_MODELS[input.replicate_model_name] as string, {
      prompt: input.prompt,
      seed,
      steps: input.steps,
      guidance: input.guidance,
      interval: input.interval,
      aspect_ratio: input.aspect_ratio,
      output_format: input.output_format,
      output_quality: input.output_quality,
      safety_tolerance: input.safety_tolerance,
    });
    yield ["result", extractResult(output)];
  },
  test: [
    {
      input: {
        credentials: exampleCredentialsInput("replicate"),
        replicate_model_name: "Flux Schnell",
        prompt: "A beautiful landscape painting of a serene lake at sunrise",
        seed: null,
        output_format: "png",
      },
      output: [["result", "https://replicate.com/output/generated-image-url.jpg"]],
      context: {
        ...exampleReplicate,
        http: scriptedHttp(() => ({
          json: { id: "p2", status: "succeeded", output: ["https://replicate.com/output/generated-image-url.jpg"] },
        })),
      },
    },
  ],
});

export const replicateBlocks: Block[] = [aiImageGenerator, replicateFluxAdvanced];
