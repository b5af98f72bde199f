// AIShortformVideoCreatorBlock: a short-form video rendered by revid.ai (create a render, then poll its status
// until the video is ready), with the user's Revid API key.
import { Type } from "@sinclair/typebox";
import { sleep } from "../../core/sleep.js";
import { CredentialsField } from "../credentials.js";
import { inputs, outputs, StringEnum } from "../fields.js";
import { type Block, type BlockContext, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { apiKeyOf, bodyText, exampleCredentialsInput, jsonOf } from "./shared.js";

export const REVID_BASE_URL = "https://www.revid.ai";
const REVID_SYSTEM_CREDENTIALS = { id: "fdb7f412-f519-48d1-9b5f-d2f73d0e01fe", provider: "revid", type: "api_key" };

/** AutoGPT polls every 10 s for up to 1,000 s; embedders and tests may change these. */
export const revidTuning = { pollIntervalMs: 10_000, maxWaitMs: 1_000_000 };

/** AutoGPT's AudioTrack values and the file each one plays. */
const AUDIO: Record<string, string> = {
  Observer: "https://cdn.tfrv.xyz/audio/observer.mp3",
  "Futuristic Beat": "https://cdn.tfrv.xyz/audio/_futuristic-beat.mp3",
  "Science Documentary": "https://cdn.tfrv.xyz/audio/_science-documentary.mp3",
  Hotline: "https://cdn.tfrv.xyz/audio/_hotline.mp3",
  "Bladerunner 2049": "https://cdn.tfrv.xyz/audio/_bladerunner-2049.mp3",
  "A Future": "https://cdn.tfrv.xyz/audio/a-future.mp3",
  "Elysian Embers": "https://cdn.tfrv.xyz/audio/elysian-embers.mp3",
  "Inspiring Cinematic": "https://cdn.tfrv.xyz/audio/inspiring-cinematic-ambient.mp3",
  "Bladerunner Remix": "https://cdn.tfrv.xyz/audio/bladerunner-remix.mp3",
  Izzamuzzic: "https://cdn.tfrv.xyz/audio/_izzamuzzic.mp3",
  Nas: "https://cdn.tfrv.xyz/audio/_nas.mp3",
  "Paris - Else": "https://cdn.tfrv.xyz/audio/_paris-else.mp3",
  Snowfall: "https://cdn.tfrv.xyz/audio/_snowfall.mp3",
  Burlesque: "https://cdn.tfrv.xyz/audio/burlesque.mp3",
  "Corny Candy": "https://cdn.tfrv.xyz/audio/corny-candy.mp3",
  "Highway Nocturne": "https://cdn.tfrv.xyz/audio/highway-nocturne.mp3",
  "I Don't Think So": "https://cdn.tfrv.xyz/audio/i-dont-think-so.mp3",
  "Losing Your Marbles": "https://cdn.tfrv.xyz/audio/losing-your-marbles.mp3",
  Refresher: "https://cdn.tfrv.xyz/audio/refresher.mp3",
  Tourist: "https://cdn.tfrv.xyz/audio/tourist.mp3",
  "Twin Tyches": "https://cdn.tfrv.xyz/audio/twin-tynches.mp3",
  "Dont Stop Me Abstract Future Bass": "https://cdn.revid.ai/audio/_dont-stop-me-abstract-future-bass.mp3",
};

/** AutoGPT's GenerationPreset values and their member names, which Revid receives. */
const PRESETS: Record<string, string> = {
  Default: "LEONARDO",
  Anime: "ANIME",
  Realist: "REALISM",
  Illustration: "ILLUSTRATION",
  "Sketch Color": "SKETCH_COLOR",
  "Sketch B&W": "SKETCH_BW",
  Pixar: "PIXAR",
  "Japanese Ink": "INK",
  "3D Render": "RENDER_3D",
  Lego: "LEGO",
  "Sci-Fi": "SCIFI",
  "Retro Cartoon": "RECRO_CARTOON",
  "Pixel Art": "PIXEL_ART",
  Creative: "CREATIVE",
  Photography: "PHOTOGRAPHY",
  Raytraced: "RAYTRACED",
  Environment: "ENVIRONMENT",
  Fantasy: "FANTASY",
  "Anime Realism": "ANIME_SR",
  Movie: "MOVIE",
  "Stylized Illustration": "STYLIZED_ILLUSTRATION",
  Manga: "MANGA",
  DEFAULT: "DEFAULT",
};

/** AutoGPT's Voice values and their ElevenLabs voice ids. */
const VOICES: Record<string, string> = {
  Lily: "pFZP5JQG7iQjIQuC4Bku",
  Daniel: "onwK4e9ZLuTAKqWW03F9",
  Brian: "nPczCjzI2devNBz1zQrb",
  Jessica: "cgSgspJ2msm6clMCkdW9",
  Charlotte: "XB0fDUnXU5powFXDhCwa",
  Callum: "N2lVS1w4EtoT3dr4eOWO",
  Eva: "FGY2WhTYpPnrIDTdsKH5",
};

const MEDIA_TYPES = ["stockVideo", "movingImage", "aiVideo"] as const;

interface RenderStatus {
  status?: string;
  videoUrl?: string;
  error?: string;
  message?: string;
}

async function waitForVideo(ctx: BlockContext, key: string, pid: string): Promise<string> {
  const api = ctx.http.forProvider("revid", REVID_BASE_URL);
  const deadline = Date.now() + revidTuning.maxWaitMs;
  for (;;) {
    const res = await api.request({
      url: `/api/public/v2/status?pid=${encodeURIComponent(pid)}`,
      headers: { key },
      retry: { attempts: 3, baseDelayMs: 500 },
    });
    ctx.reportUsage({ requests: 1 });
    if (!res.ok) throw new Error(`Revid answered ${res.status} about video ${pid}: ${bodyText(res)}`);
    const status = jsonOf<RenderStatus>(res) ?? {};
    if (status.status === "ready" && status.videoUrl) return status.videoUrl;
    if (status.status === "error")
      throw new Error(`Video creation failed: ${status.error ?? "Unknown error occurred"}`);
    if (status.status === "FAILED" || status.status === "CANCELED") {
      throw new Error(`Video creation failed: ${status.message}`);
    }
    if (Date.now() >= deadline) throw new Error("Video creation timed out");
    await sleep(revidTuning.pollIntervalMs, ctx.signal);
  }
}

export const aiShortformVideoCreator = defineBlock({
  id: "361697fb-0c4f-4feb-aed3-8320c88c771b",
  name: "AIShortformVideoCreatorBlock",
  description: "Creates a shortform video using revid.ai",
  categories: ["SOCIAL", "AI"],
  nodeTimeout: false,
  input: inputs({
    credentials: CredentialsField({
      providers: ["revid"],
      types: ["api_key"],
      description:
        "The revid.ai integration can be used with any API key with sufficient permissions for the blocks it is used on.",
    }),
    script: Type.String({
      description:
        "1. Use short and punctuated sentences\n\n2. Use linebreaks to create a new clip\n\n3. Text outside of brackets is spoken by the AI, and [text between brackets] will be used to guide the visual generation. For example, [close-up of a cat] will show a close-up of a cat.",
      placeholder: "[close-up of a cat] Meow!",
    }),
    ratio: Type.String({ description: "Aspect ratio of the video", default: "9 / 16" }),
    resolution: Type.String({ description: "Resolution of the video", default: "720p" }),
    frame_rate: Type.Integer({ description: "Frame rate of the video", default: 60 }),
    generation_preset: StringEnum(Object.keys(PRESETS), {
      description: "Generation preset for visual style - only affects AI-generated visuals",
      default: "Default",
      placeholder: "Default",
    }),
    background_music: StringEnum(Object.keys(AUDIO), {
      description: "Background music track",
      default: "Highway Nocturne",
      placeholder: "Highway Nocturne",
    }),
    voice: StringEnum(Object.keys(VOICES), {
      description: "AI voice to use for narration",
      default: "Lily",
      placeholder: "Lily",
    }),
    video_style: StringEnum(MEDIA_TYPES, {
      description: "Type of visual media to use for the video",
      default: "stockVideo",
      placeholder: "stockVideo",
    }),
  }),
  output: outputs({ video_url: Type.String({ description: "The URL of the created video" }) }),
  costs: [{ cost_amount: 307, cost_filter: { credentials: REVID_SYSTEM_CREDENTIALS }, cost_type: "run" }],
  async *run(input, ctx) {
    const key = apiKeyOf(ctx, "revid");
    const payload = {
      frameRate: input.frame_rate,
      resolution: input.resolution,
      frameDurationMultiplier: 18,
      webhook: null,
      creationParams: {
        mediaType: input.video_style,
        captionPresetName: "Wrap 1",
        selectedVoice: VOICES[input.voice],
        hasEnhancedGeneration: true,
        generationPreset: PRESETS[input.generation_preset],
        selectedAudio: input.background_music,
        origin: "/create",
        inputText: input.script,
        flowType: "text-to-video",
        slug: "create-tiktok-video",
        hasToGenerateVoice: true,
        hasToTranscript: false,
        hasToSearchMedia: true,
        hasAvatar: false,
        hasWebsiteRecorder: false,
        hasTextSmallAtBottom: false,
        ratio: input.ratio,
        sourceType: "contentScraping",
        selectedStoryStyle: { value: "custom", label: "Custom" },
        hasToGenerateVideos: input.video_style !== "stockVideo",
        audioUrl: AUDIO[input.background_music],
      },
    };
    const api = ctx.http.forProvider("revid", REVID_BASE_URL);
    const res = await api.request({ url: "/api/public/v2/render", method: "POST", headers: { key }, json: payload });
    ctx.reportUsage({ requests: 1 });
    if (!res.ok) throw new Error(`Failed to create video: Revid answered ${res.status}: ${bodyText(res)}`);
    const created = jsonOf<{ pid?: string; error?: string }>(res) ?? {};
    if (!created.pid) {
      throw new Error(`Failed to create video: No project ID returned${created.error ? `: ${created.error}` : ""}`);
    }
    yield ["video_url", await waitForVideo(ctx, key, created.pid)];
  },
  test: [
    {
      input: { credentials: exampleCredentialsInput("revid"), script: "[close-up of a cat] Meow!" },
      output: [["video_url", "https://example.com/video.mp4"]],
      context: {
        http: scriptedHttp((req) =>
          req.url.pathname.endsWith("/render")
            ? { json: { pid: "test_pid" } }
            : { json: { status: "ready", videoUrl: "https://example.com/video.mp4" } },
        ),
        credentials: testCredentials({ provider: "revid", type: "api_key", api_key: "mock-revid-api-key" }),
      },
    },
  ],
});

export const revidBlocks: Block[] = [aiShortformVideoCreator];
