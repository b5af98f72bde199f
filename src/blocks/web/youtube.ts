// TranscribeYoutubeVideoBlock (AutoGPT's blocks/youtube.py): a video's transcript from YouTube's own endpoints, the
// way youtube-transcript-api fetches it: the watch page for the Innertube key, the player API for the caption
// tracks, then the chosen track's timed text (English first, else the first track, manual before generated).
import { Type } from "@sinclair/typebox";
import type { Http } from "../../infra/http/client.js";
import { CredentialsField, requireCredentials } from "../credentials.js";
import { inputs, outputs } from "../fields.js";
import { type Block, type BlockContext, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { checkAnswer, providerClient, systemCredentialsFilter } from "./common.js";

const YOUTUBE = "https://www.youtube.com";
/** youtube-transcript-api's Innertube client (its _settings.py). */
const INNERTUBE_CONTEXT = { client: { clientName: "ANDROID", clientVersion: "20.10.38" } };
const YOUTUBE_HOSTS = new Set(["www.youtube.com", "youtube.com", "m.youtube.com"]);

/** AutoGPT's extract_video_id: youtu.be/<id>, /watch?v=<id>, /embed/<id>, /v/<id>, /shorts/<id>. */
export function extractVideoId(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.host === "youtu.be") return parsed.pathname.slice(1);
  if (parsed && (parsed.host === "www.youtube.com" || parsed.host === "youtube.com")) {
    const segment = parsed.pathname.split("/")[2];
    if (parsed.pathname === "/watch") {
      const id = parsed.searchParams.get("v");
      if (id) return id;
    } else if (/^\/(embed|v|shorts)\//.test(parsed.pathname) && segment !== undefined) {
      return segment;
    }
  }
  throw new Error(`Invalid YouTube URL: ${url}`);
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** Character references (named, decimal, hex) replaced by their characters. */
function unescapeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code =
        ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** The lines of a timed-text document: each <text> element's text, XML-decoded, HTML-unescaped, tags removed. */
export function transcriptLines(xml: string): string[] {
  const lines: string[] = [];
  for (const match of xml.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)) {
    const raw = match[1] ?? "";
    if (!raw) continue;
    lines.push(unescapeEntities(unescapeEntities(raw)).replace(/<[^>]*>/g, ""));
  }
  return lines;
}

interface CaptionTrack {
  baseUrl: string;
  languageCode: string;
  kind?: string;
}

/** A URL YouTube handed out: on YouTube's hosts it goes through the provider's (operator-overridable) base URL. */
function youtubeUrl(youtube: Http & { baseUrl: string }, href: string): URL {
  const url = new URL(href, YOUTUBE);
  if (!YOUTUBE_HOSTS.has(url.host)) return url;
  return new URL(`${url.pathname.replace(/^\/+/, "")}${url.search}`, youtube.baseUrl.replace(/\/*$/, "/"));
}

async function fetchTranscript(ctx: BlockContext, videoId: string): Promise<string[]> {
  const youtube = providerClient(ctx, "youtube", YOUTUBE);
  const headers = { "accept-language": "en-US" };
  const watch = youtubeUrl(youtube, `/watch?v=${encodeURIComponent(videoId)}`);
  let page = await youtube.request({ url: watch, headers });
  checkAnswer(page, "YouTube", "Fetching the video page");
  let html = unescapeEntities(page.text());
  let cookie: string | undefined;
  if (html.includes('action="https://consent.youtube.com/s"')) {
    // The EU consent page: accept it the way youtube-transcript-api does, with a CONSENT cookie, and ask again.
    const value = /name="v" value="(.*?)"/.exec(html)?.[1];
    if (!value) throw new Error(`Could not accept YouTube's cookie consent for video ${videoId}`);
    cookie = `CONSENT=YES+${value}`;
    page = await youtube.request({ url: watch, headers: { ...headers, cookie } });
    checkAnswer(page, "YouTube", "Fetching the video page");
    html = unescapeEntities(page.text());
  }
  const apiKey = /"INNERTUBE_API_KEY":\s*"([a-zA-Z0-9_-]+)"/.exec(html)?.[1];
  if (!apiKey) {
    if (html.includes('class="g-recaptcha"')) {
      throw new Error(`YouTube is blocking requests from this server (a captcha) for video ${videoId}`);
    }
    throw new Error(`YouTube's page for video ${videoId} could not be read (no Innertube API key)`);
  }
  const player = await youtube.request({
    url: youtubeUrl(youtube, `/youtubei/v1/player?key=${encodeURIComponent(apiKey)}`),
    method: "POST",
    headers: { ...headers, ...(cookie ? { cookie } : {}) },
    json: { context: INNERTUBE_CONTEXT, videoId },
  });
  checkAnswer(player, "YouTube", "Asking YouTube's player API for captions");
  const data = player.json<{
    playabilityStatus?: { status?: string; reason?: string };
    captions?: { playerCaptionsTracklistRenderer?: { captionTracks?: CaptionTrack[] } };
  }>();
  const playability = data.playabilityStatus?.status;
  if (playability && playability !== "OK") {
    const reason = data.playabilityStatus?.reason ?? "";
    if (playability === "ERROR") throw new Error(`The video ${videoId} is no longer available`);
    throw new Error(`The video ${videoId} is unplayable${reason ? `: ${reason}` : ""}`);
  }
  const tracks = data.captions?.playerCaptionsTracklistRenderer?.captionTracks ?? [];
  if (tracks.length === 0) throw new Error(`Subtitles are disabled for the video ${videoId}`);
  const manual = tracks.filter((t) => t.kind !== "asr");
  const generated = tracks.filter((t) => t.kind === "asr");
  const track =
    manual.find((t) => t.languageCode === "en") ??
    generated.find((t) => t.languageCode === "en") ??
    manual[0] ??
    generated[0];
  if (!track?.baseUrl) throw new Error(`No transcript was found for the video ${videoId}`);
  const timedText = await youtube.request({
    url: youtubeUrl(youtube, track.baseUrl.replace("&fmt=srv3", "")),
    headers: { ...headers, ...(cookie ? { cookie } : {}) },
  });
  checkAnswer(timedText, "YouTube", "Fetching the transcript");
  return transcriptLines(timedText.text());
}

const TRACKS_PAGE = {
  json: {
    playabilityStatus: { status: "OK" },
    captions: {
      playerCaptionsTracklistRenderer: {
        captionTracks: [{ baseUrl: "https://www.youtube.com/api/timedtext?v=dQw4w9WgXcQ&lang=en", languageCode: "en" }],
      },
    },
  },
};

export const transcribeYoutubeVideo = defineBlock({
  id: "f3a8f7e1-4b1d-4e5f-9f2a-7c3d5a2e6b4c",
  name: "TranscribeYoutubeVideoBlock",
  description: "Transcribes a YouTube video using a proxy.",
  categories: ["SOCIAL"],
  input: inputs({
    youtube_url: Type.String({
      title: "YouTube URL",
      description: "The URL of the YouTube video to transcribe",
      placeholder: "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    }),
    credentials: CredentialsField({
      providers: ["webshare_proxy"],
      types: ["user_password"],
      description: "Webshare proxy credentials for fetching YouTube transcripts",
    }),
  }),
  output: outputs({
    video_id: Type.String({ description: "The extracted YouTube video ID" }),
    transcript: Type.String({ description: "The transcribed text of the video" }),
    error: Type.String({ description: "Any error message if the transcription fails" }),
  }),
  costs: [
    { cost_amount: 1, cost_filter: systemCredentialsFilter("webshare_proxy", "user_password"), cost_type: "run" },
  ],
  async *run({ youtube_url }, ctx) {
    // AutoGPT requires Webshare proxy credentials; this server's outgoing client has no proxy support, so the
    // credentials are checked but the requests go to YouTube directly (the operator may point "youtube" elsewhere).
    requireCredentials(ctx, "Webshare proxy", ["user_password"]);
    const videoId = extractVideoId(youtube_url);
    yield ["video_id", videoId];
    const lines = await fetchTranscript(ctx, videoId);
    yield ["transcript", lines.join("\n")];
  },
  test: [
    {
      input: {
        youtube_url: "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        credentials: { id: "01234567-89ab-cdef-0123-456789abcdef", provider: "webshare_proxy", type: "user_password" },
      },
      output: [
        ["video_id", "dQw4w9WgXcQ"],
        ["transcript", "Never gonna give you up\nNever gonna let you down"],
      ],
      context: {
        credentials: testCredentials({
          provider: "webshare_proxy",
          type: "user_password",
          username: "mock-webshare-username",
          password: "mock-webshare-password",
        }),
        http: scriptedHttp((req) => {
          if (req.url.pathname === "/watch") return { body: '<script>{"INNERTUBE_API_KEY":"test-key"}</script>' };
          if (req.url.pathname === "/youtubei/v1/player") return TRACKS_PAGE;
          return {
            body: '<?xml version="1.0"?><transcript><text start="0" dur="1">Never gonna give you up</text><text start="1" dur="1">Never gonna let you down</text></transcript>',
          };
        }),
      },
    },
  ],
});

export const youtubeBlocks: Block[] = [transcribeYoutubeVideo];
