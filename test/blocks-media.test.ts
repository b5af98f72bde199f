// The media and publishing blocks through the real server, each against a loopback server standing in for its
// provider (Replicate, Ideogram, Revid, Medium, WordPress, Airtable): the request the provider got (path, method,
// auth header, body), what the block yielded, a provider error failing the node without the secret, and a run with
// no credentials refused naming them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replicateTuning } from "../src/blocks/media/replicate.js";
import { revidTuning } from "../src/blocks/media/revid.js";
import { runBlock } from "./helpers/block-run.js";
import { type Client, signUp } from "./helpers/client.js";
import { type ProviderServer, type ReceivedRequest, startProviderServer } from "./helpers/provider-server.js";
import { create, ended, graph, until, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const IMAGE_GENERATOR = "ed1ae7a0-b770-4089-b520-1f0005fad19a";
const FLUX_ADVANCED = "90f8c45e-e983-4644-aa0b-b4ebe2f531bc";
const IDEOGRAM = "6ab085e2-20b3-4055-bc3e-08036e01eca6";
const SHORTFORM_VIDEO = "361697fb-0c4f-4feb-aed3-8320c88c771b";
const MEDIUM = "3f7b2dcb-4a78-4e3f-b0f1-88132e1b89df";
const WORDPRESS = "ee4fe08c-18f9-442f-a985-235379b932e1";
const AIRTABLE_BASE = "f59b88a8-54ce-4676-a508-fd614b4e8dce";
const AIRTABLE_RECORDS = "42527e98-47b6-44ce-ac0e-86b4883721d3";

const SECRETS = {
  replicate: "r8_replicate-secret-5c1d9e",
  ideogram: "ideogram-secret-8b2f4a",
  revid: "revid-secret-3e7c1b",
  medium: "medium-secret-9a4d2f",
  wordpress: "wp-token-secret-6f1e8c",
  airtable: "patAirtableSecret.7d3b5e",
};

const apiKey = (provider: keyof typeof SECRETS) => ({
  id: `cred-${provider}`,
  provider,
  type: "api_key",
  title: `My ${provider} key`,
  api_key: SECRETS[provider],
});

describe("media and publishing blocks", () => {
  const providers = {} as Record<keyof typeof SECRETS, ProviderServer>;
  let t: TestServer;
  let api: Client;
  const saved = { replicate: { ...replicateTuning }, revid: { ...revidTuning } };

  beforeAll(async () => {
    for (const name of Object.keys(SECRETS) as Array<keyof typeof SECRETS>) {
      providers[name] = await startProviderServer();
    }
    // Poll and retry at once: the loopback providers answer without delay.
    Object.assign(replicateTuning, { pollIntervalMs: 5, retryDelayMs: 5 });
    Object.assign(revidTuning, { pollIntervalMs: 5 });
    const ideogramHost = new URL(providers.ideogram.url).host;
    t = await startTestServer({
      // Ideogram's image URLs point at its loopback server; user-facing URLs still pass the guard.
      httpAllowList: [ideogramHost],
      outgoingHttp: {
        providerBaseUrls: {
          replicate: `${providers.replicate.url}/v1`,
          ideogram: providers.ideogram.url,
          revid: providers.revid.url,
          medium: `${providers.medium.url}/v1`,
          wordpress: providers.wordpress.url,
          airtable: providers.airtable.url,
        },
      },
    });
    api = (await signUp(t.url)).api;
  });
  afterAll(async () => {
    Object.assign(replicateTuning, saved.replicate);
    Object.assign(revidTuning, saved.revid);
    await t?.close();
    await Promise.all(Object.values(providers).map((p) => p.close()));
  });

  /** Runs the block and returns what its provider received during the run, too. */
  async function run(
    provider: keyof typeof SECRETS,
    blockId: string,
    input: Record<string, unknown>,
    credentials: Record<string, unknown> = apiKey(provider),
  ) {
    const before = providers[provider].received.length;
    const result = await runBlock(api, blockId, input, { credentials });
    const received = providers[provider].received.slice(before);
    expect(JSON.stringify(result.run)).not.toContain(SECRETS[provider]);
    return { ...result, received };
  }

  const errorOf = (r: { outputs: Record<string, unknown[]>; run: any }) =>
    String(r.outputs.error?.[0] ?? r.run.stats?.error ?? "");

  describe("Replicate", () => {
    it("AIImageGeneratorBlock creates a prediction for the chosen model, polls it, and yields the image URL", async () => {
      let polls = 0;
      providers.replicate.handle((req) => {
        if (req.method === "POST") return { status: 201, json: { id: "pred-1", status: "starting" } };
        polls++;
        return polls < 2
          ? { json: { id: "pred-1", status: "processing" } }
          : { json: { id: "pred-1", status: "succeeded", output: "https://replicate.delivery/flux.jpg" } };
      });
      const r = await run("replicate", IMAGE_GENERATOR, {
        prompt: "a red panda",
        model: "Flux 1.1 Pro",
        size: "wide",
        style: "realistic_image",
      });
      expect(r.status, JSON.stringify(r.node)).toBe("COMPLETED");
      expect(r.outputs.image_url).toEqual(["https://replicate.delivery/flux.jpg"]);
      const [created, ...polled] = r.received;
      expect(created).toMatchObject({
        method: "POST",
        path: "/v1/models/black-forest-labs/flux-1.1-pro/predictions",
        headers: { authorization: `Bearer ${SECRETS.replicate}` },
      });
      expect(created?.json).toEqual({
        input: {
          prompt: "photorealistic of a red panda",
          width: 1440,
          height: 810,
          aspect_ratio: "16:9",
          output_format: "jpg",
          output_quality: 90,
        },
      });
      expect(polled.map((p) => `${p.method} ${p.path}`)).toEqual([
        "GET /v1/predictions/pred-1",
        "GET /v1/predictions/pred-1",
      ]);
      expect(polled.every((p) => p.headers.authorization === `Bearer ${SECRETS.replicate}`)).toBe(true);
    });

    it("AIImageGeneratorBlock sends Recraft its native style and the default model SD 3.5 a prefixed prompt", async () => {
      providers.replicate.handle(() => ({
        status: 201,
        json: { id: "p", status: "succeeded", output: ["https://replicate.delivery/a.webp", "https://x/b.webp"] },
      }));
      const recraft = await run("replicate", IMAGE_GENERATOR, {
        prompt: "a lighthouse",
        model: "Recraft v3",
        style: "digital_illustration/pixel_art",
      });
      expect(recraft.outputs.image_url).toEqual(["https://replicate.delivery/a.webp"]);
      expect(recraft.received[0]?.path).toBe("/v1/models/recraft-ai/recraft-v3/predictions");
      expect(recraft.received[0]?.json).toEqual({
        input: { prompt: "a lighthouse", size: "1024x1024", style: "digital_illustration/pixel_art" },
      });

      const sd = await run("replicate", IMAGE_GENERATOR, { prompt: "a lighthouse", style: "any", size: "tall" });
      expect(sd.status).toBe("COMPLETED");
      expect(sd.received[0]?.path).toBe("/v1/models/stability-ai/stable-diffusion-3.5-medium/predictions");
      expect(sd.received[0]?.json.input).toEqual({
        prompt: "a lighthouse",
        aspect_ratio: "9:16",
        output_format: "webp",
        output_quality: 90,
        steps: 40,
        cfg_scale: 7,
      });
      expect(sd.received).toHaveLength(1);
    });

    it("retries a failed prediction as AutoGPT does, then fails the node with Replicate's reason", async () => {
      providers.replicate.handle((req) =>
        req.method === "POST"
          ? { status: 201, json: { id: "bad", status: "starting" } }
          : { json: { id: "bad", status: "failed", error: "NSFW content detected" } },
      );
      const r = await run("replicate", IMAGE_GENERATOR, { prompt: "x", model: "Nano Banana Pro" });
      expect(r.status).toBe("FAILED");
      expect(errorOf(r)).toBe("Failed to generate image: Replicate prediction failed: NSFW content detected");
      expect(r.received.filter((q) => q.method === "POST")).toHaveLength(replicateTuning.attempts);
      expect(r.received[0]?.path).toBe("/v1/models/google/nano-banana-pro/predictions");
    });

    it("a refused key fails at once with Replicate's answer and no secret", async () => {
      providers.replicate.handle(() => ({ status: 401, json: { title: "Unauthenticated", detail: "Invalid token." } }));
      const r = await run("replicate", FLUX_ADVANCED, { prompt: "x" });
      expect(r.status).toBe("FAILED");
      expect(errorOf(r)).toContain("Replicate answered 401");
      expect(errorOf(r)).toContain("Invalid token.");
      expect(errorOf(r)).not.toContain(SECRETS.replicate);
      expect(r.received).toHaveLength(1);
    });

    it("ReplicateFluxAdvancedModelBlock sends every setting to the chosen Flux model and yields the file URL", async () => {
      providers.replicate.handle((req) =>
        req.method === "POST"
          ? { status: 201, json: { id: "f1", status: "processing" } }
          : { json: { id: "f1", status: "succeeded", output: ["https://replicate.delivery/flux-pro.png"] } },
      );
      const r = await run("replicate", FLUX_ADVANCED, {
        prompt: "a serene lake",
        replicate_model_name: "Flux Pro",
        seed: 42,
        output_format: "png",
      });
      expect(r.status, JSON.stringify(r.node)).toBe("COMPLETED");
      expect(r.outputs.result).toEqual(["https://replicate.delivery/flux-pro.png"]);
      expect(r.received[0]).toMatchObject({
        method: "POST",
        path: "/v1/models/black-forest-labs/flux-pro/predictions",
      });
      expect(r.received[0]?.json).toEqual({
        input: {
          prompt: "a serene lake",
          seed: 42,
          steps: 25,
          guidance: 3,
          interval: 2,
          aspect_ratio: "1:1",
          output_format: "png",
          output_quality: 80,
          safety_tolerance: 2,
        },
      });
      // No seed given: a random one is sent.
      const random = await run("replicate", FLUX_ADVANCED, { prompt: "again" });
      expect(Number.isInteger(random.received[0]?.json.input.seed)).toBe(true);
      expect(random.received[0]?.path).toBe("/v1/models/black-forest-labs/flux-schnell/predictions");
    });
  });

  describe("Ideogram", () => {
    it("V_3 uses the V3 endpoint with the Api-Key header; AI Upscale downloads the image and upscales it", async () => {
      const image = Buffer.from("PNGDATA-1234");
      providers.ideogram.handle((req) => {
        if (req.path === "/v1/ideogram-v3/generate") {
          return { json: { data: [{ url: `${providers.ideogram.url}/images/generated.png` }] } };
        }
        if (req.path === "/images/generated.png") return { headers: { "content-type": "image/png" }, body: image };
        if (req.path === "/upscale")
          return { json: { data: [{ url: "https://ideogram.ai/api/images/upscaled.png" }] } };
        return { status: 404, json: { error: "no route" } };
      });
      const r = await run("ideogram", IDEOGRAM, {
        prompt: "a neon city",
        aspect_ratio: "ASPECT_16_9",
        upscale: "AI Upscale",
        seed: 7,
        negative_prompt: "blur",
      });
      expect(r.status, JSON.stringify(r.node)).toBe("COMPLETED");
      expect(r.outputs.result).toEqual(["https://ideogram.ai/api/images/upscaled.png"]);
      const [generate, download, upscale] = r.received;
      expect(generate).toMatchObject({ method: "POST", headers: { "api-key": SECRETS.ideogram } });
      expect(generate?.json).toEqual({
        prompt: "a neon city",
        aspect_ratio: "16x9",
        magic_prompt: "AUTO",
        style_type: "AUTO",
        seed: 7,
        negative_prompt: "blur",
      });
      expect(download).toMatchObject({ method: "GET", path: "/images/generated.png" });
      expect(download?.headers["api-key"]).toBeUndefined();
      expect(upscale).toMatchObject({ method: "POST", path: "/upscale", headers: { "api-key": SECRETS.ideogram } });
      expect(upscale?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
      expect(upscale?.body).toContain('name="image_request"');
      expect(upscale?.body).toContain('name="image_file"; filename="image.png"');
      expect(upscale?.body).toContain("PNGDATA-1234");
    });

    it("older models use the legacy /generate endpoint with their color palette", async () => {
      providers.ideogram.handle(() => ({ json: { data: [{ url: "https://ideogram.ai/api/images/v2.png" }] } }));
      const r = await run("ideogram", IDEOGRAM, {
        prompt: "a poster",
        ideogram_model_name: "V_2",
        custom_color_palette: ["#000030", "#FFFFFF"],
      });
      expect(r.outputs.result).toEqual(["https://ideogram.ai/api/images/v2.png"]);
      expect(r.received[0]).toMatchObject({ method: "POST", path: "/generate" });
      expect(r.received[0]?.json).toEqual({
        image_request: {
          prompt: "a poster",
          model: "V_2",
          aspect_ratio: "ASPECT_1_1",
          magic_prompt_option: "AUTO",
          style_type: "AUTO",
        },
        color_palette: { members: [{ color_hex: "#000030" }, { color_hex: "#FFFFFF" }] },
      });
    });

    it("a refused key fails the node with AutoGPT's message", async () => {
      providers.ideogram.handle(() => ({ status: 401, json: { detail: "Unauthorized" } }));
      const r = await run("ideogram", IDEOGRAM, { prompt: "x" });
      expect(r.status).toBe("FAILED");
      expect(errorOf(r)).toBe("Invalid or expired API key. Please check your Ideogram API credentials.");
    });
  });

  describe("Revid", () => {
    it("AIShortformVideoCreatorBlock creates a render with the key header and polls its status until ready", async () => {
      let polls = 0;
      providers.revid.handle((req) => {
        if (req.path === "/api/public/v2/render") return { json: { success: 1, pid: "proj-9" } };
        polls++;
        return polls < 2
          ? { json: { status: "processing" } }
          : { json: { status: "ready", videoUrl: "https://cdn.revid.ai/v.mp4" } };
      });
      const r = await run("revid", SHORTFORM_VIDEO, {
        script: "[close-up of a cat] Meow!",
        voice: "Brian",
        generation_preset: "Anime",
        video_style: "aiVideo",
      });
      expect(r.status, JSON.stringify(r.node)).toBe("COMPLETED");
      expect(r.outputs.video_url).toEqual(["https://cdn.revid.ai/v.mp4"]);
      const [render, ...status] = r.received;
      expect(render).toMatchObject({ method: "POST", path: "/api/public/v2/render", headers: { key: SECRETS.revid } });
      expect(render?.json).toMatchObject({
        frameRate: 60,
        resolution: "720p",
        frameDurationMultiplier: 18,
        webhook: null,
        creationParams: {
          mediaType: "aiVideo",
          selectedVoice: "nPczCjzI2devNBz1zQrb",
          generationPreset: "ANIME",
          selectedAudio: "Highway Nocturne",
          audioUrl: "https://cdn.tfrv.xyz/audio/highway-nocturne.mp3",
          inputText: "[close-up of a cat] Meow!",
          ratio: "9 / 16",
          hasToGenerateVideos: true,
        },
      });
      expect(status).toHaveLength(2);
      expect(status[0]).toMatchObject({
        method: "GET",
        path: "/api/public/v2/status",
        headers: { key: SECRETS.revid },
      });
      expect(status[0]?.query.get("pid")).toBe("proj-9");
    });

    it("stopping the run ends a render that is still being waited for", async () => {
      revidTuning.pollIntervalMs = 60_000;
      try {
        providers.revid.handle((req) =>
          req.path.endsWith("/render") ? { json: { pid: "slow" } } : { json: { status: "processing" } },
        );
        const before = providers.revid.received.length;
        const g = await create(
          api,
          graph("slow video", [{ id: "node", block_id: SHORTFORM_VIDEO, input_default: { script: "x" } }], []),
        );
        const field = Object.keys(g.credentials_input_schema.properties)[0] as string;
        const started = await api.post(`/api/graphs/${g.id}/execute/${g.version}`, {
          inputs: {},
          credentials_inputs: { [field]: apiKey("revid") },
        });
        expect(started.status).toBe(200);
        await until(
          () => providers.revid.received.slice(before).some((q) => q.path.endsWith("/status")),
          "the first status poll",
        );
        const stopped = await api.post(`/api/executions/${started.body.id}/stop`);
        expect(stopped.status).toBe(200);
        expect(stopped.body.status).toBe("TERMINATED");
        const done = await waitFor(api, started.body.id, ended);
        expect(done.node_executions.map((n: { status: string }) => n.status)).toEqual(["TERMINATED"]);
      } finally {
        revidTuning.pollIntervalMs = 5;
      }
    });

    it("a failed render fails the node with Revid's error", async () => {
      providers.revid.handle((req) =>
        req.path.endsWith("/render")
          ? { json: { pid: "p" } }
          : { json: { status: "error", error: "Not enough credits" } },
      );
      const r = await run("revid", SHORTFORM_VIDEO, { script: "hello" });
      expect(r.status).toBe("FAILED");
      expect(errorOf(r)).toBe("Video creation failed: Not enough credits");
    });

    it("a refused render fails naming Revid's answer, without the key", async () => {
      providers.revid.handle(() => ({ status: 403, json: { error: "Invalid API key" } }));
      const r = await run("revid", SHORTFORM_VIDEO, { script: "hello" });
      expect(r.status).toBe("FAILED");
      expect(errorOf(r)).toContain("Failed to create video: Revid answered 403");
      expect(errorOf(r)).not.toContain(SECRETS.revid);
      expect(r.received).toHaveLength(1);
    });
  });

  describe("Medium", () => {
    const post = {
      author_id: "1a2b3c",
      title: "Hello",
      content: "# Hi",
      content_format: "markdown",
      tags: ["ai", "agents"],
      publish_status: "draft",
    };

    it("PublishToMediumBlock posts to the author's posts with a Bearer token and yields the post", async () => {
      providers.medium.handle(() => ({
        status: 201,
        json: { data: { id: "e6f36a", url: "https://medium.com/@me/hello-e6f36a", publishedAt: 1626282600 } },
      }));
      const r = await run("medium", MEDIUM, post);
      expect(r.status, JSON.stringify(r.node)).toBe("COMPLETED");
      expect(r.outputs).toMatchObject({
        post_id: ["e6f36a"],
        post_url: ["https://medium.com/@me/hello-e6f36a"],
        published_at: [1626282600],
      });
      expect(r.received[0]).toMatchObject({
        method: "POST",
        path: "/v1/users/1a2b3c/posts",
        headers: { authorization: `Bearer ${SECRETS.medium}` },
      });
      expect(r.received[0]?.json).toEqual({
        title: "Hello",
        content: "# Hi",
        contentFormat: "markdown",
        tags: ["ai", "agents"],
        canonicalUrl: null,
        publishStatus: "draft",
        license: "all-rights-reserved",
        notifyFollowers: false,
      });
    });

    it("Medium's error message fails the node", async () => {
      providers.medium.handle(() => ({
        status: 401,
        json: { errors: [{ message: "Token was invalid.", code: 6003 }] },
      }));
      const r = await run("medium", MEDIUM, post);
      expect(r.status).toBe("FAILED");
      expect(errorOf(r)).toBe("Failed to create Medium post: Token was invalid.");
    });
  });

  describe("WordPress", () => {
    const oauth = {
      id: "cred-wordpress",
      provider: "wordpress",
      type: "oauth2",
      title: "My blog",
      access_token: SECRETS.wordpress,
      scopes: ["posts"],
    };

    it("WordPressCreatePostBlock publishes a form-encoded post with the OAuth2 token", async () => {
      providers.wordpress.handle(() => ({
        json: {
          ID: 42,
          URL: "https://myblog.wordpress.com/2026/12/04/hello/",
          short_URL: "https://wp.me/p1-G",
          status: "publish",
        },
      }));
      const r = await run(
        "wordpress",
        WORDPRESS,
        {
          site: "myblog.wordpress.com",
          title: "Hello",
          content: "<p>Hi</p>",
          tags: ["ai", "news"],
          media_urls: ["https://x/a.png"],
        },
        oauth,
      );
      expect(r.status, JSON.stringify(r.node)).toBe("COMPLETED");
      expect(r.outputs).toMatchObject({
        site: ["myblog.wordpress.com"],
        post_id: [42],
        post_url: ["https://myblog.wordpress.com/2026/12/04/hello/"],
        short_url: ["https://wp.me/p1-G"],
      });
      expect(r.outputs.post_data?.[0]).toMatchObject({ ID: 42, status: "publish" });
      const req = r.received[0] as ReceivedRequest;
      expect(req).toMatchObject({
        method: "POST",
        path: "/rest/v1.1/sites/myblog.wordpress.com/posts/new",
        headers: { authorization: `Bearer ${SECRETS.wordpress}`, "content-type": "application/x-www-form-urlencoded" },
      });
      const form = new URLSearchParams(req.body);
      expect(Object.fromEntries(form)).toMatchObject({
        title: "Hello",
        content: "<p>Hi</p>",
        status: "publish",
        type: "post",
        tags: "ai,news",
        categories: "",
        media_urls: "https://x/a.png",
      });
      expect(form.has("excerpt")).toBe(false);

      const draft = await run(
        "wordpress",
        WORDPRESS,
        { site: "s", title: "t", content: "c", publish_as_draft: true },
        oauth,
      );
      expect(new URLSearchParams(draft.received[0]?.body).get("status")).toBe("draft");
    });

    it("WordPress's error message fails the node", async () => {
      providers.wordpress.handle(() => ({
        status: 403,
        json: { error: "unauthorized", message: "User cannot publish posts" },
      }));
      const r = await run("wordpress", WORDPRESS, { site: "s", title: "t", content: "c" }, oauth);
      expect(r.status).toBe("FAILED");
      expect(errorOf(r)).toBe("Failed to create post: 403 - User cannot publish posts");
    });
  });

  describe("Airtable", () => {
    it("AirtableCreateBaseBlock returns an existing base of that name with its tables", async () => {
      providers.airtable.handle((req) =>
        req.path === "/v0/meta/bases"
          ? {
              json: {
                bases: [
                  { id: "appOther", name: "Other" },
                  { id: "appCRM", name: "CRM" },
                ],
              },
            }
          : { json: { tables: [{ id: "tblA", name: "Leads" }] } },
      );
      const r = await run("airtable", AIRTABLE_BASE, { workspace_id: "wsp1", name: "CRM" });
      expect(r.status, JSON.stringify(r.node)).toBe("COMPLETED");
      expect(r.outputs).toMatchObject({
        base_id: ["appCRM"],
        was_created: [false],
        tables: [[{ id: "tblA", name: "Leads" }]],
        table: [{ id: "tblA", name: "Leads" }],
      });
      expect(r.received.map((q) => `${q.method} ${q.path}`)).toEqual([
        "GET /v0/meta/bases",
        "GET /v0/meta/bases/appCRM/tables",
      ]);
      expect(r.received[0]?.headers.authorization).toBe(`Bearer ${SECRETS.airtable}`);
    });

    it("AirtableCreateBaseBlock creates the base when asked not to look for one", async () => {
      providers.airtable.handle(() => ({
        json: {
          id: "appNew",
          tables: [
            { id: "tbl1", name: "Default table" },
            { id: "tbl2", name: "Second" },
          ],
        },
      }));
      const tables = [
        {
          name: "Default table",
          fields: [{ name: "Done", type: "checkbox", options: { color: "greenBright", icon: "check" } }],
        },
      ];
      const r = await run("airtable", AIRTABLE_BASE, {
        workspace_id: "wsp1",
        name: "New",
        find_existing: false,
        tables,
      });
      expect(r.outputs).toMatchObject({ base_id: ["appNew"], was_created: [true] });
      expect(r.outputs.table).toHaveLength(2);
      expect(r.received).toHaveLength(1);
      expect(r.received[0]).toMatchObject({ method: "POST", path: "/v0/meta/bases" });
      expect(r.received[0]?.json).toEqual({ name: "New", workspaceId: "wsp1", tables });
    });

    it("AirtableCreateRecordsBlock creates the records and normalizes them against the table's fields", async () => {
      providers.airtable.handle((req) =>
        req.method === "POST"
          ? { json: { records: [{ id: "rec1", createdTime: "2026-12-04T00:00:00.000Z", fields: { Name: "Ada" } }] } }
          : {
              json: {
                tables: [
                  {
                    id: "tblLeads",
                    name: "Leads",
                    fields: [
                      { id: "f1", name: "Name", type: "singleLineText" },
                      { id: "f2", name: "Won", type: "checkbox" },
                      { id: "f3", name: "Tags", type: "multipleSelects" },
                    ],
                  },
                ],
              },
            },
      );
      const r = await run("airtable", AIRTABLE_RECORDS, {
        base_id: "appCRM",
        table_id_or_name: "Leads",
        records: [{ Name: "Ada", Won: "false" }],
        typecast: true,
      });
      expect(r.status, JSON.stringify(r.node)).toBe("COMPLETED");
      expect(r.outputs.records).toEqual([
        [{ id: "rec1", createdTime: "2026-12-04T00:00:00.000Z", fields: { Name: "Ada", Won: false, Tags: [] } }],
      ]);
      expect(r.received[0]).toMatchObject({
        method: "POST",
        path: "/v0/appCRM/Leads",
        headers: { authorization: `Bearer ${SECRETS.airtable}` },
      });
      expect(r.received[0]?.json).toEqual({ records: [{ fields: { Name: "Ada", Won: false } }], typecast: true });
      expect(r.received[1]).toMatchObject({ method: "GET", path: "/v0/meta/bases/appCRM/tables" });
    });

    it("Airtable's error message fails the node, without the token", async () => {
      providers.airtable.handle(() => ({
        status: 422,
        json: { error: { type: "INVALID_VALUE_FOR_COLUMN", message: 'Field "Won" cannot accept the provided value' } },
      }));
      const r = await run("airtable", AIRTABLE_RECORDS, {
        base_id: "appCRM",
        table_id_or_name: "Leads",
        records: [{ Won: 3 }],
        skip_normalization: true,
      });
      expect(r.status).toBe("FAILED");
      expect(errorOf(r)).toBe('Airtable answered 422: Field "Won" cannot accept the provided value');
    });
  });

  it("a run without credentials is refused, naming the credentials each block needs", async () => {
    const cases: Array<[string, string, Record<string, unknown>]> = [
      [IMAGE_GENERATOR, "replicate_api_key_credentials", { prompt: "x" }],
      [FLUX_ADVANCED, "replicate_api_key_credentials", { prompt: "x" }],
      [IDEOGRAM, "ideogram_api_key_credentials", { prompt: "x" }],
      [SHORTFORM_VIDEO, "revid_api_key_credentials", { script: "x" }],
      [
        MEDIUM,
        "medium_api_key_credentials",
        { author_id: "a", title: "t", content: "c", content_format: "html", tags: [], publish_status: "draft" },
      ],
      [WORDPRESS, "wordpress_oauth2_credentials", { site: "s", title: "t", content: "c" }],
      [AIRTABLE_BASE, "airtable_api_key_oauth2_credentials", { workspace_id: "w", name: "n" }],
      [AIRTABLE_RECORDS, "airtable_api_key_oauth2_credentials", { base_id: "b", table_id_or_name: "t", records: [{}] }],
    ];
    const before = Object.values(providers).reduce((n, p) => n + p.received.length, 0);
    for (const [blockId, field, input] of cases) {
      const g = await create(
        api,
        graph(`no credentials ${blockId}`, [{ id: "node", block_id: blockId, input_default: input }], []),
      );
      expect(Object.keys(g.credentials_input_schema.properties)).toEqual([field]);
      const res = await api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: {}, credentials_inputs: {} });
      expect(res.status, blockId).toBe(422);
      expect(res.body.error.message).toContain(`credentials_inputs.${field}`);
    }
    expect(Object.values(providers).reduce((n, p) => n + p.received.length, 0)).toBe(before);
  });

  it("credentials that name a key no one holds fail the node naming them", async () => {
    const r = await runBlock(
      api,
      IMAGE_GENERATOR,
      { prompt: "x" },
      {
        credentials: { id: "missing-key", provider: "replicate", type: "api_key", title: null },
      },
    );
    expect(r.status).toBe("FAILED");
    expect(JSON.stringify(r.run)).toMatch(/missing-key \(replicate, api_key\).*not available/);
  });
});
