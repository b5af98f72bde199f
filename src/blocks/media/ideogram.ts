// IdeogramModelBlock: Ideogram's image generation (the V3 endpoint for V_3, the legacy /generate for the others)
// and its optional AI upscale, with the user's Ideogram API key.
import { Type } from "@sinclair/typebox";
import type { HttpResponse } from "../../infra/http/client.js";
import { CredentialsField } from "../credentials.js";
import { inputs, Nullable, outputs, StringEnum } from "../fields.js";
import { type Block, type BlockContext, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { apiKeyOf, bodyText, exampleCredentialsInput, jsonOf } from "./shared.js";

export const IDEOGRAM_BASE_URL = "https://api.ideogram.ai";
const IDEOGRAM_SYSTEM_CREDENTIALS = {
  id: "760f84fc-b270-42de-91f6-08efe1b512d0",
  provider: "ideogram",
  type: "api_key",
};

const MODELS = ["V_3", "V_2", "V_1", "V_1_TURBO", "V_2_TURBO"] as const;
const ASPECT_RATIOS = [
  "ASPECT_10_16",
  "ASPECT_16_10",
  "ASPECT_9_16",
  "ASPECT_16_9",
  "ASPECT_3_2",
  "ASPECT_2_3",
  "ASPECT_4_3",
  "ASPECT_3_4",
  "ASPECT_1_1",
  "ASPECT_1_3",
  "ASPECT_3_1",
] as const;
const PALETTES = ["NONE", "EMBER", "FRESH", "JUNGLE", "MAGIC", "MELON", "MOSAIC", "PASTEL", "ULTRAMARINE"] as const;

/** Ideogram's answer as AutoGPT reports it: a bad key, bad parameters, another client error, or a server error. */
function ideogramError(res: HttpResponse, what: string): Error {
  const detail = `${res.status}: ${bodyText(res)}`;
  if (res.status === 401) return new Error("Invalid or expired API key. Please check your Ideogram API credentials.");
  if (res.status === 400 || res.status === 422) return new Error(`Invalid request parameters: ${detail}`);
  if (res.status < 500) return new Error(`Client error: ${detail}`);
  return new Error(`Ideogram server error while trying to ${what}: ${detail}`);
}

function firstUrl(res: HttpResponse, what: string): string {
  const url = jsonOf<{ data?: Array<{ url?: string }> }>(res)?.data?.[0]?.url;
  if (typeof url !== "string") throw new Error(`Ideogram returned no image URL while trying to ${what}`);
  return url;
}

interface GenerateOptions {
  model: string;
  prompt: string;
  seed: number | null;
  aspectRatio: string;
  magicPrompt: string;
  styleType: string;
  negativePrompt: string | null;
  palette: string;
  customColors: string[] | null;
}

async function generate(ctx: BlockContext, o: GenerateOptions): Promise<string> {
  const api = ctx.http.forProvider("ideogram", IDEOGRAM_BASE_URL);
  const headers = { "api-key": apiKeyOf(ctx, "ideogram") };
  let url: string;
  let body: Record<string, unknown>;
  if (o.model === "V_3") {
    url = "/v1/ideogram-v3/generate";
    // V3 names ratios "16x9"; it takes no color palette.
    body = {
      prompt: o.prompt,
      aspect_ratio: o.aspectRatio.replace(/^ASPECT_(\d+)_(\d+)$/, "$1x$2"),
      magic_prompt: o.magicPrompt,
      style_type: o.styleType,
    };
    if (o.seed !== null) body.seed = o.seed;
    if (o.negativePrompt) body.negative_prompt = o.negativePrompt;
  } else {
    url = "/generate";
    const request: Record<string, unknown> = {
      prompt: o.prompt,
      model: o.model,
      aspect_ratio: o.aspectRatio,
      magic_prompt_option: o.magicPrompt,
    };
    if (["V_2", "V_2_TURBO"].includes(o.model)) request.style_type = o.styleType;
    if (o.seed !== null) request.seed = o.seed;
    if (o.negativePrompt) request.negative_prompt = o.negativePrompt;
    body = { image_request: request };
    if (["V_2", "V_2_TURBO"].includes(o.model)) {
      if (o.palette !== "NONE") body.color_palette = { name: o.palette };
      else if (o.customColors?.length) {
        body.color_palette = { members: o.customColors.map((color_hex) => ({ color_hex })) };
      }
    }
  }
  const res = await api.request({ url, method: "POST", headers, json: body, retry: { attempts: 3, baseDelayMs: 500 } });
  ctx.reportUsage({ requests: 1 });
  if (!res.ok) throw ideogramError(res, "generate the image");
  return firstUrl(res, "generate the image");
}

/** Downloads the image (a URL from Ideogram, so through the SSRF guard) and sends it to /upscale. */
async function upscale(ctx: BlockContext, imageUrl: string): Promise<string> {
  const image = await ctx.http.request({ url: imageUrl });
  if (!image.ok) throw new Error(`Failed to upscale image: downloading ${imageUrl} answered ${image.status}`);
  const form = new FormData();
  form.append("image_request", "{}");
  form.append("image_file", new Blob([new Uint8Array(image.body)], { type: "image/png" }), "image.png");
  const encoded = new Response(form);
  const api = ctx.http.forProvider("ideogram", IDEOGRAM_BASE_URL);
  const res = await api.request({
    url: "/upscale",
    method: "POST",
    headers: {
      "api-key": apiKeyOf(ctx, "ideogram"),
      "content-type": encoded.headers.get("content-type") ?? "multipart/form-data",
    },
    body: Buffer.from(await encoded.arrayBuffer()),
  });
  ctx.reportUsage({ requests: 1 });
  if (!res.ok) throw ideogramError(res, "upscale the image");
  return firstUrl(res, "upscale the image");
}

export const ideogramModel = defineBlock({
  id: "6ab085e2-20b3-4055-bc3e-08036e01eca6",
  name: "IdeogramModelBlock",
  description: "This block runs Ideogram models with both simple and advanced settings.",
  categories: ["AI", "MULTIMEDIA"],
  input: inputs({
    credentials: CredentialsField({
      providers: ["ideogram"],
      types: ["api_key"],
      description:
        "The Ideogram integration can be used with any API key with sufficient permissions for the blocks it is used on.",
    }),
    prompt: Type.String({
      title: "Prompt",
      description: "Text prompt for image generation",
      placeholder: "e.g., 'A futuristic cityscape at sunset'",
    }),
    ideogram_model_name: StringEnum(MODELS, {
      title: "Image Generation Model",
      description: "The name of the Image Generation Model, e.g., V_3",
      default: "V_3",
      advanced: false,
    }),
    aspect_ratio: StringEnum(ASPECT_RATIOS, {
      title: "Aspect Ratio",
      description: "Aspect ratio for the generated image",
      default: "ASPECT_1_1",
      advanced: false,
    }),
    upscale: StringEnum(["AI Upscale", "No Upscale"], {
      title: "Upscale Image",
      description: "Upscale the generated image",
      default: "No Upscale",
      advanced: false,
    }),
    magic_prompt_option: StringEnum(["AUTO", "ON", "OFF"], {
      title: "Magic Prompt Option",
      description: "Whether to use MagicPrompt for enhancing the request",
      default: "AUTO",
      advanced: true,
    }),
    seed: Nullable(Type.Integer(), {
      title: "Seed",
      description: "Random seed. Set for reproducible generation",
      default: null,
      advanced: true,
    }),
    style_type: StringEnum(["AUTO", "GENERAL", "REALISTIC", "DESIGN", "RENDER_3D", "ANIME"], {
      title: "Style Type",
      description: "Style type to apply, applicable for V_2 and above",
      default: "AUTO",
      advanced: true,
    }),
    negative_prompt: Nullable(Type.String(), {
      title: "Negative Prompt",
      description: "Description of what to exclude from the image",
      default: null,
      advanced: true,
    }),
    color_palette_name: StringEnum(PALETTES, {
      title: "Color Palette Preset",
      description: "Color palette preset name, choose 'None' to skip",
      default: "NONE",
      advanced: true,
    }),
    custom_color_palette: Nullable(Type.Array(Type.String()), {
      title: "Custom Color Palette",
      description:
        "Only available for model version V_2 or V_2_TURBO. Provide one or more color hex codes (e.g., ['#000030', '#1C0C47', '#9900FF', '#4285F4', '#FFFFFF']) to define a custom color palette. Only used if 'color_palette_name' is 'NONE'.",
      default: null,
      advanced: true,
    }),
  }),
  output: outputs({ result: Type.String({ description: "Generated image URL" }) }),
  costs: [
    { cost_amount: 16, cost_filter: { credentials: IDEOGRAM_SYSTEM_CREDENTIALS }, cost_type: "run" },
    {
      cost_amount: 18,
      cost_filter: { ideogram_model_name: "V_3", credentials: IDEOGRAM_SYSTEM_CREDENTIALS },
      cost_type: "run",
    },
  ],
  async *run(input, ctx) {
    apiKeyOf(ctx, "ideogram");
    let result = await generate(ctx, {
      model: input.ideogram_model_name,
      prompt: input.prompt,
      seed: input.seed,
      aspectRatio: input.aspect_ratio,
      magicPrompt: input.magic_prompt_option,
      styleType: input.style_type,
      negativePrompt: input.negative_prompt,
      palette: input.color_palette_name,
      customColors: input.custom_color_palette,
    });
    if (input.upscale === "AI Upscale") result = await upscale(ctx, result);
    yield ["result", result];
  },
  test: [
    {
      input: {
        credentials: exampleCredentialsInput("ideogram"),
        ideogram_model_name: "V_2",
        prompt: "A futuristic cityscape at sunset",
        custom_color_palette: ["#000030", "#1C0C47", "#9900FF", "#4285F4", "#FFFFFF"],
      },
      output: [["result", "https://ideogram.ai/api/images/test-generated-image-url.png"]],
      context: {
        http: scriptedHttp(() => ({
          json: { data: [{ url: "https://ideogram.ai/api/images/test-generated-image-url.png" }] },
        })),
        credentials: testCredentials({ provider: "ideogram", type: "api_key", api_key: "mock-ideogram-api-key" }),
      },
    },
  ],
});

export const ideogramBlocks: Block[] = [ideogramModel];
