// The web provider blocks through the real server: each runs as a one-node graph with the user's credential, against
// a loopback server standing in for its provider, which checks the request it got (path, method, auth, body) and
// answers like the real API; provider errors and missing credentials fail the node clearly, without the secret.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBlock } from "../src/blocks/index.js";
import { type BlockRunResult, runBlock } from "./helpers/block-run.js";
import { createKey, signUp } from "./helpers/client.js";
import { type ProviderServer, type ReceivedRequest, startProviderServer } from "./helpers/provider-server.js";
import { create, ended, graph, until, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { storedRows } from "./helpers/watch.js";

const SECRET = "sk-web-3f9c2a71d5e84b06";
const PASSWORD = "pw-web-8e41c7a2f09d";

const BLOCKS = {
  search: "87840993-2053-44b7-8da4-187ad4ee518c",
  extract: "436c3984-57fd-4b85-8e9a-459b356883bd",
  crawl: "bdbbaba0-03b7-4971-970e-699e2de6015e",
  firecrawlExtract: "d1774756-4d9e-40e6-bab1-47ec0ccd81b2",
  map: "f0f43e2b-c943-48a0-a7f1-40136ca4d3b9",
  suggestions: "73c3e7c4-2b3f-4e9f-9e3e-8f7a5c3e2d45",
  related: "8f2e4d6a-1b3c-4a5e-9d7f-2c8e6a4b3f1d",
  code: "0b02b072-abe7-11ef-8372-fb5d162dd712",
  youtube: "f3a8f7e1-4b1d-4e5f-9f2a-7c3d5a2e6b4c",
  maps: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
};

const apiKey = (provider: string, key = SECRET) => ({
  id: `cred-${provider}`,
  provider,
  type: "api_key",
  title: `My ${provider}`,
  api_key: key,
});
const userPassword = (provider: string) => ({
  id: `cred-${provider}`,
  provider,
  type: "user_password",
  title: `My ${provider}`,
  username: "alice",
  password: PASSWORD,
});

/** The message the node failed with (its `error` pin). */
const errorOf = (result: BlockRunResult) => String(result.outputs.error?.[0] ?? "");

/** A Connect protocol envelope, as envd's process service streams them. */
function envelope(message: unknown, flags = 0): Buffer {
  const payload = Buffer.from(JSON.stringify(message));
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

function readEnvelope(body: string): any {
  const bytes = Buffer.from(body, "latin1");
  return JSON.parse(bytes.subarray(5, 5 + bytes.readUInt32BE(1)).toString("utf8"));
}

describe("web provider blocks", () => {
  const providers: Record<string, ProviderServer> = {};
  let page: ProviderServer;
  let t: TestServer;
  let api: Awaited<ReturnType<typeof signUp>>["api"];

  /** The requests one provider received during `action`. */
  async function during(name: string, action: () => Promise<BlockRunResult>) {
    const server = providers[name] as ProviderServer;
    const before = server.received.length;
    const result = await action();
    return { result, requests: server.received.slice(before) };
  }

  beforeAll(async () => {
    for (const name of [
      "jina",
      "jina_reader",
      "firecrawl",
      "dataforseo",
      "e2b",
      "e2b_sandbox",
      "youtube",
      "google_maps",
    ]) {
      providers[name] = await startProviderServer();
    }
    page = await startProviderServer(() => ({
      headers: { "content-type": "text/html" },
      body: "<html><body>raw page</body></html>",
    }));
    t = await startTestServer({
      outgoingHttp: {
        providerBaseUrls: Object.fromEntries(Object.entries(providers).map(([name, server]) => [name, server.url])),
      },
      // A user's own URL (ExtractWebsiteContent's raw fetch) goes through the guard: allow the loopback page only.
      httpAllowList: [new URL(page.url).host],
    });
    api = (await signUp(t.url)).api;
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([...Object.values(providers), page].map((s) => s?.close()));
  });

  it("lists the blocks with AutoGPT's costs and credentials fields", async () => {
    const res = await api.get("/api/blocks");
    expect(res.status).toBe(200);
    const byId = new Map((res.body as any[]).map((b) => [b.id, b]));
    for (const id of Object.values(BLOCKS)) expect(byId.get(id)?.name, id).toBe(getBlock(id)?.name);
    expect(byId.get(BLOCKS.search).costs).toEqual([
      {
        cost_amount: 1,
        cost_filter: { credentials: { id: "7f26de70-ba0d-494e-ba76-238e65e7b45f", provider: "jina", type: "api_key" } },
        cost_type: "run",
      },
    ]);
    expect(byId.get(BLOCKS.firecrawlExtract).costs).toEqual([{ cost_amount: 2, cost_filter: {}, cost_type: "run" }]);
    expect(byId.get(BLOCKS.suggestions).inputSchema.properties.credentials).toMatchObject({
      credentials_provider: ["dataforseo"],
      credentials_types: ["user_password"],
    });
    expect(byId.get(BLOCKS.youtube).inputSchema.properties.credentials.credentials_provider).toEqual([
      "webshare_proxy",
    ]);
  });

  it("SearchTheWebBlock asks s.jina.ai for the quoted query with the key", async () => {
    providers.jina?.handle(() => ({ headers: { "content-type": "text/plain" }, body: "1. result about AI" }));
    const { result, requests } = await during("jina", () =>
      runBlock(api, BLOCKS.search, { query: "AI news/today & more" }, { credentials: apiKey("jina") }),
    );
    expect(result.status, JSON.stringify(result.outputs)).toBe("COMPLETED");
    expect(result.outputs.results).toEqual(["1. result about AI"]);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: "GET", path: "/AI%20news/today%20%26%20more" });
    expect(requests[0]?.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it("SearchTheWebBlock fails clearly on a 401, without the key", async () => {
    providers.jina?.handle(() => ({ status: 401, json: { detail: "Invalid API key" } }));
    const result = await runBlock(api, BLOCKS.search, { query: "x" }, { credentials: apiKey("jina") });
    expect(result.status).toBe("FAILED");
    expect(errorOf(result)).toBe("Search request failed: Jina answered HTTP 401: Invalid API key");
    expect(JSON.stringify(result.run)).not.toContain(SECRET);
  });

  it("ExtractWebsiteContentBlock reads a page through r.jina.ai, or fetches it raw without the key", async () => {
    providers.jina_reader?.handle(() => ({ body: "Title: Article\n\nMarkdown content" }));
    const reader = await during("jina_reader", () =>
      runBlock(api, BLOCKS.extract, { url: "https://example.com/article?id=7" }, { credentials: apiKey("jina") }),
    );
    expect(reader.result.outputs.content).toEqual(["Title: Article\n\nMarkdown content"]);
    expect(reader.requests[0]).toMatchObject({ method: "GET", path: "/https://example.com/article" });
    expect(reader.requests[0]?.query.get("id")).toBe("7");
    expect(reader.requests[0]?.headers.authorization).toBe(`Bearer ${SECRET}`);

    const before = page.received.length;
    const raw = await runBlock(
      api,
      BLOCKS.extract,
      { url: `${page.url}/some/page`, raw_content: true },
      { credentials: apiKey("jina") },
    );
    expect(raw.status, JSON.stringify(raw.outputs)).toBe("COMPLETED");
    expect(raw.outputs.content).toEqual(["<html><body>raw page</body></html>"]);
    const fetched = page.received.slice(before);
    expect(fetched.map((r) => r.path)).toEqual(["/some/page"]);
    expect(fetched[0]?.headers.authorization).toBeUndefined();

    // A raw fetch of a private address nobody allowed is refused by the guard.
    const refused = await runBlock(
      api,
      BLOCKS.extract,
      { url: "http://127.0.0.1:9/secret", raw_content: true },
      { credentials: apiKey("jina") },
    );
    expect(refused.status).toBe("FAILED");
    expect(errorOf(refused)).toMatch(/blocked/i);
  });

  it("FirecrawlCrawlBlock starts a crawl, polls it to completion, follows result pages and yields each format", async () => {
    let polls = 0;
    providers.firecrawl?.handle((req) => {
      if (req.method === "POST" && req.path === "/v2/crawl") return { json: { success: true, id: "job-1", url: "x" } };
      if (req.path === "/v2/crawl/job-1" && !req.query.get("skip")) {
        polls++;
        if (polls === 1) return { json: { success: true, status: "scraping", completed: 0, total: 2, data: [] } };
        return {
          json: {
            success: true,
            status: "completed",
            data: [{ markdown: "# One", links: ["https://a.example/1"], rawHtml: "<p>1</p>" }],
            next: `https://api.firecrawl.dev/v2/crawl/job-1?skip=1`,
          },
        };
      }
      if (req.path === "/v2/crawl/job-1") {
        return { json: { success: true, status: "completed", data: [{ markdown: "# Two", links: [] }] } };
      }
      return { status: 404, json: { success: false, error: `no ${req.path}` } };
    });
    const { result, requests } = await during("firecrawl", () =>
      runBlock(
        api,
        BLOCKS.crawl,
        { url: "https://a.example", limit: 2, formats: ["markdown", "links", "screenshot@fullPage"] },
        { credentials: apiKey("firecrawl") },
      ),
    );
    expect(result.status, JSON.stringify(result.outputs)).toBe("COMPLETED");
    expect(requests[0]?.json).toEqual({
      url: "https://a.example",
      scrapeOptions: {
        formats: ["markdown", "links", { type: "screenshot", fullPage: true }],
        onlyMainContent: true,
        maxAge: 3600000,
        waitFor: 0,
      },
      limit: 2,
    });
    expect(requests.map((r) => `${r.method} ${r.path}${r.query.size ? `?${r.query}` : ""}`)).toEqual([
      "POST /v2/crawl",
      "GET /v2/crawl/job-1",
      "GET /v2/crawl/job-1",
      "GET /v2/crawl/job-1?skip=1",
    ]);
    expect(requests.every((r) => r.headers.authorization === `Bearer ${SECRET}`)).toBe(true);
    expect(result.outputs.data).toEqual([
      [
        { markdown: "# One", links: ["https://a.example/1"], raw_html: "<p>1</p>" },
        { markdown: "# Two", links: [] },
      ],
    ]);
    expect(result.outputs.markdown).toEqual(["# One", "# Two"]);
    expect(result.outputs.links).toEqual([["https://a.example/1"], []]);
    expect(result.outputs.screenshot_full_page).toEqual([null, null]);
  });

  it("FirecrawlCrawlBlock stops polling when the run is stopped", async () => {
    providers.firecrawl?.handle((req) =>
      req.method === "POST"
        ? { json: { success: true, id: "job-slow" } }
        : { json: { success: true, status: "scraping", completed: 0, total: 9, data: [] } },
    );
    const before = providers.firecrawl?.received.length ?? 0;
    const polls = () => (providers.firecrawl?.received ?? []).slice(before).filter((r) => r.method === "GET").length;
    const g = await create(
      api,
      graph("slow crawl", [{ id: "node", block_id: BLOCKS.crawl, input_default: { url: "https://a.example" } }], []),
    );
    const field = Object.keys(g.credentials_input_schema.properties)[0] as string;
    const res = await api.post(`/api/graphs/${g.id}/execute/${g.version}`, {
      inputs: {},
      credentials_inputs: { [field]: apiKey("firecrawl") },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await until(() => polls() >= 1, "the first status poll");
    expect((await api.post(`/api/executions/${res.body.id}/stop`)).status).toBe(200);
    const done = await waitFor(api, res.body.id, ended);
    expect(done.status).toBe("TERMINATED");
  });

  it("FirecrawlExtractBlock starts an extraction and waits for its data", async () => {
    providers.firecrawl?.handle((req) => {
      if (req.method === "POST" && req.path === "/v2/extract") return { json: { success: true, id: "ex-1" } };
      if (req.path === "/v2/extract/ex-1") {
        return { json: { success: true, status: "completed", data: { company: "Example Inc" } } };
      }
      return { status: 404, json: { success: false, error: "no route" } };
    });
    const schema = { type: "object", properties: { company: { type: "string" } } };
    const { result, requests } = await during("firecrawl", () =>
      runBlock(
        api,
        BLOCKS.firecrawlExtract,
        { urls: ["https://a.example/*"], prompt: "The company's name", output_schema: schema },
        { credentials: apiKey("firecrawl") },
      ),
    );
    expect(result.status, JSON.stringify(result.outputs)).toBe("COMPLETED");
    expect(result.outputs.data).toEqual([{ company: "Example Inc" }]);
    expect(requests[0]).toMatchObject({ method: "POST", path: "/v2/extract" });
    expect(requests[0]?.json).toEqual({
      urls: ["https://a.example/*"],
      enableWebSearch: false,
      prompt: "The company's name",
      schema,
    });
    expect(requests[1]).toMatchObject({ method: "GET", path: "/v2/extract/ex-1" });
  });

  it("FirecrawlMapWebsiteBlock maps a site's links; a failed job fails the node with Firecrawl's message", async () => {
    providers.firecrawl?.handle(() => ({
      json: {
        success: true,
        links: [{ url: "https://a.example/x", title: "X", description: "the x page" }, "https://a.example/y"],
      },
    }));
    const { result, requests } = await during("firecrawl", () =>
      runBlock(api, BLOCKS.map, { url: " https://a.example " }, { credentials: apiKey("firecrawl") }),
    );
    expect(requests[0]).toMatchObject({ method: "POST", path: "/v2/map", json: { url: "https://a.example" } });
    expect(result.outputs.links).toEqual([["https://a.example/x", "https://a.example/y"]]);
    expect(result.outputs.results).toEqual([
      [
        { url: "https://a.example/x", title: "X", description: "the x page" },
        { url: "https://a.example/y", title: null, description: null },
      ],
    ]);

    providers.firecrawl?.handle(() => ({ status: 402, json: { success: false, error: "Insufficient credits" } }));
    const failed = await runBlock(api, BLOCKS.map, { url: "https://a.example" }, { credentials: apiKey("firecrawl") });
    expect(failed.status).toBe("FAILED");
    expect(errorOf(failed)).toBe("Mapping the website failed: Firecrawl answered HTTP 402: Insufficient credits");
  });

  const labsAnswer = (items: unknown[]) => ({
    json: { status_code: 20000, tasks: [{ status_code: 20000, status_message: "Ok.", result: [{ items }] }] },
  });

  it("DataForSeoKeywordSuggestionsBlock posts one live task with Basic auth and yields each suggestion", async () => {
    providers.dataforseo?.handle(() =>
      labsAnswer([
        {
          keyword: "seo tools",
          keyword_info: { search_volume: 900, competition: 0.3, cpc: 1.2 },
          keyword_properties: { keyword_difficulty: 40 },
          serp_info: { se_results_count: 5 },
        },
        { keyword: "seo audit", keyword_info: { search_volume: 100 }, keyword_properties: {} },
      ]),
    );
    const { result, requests } = await during("dataforseo", () =>
      runBlock(
        api,
        BLOCKS.suggestions,
        { keyword: "seo", include_serp_info: true, limit: 2 },
        { credentials: userPassword("dataforseo") },
      ),
    );
    expect(result.status, JSON.stringify(result.outputs)).toBe("COMPLETED");
    expect(requests[0]).toMatchObject({ method: "POST", path: "/v3/dataforseo_labs/google/keyword_suggestions/live" });
    expect(requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`alice:${PASSWORD}`).toString("base64")}`);
    expect(requests[0]?.json).toEqual([
      {
        keyword: "seo",
        location_code: 2840,
        language_code: "en",
        include_seed_keyword: true,
        include_serp_info: true,
        include_clickstream_data: false,
        limit: 2,
      },
    ]);
    const first = {
      keyword: "seo tools",
      search_volume: 900,
      competition: 0.3,
      cpc: 1.2,
      keyword_difficulty: 40,
      serp_info: { se_results_count: 5 },
      clickstream_data: null,
    };
    const second = {
      keyword: "seo audit",
      search_volume: 100,
      competition: null,
      cpc: null,
      keyword_difficulty: null,
      serp_info: null,
      clickstream_data: null,
    };
    expect(result.outputs.suggestion).toEqual([first, second]);
    expect(result.outputs.suggestions).toEqual([[first, second]]);
    expect(result.outputs.total_count).toEqual([2]);
    expect(result.outputs.seed_keyword).toEqual(["seo"]);

    providers.dataforseo?.handle(() => ({
      status: 401,
      json: { status_code: 40100, status_message: "Not authorized" },
    }));
    const failed = await runBlock(
      api,
      BLOCKS.suggestions,
      { keyword: "seo" },
      { credentials: userPassword("dataforseo") },
    );
    expect(failed.status).toBe("FAILED");
    expect(errorOf(failed)).toBe("Failed to fetch keyword suggestions: DataForSEO API error (401): Not authorized");
    expect(JSON.stringify(failed.run)).not.toContain(PASSWORD);
  });

  it("DataForSeoRelatedKeywordsBlock sends the depth and reads each item's keyword data", async () => {
    providers.dataforseo?.handle(() =>
      labsAnswer([
        {
          keyword_data: {
            keyword: "content strategy",
            keyword_info: { search_volume: 8000, competition: 0.4, cpc: 3 },
            keyword_properties: { keyword_difficulty: 45 },
            clickstream_keyword_info: { gender_distribution: { female: 60 } },
          },
        },
      ]),
    );
    const { result, requests } = await during("dataforseo", () =>
      runBlock(
        api,
        BLOCKS.related,
        { keyword: "content", depth: 2, include_clickstream_data: true, location_code: 2826, language_code: "de" },
        { credentials: userPassword("dataforseo") },
      ),
    );
    expect(result.status, JSON.stringify(result.outputs)).toBe("COMPLETED");
    expect(requests[0]?.path).toBe("/v3/dataforseo_labs/google/related_keywords/live");
    expect(requests[0]?.json).toEqual([
      {
        keyword: "content",
        location_code: 2826,
        language_code: "de",
        include_seed_keyword: true,
        include_serp_info: false,
        include_clickstream_data: true,
        limit: 100,
        depth: 2,
      },
    ]);
    const keyword = {
      keyword: "content strategy",
      search_volume: 8000,
      competition: 0.4,
      cpc: 3,
      keyword_difficulty: 45,
      serp_info: null,
      clickstream_data: { gender_distribution: { female: 60 } },
    };
    expect(result.outputs.related_keyword).toEqual([keyword]);
    expect(result.outputs.related_keywords).toEqual([[keyword]]);
    expect(result.outputs.total_count).toEqual([1]);
  });

  it("ExecuteCodeBlock creates an E2B sandbox, runs setup and code there, and kills it", async () => {
    providers.e2b?.handle((req) => {
      if (req.method === "POST" && req.path === "/sandboxes") {
        return {
          status: 201,
          json: {
            sandboxID: "sbx-1",
            templateID: "code-interpreter-v1",
            envdVersion: "0.2.4",
            envdAccessToken: "envd-tok",
          },
        };
      }
      if (req.method === "DELETE" && req.path === "/sandboxes/sbx-1") return { status: 204 };
      return { status: 404, json: { code: 404, message: "no route" } };
    });
    providers.e2b_sandbox?.handle((req) => {
      if (req.path === "/process.Process/Start") {
        return {
          headers: { "content-type": "application/connect+json" },
          body: Buffer.concat([
            envelope({ event: { start: { pid: 7 } } }),
            envelope({ event: { data: { stdout: Buffer.from("installed\n").toString("base64") } } }),
            envelope({ event: { end: { exited: true, status: "exit status 0" } } }),
            envelope({}, 2),
          ]),
        };
      }
      if (req.path === "/execute") {
        const lines = [
          { type: "stdout", text: "hello\n", timestamp: 1 },
          { type: "result", text: "42", is_main_result: true },
          { type: "result", png: "iVBORw0", text: "<Figure>", is_main_result: false },
          { type: "stderr", text: "warning\n", timestamp: 2 },
          { type: "end_of_execution" },
        ];
        return {
          headers: { "content-type": "application/x-ndjson" },
          body: lines.map((l) => JSON.stringify(l)).join("\n"),
        };
      }
      return { status: 404, body: "no route" };
    });
    const sandboxBefore = providers.e2b_sandbox?.received.length ?? 0;
    const { result, requests } = await during("e2b", () =>
      runBlock(
        api,
        BLOCKS.code,
        { code: "print('hello')\n6*7", setup_commands: ["pip install cowsay"], timeout: 60 },
        { credentials: apiKey("e2b") },
      ),
    );
    expect(result.status, JSON.stringify(result.outputs)).toBe("COMPLETED");
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /sandboxes", "DELETE /sandboxes/sbx-1"]);
    expect(requests.every((r) => r.headers["x-api-key"] === SECRET)).toBe(true);
    expect(requests[0]?.json).toMatchObject({ templateID: "code-interpreter-v1", timeout: 60 });

    const sandbox = (providers.e2b_sandbox?.received ?? []).slice(sandboxBefore) as ReceivedRequest[];
    expect(sandbox.map((r) => `${r.method} ${r.path} ${r.headers["e2b-sandbox-port"]}`)).toEqual([
      "POST /process.Process/Start 49983",
      "POST /execute 49999",
    ]);
    expect(sandbox.every((r) => r.headers["x-access-token"] === "envd-tok")).toBe(true);
    expect(sandbox[0]?.headers["content-type"]).toBe("application/connect+json");
    expect(readEnvelope(sandbox[0]?.body ?? "")).toEqual({
      process: { cmd: "/bin/bash", args: ["-l", "-c", "pip install cowsay"], envs: {} },
      stdin: false,
    });
    expect(sandbox[1]?.json).toEqual({ code: "print('hello')\n6*7", language: "python" });

    expect(result.outputs.main_result).toEqual([{ text: "42" }]);
    expect(result.outputs.results).toEqual([
      [
        { text: "42", is_main_result: true },
        { text: "<Figure>", png: "iVBORw0", is_main_result: false },
      ],
    ]);
    expect(result.outputs.response).toEqual(["42"]);
    expect(result.outputs.stdout_logs).toEqual(["hello\n"]);
    expect(result.outputs.stderr_logs).toEqual(["warning\n"]);
  });

  it("ExecuteCodeBlock fails with the code's error and still kills the sandbox", async () => {
    providers.e2b_sandbox?.handle(() => ({
      body: JSON.stringify({
        type: "error",
        name: "NameError",
        value: "name 'x' is not defined",
        traceback: "Traceback",
      }),
    }));
    const { result, requests } = await during("e2b", () =>
      runBlock(api, BLOCKS.code, { code: "x", dispose_sandbox: false }, { credentials: apiKey("e2b") }),
    );
    expect(result.status).toBe("FAILED");
    expect(errorOf(result)).toBe("NameError: name 'x' is not defined\nTraceback");
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /sandboxes", "DELETE /sandboxes/sbx-1"]);

    providers.e2b?.handle(() => ({ status: 401, json: { code: 401, message: "Invalid API key" } }));
    const refused = await runBlock(api, BLOCKS.code, { code: "1" }, { credentials: apiKey("e2b") });
    expect(refused.status).toBe("FAILED");
    expect(errorOf(refused)).toBe("Creating the E2B sandbox failed: E2B answered HTTP 401: Invalid API key");
    expect(JSON.stringify(refused.run)).not.toContain(SECRET);
  });

  it("TranscribeYoutubeVideoBlock reads the Innertube key, the caption tracks and the English track's text", async () => {
    providers.youtube?.handle((req) => {
      if (req.path === "/watch") {
        return {
          body: `<html><script>var c = {"INNERTUBE_API_KEY": "inner-key", "v": "${req.query.get("v")}"}</script>`,
        };
      }
      if (req.path === "/youtubei/v1/player") {
        return {
          json: {
            playabilityStatus: { status: "OK" },
            captions: {
              playerCaptionsTracklistRenderer: {
                captionTracks: [
                  { baseUrl: "https://www.youtube.com/api/timedtext?v=abc123&lang=de", languageCode: "de" },
                  {
                    baseUrl: "https://www.youtube.com/api/timedtext?v=abc123&lang=en&fmt=srv3",
                    languageCode: "en",
                    kind: "asr",
                  },
                ],
              },
            },
          },
        };
      }
      if (req.path === "/api/timedtext") {
        return {
          body: '<?xml version="1.0" encoding="utf-8" ?><transcript><text start="0.1" dur="2">It&amp;#39;s <b>here</b></text><text start="2" dur="1"></text><text start="3" dur="2">Tom &amp;amp; Jerry</text></transcript>',
        };
      }
      return { status: 404, body: "no route" };
    });
    const { result, requests } = await during("youtube", () =>
      runBlock(
        api,
        BLOCKS.youtube,
        { youtube_url: "https://youtu.be/abc123" },
        { credentials: userPassword("webshare_proxy") },
      ),
    );
    expect(result.status, JSON.stringify(result.outputs)).toBe("COMPLETED");
    expect(result.outputs.video_id).toEqual(["abc123"]);
    expect(result.outputs.transcript).toEqual(["It's here\nTom & Jerry"]);
    expect(requests.map((r) => `${r.method} ${r.path}?${r.query}`)).toEqual([
      "GET /watch?v=abc123",
      "POST /youtubei/v1/player?key=inner-key",
      "GET /api/timedtext?v=abc123&lang=en",
    ]);
    expect(requests[1]?.json).toEqual({
      context: { client: { clientName: "ANDROID", clientVersion: "20.10.38" } },
      videoId: "abc123",
    });

    providers.youtube?.handle((req) =>
      req.path === "/watch"
        ? { body: '{"INNERTUBE_API_KEY":"inner-key"}' }
        : { json: { playabilityStatus: { status: "OK" }, captions: {} } },
    );
    const none = await runBlock(
      api,
      BLOCKS.youtube,
      { youtube_url: "https://www.youtube.com/watch?v=zzz" },
      { credentials: userPassword("webshare_proxy") },
    );
    expect(none.status).toBe("FAILED");
    expect(none.outputs.video_id).toEqual(["zzz"]);
    expect(errorOf(none)).toBe("Subtitles are disabled for the video zzz");

    const invalid = await runBlock(
      api,
      BLOCKS.youtube,
      { youtube_url: "https://vimeo.com/1" },
      { credentials: userPassword("webshare_proxy") },
    );
    expect(errorOf(invalid)).toBe("Invalid YouTube URL: https://vimeo.com/1");
  });

  it("GoogleMapsSearchBlock pages through Places text search up to max_results", async () => {
    const place = (n: number) => ({
      id: `place-${n}`,
      displayName: { text: `Cafe ${n}` },
      formattedAddress: `${n} Main St`,
      nationalPhoneNumber: `555-000${n}`,
      rating: 4,
      userRatingCount: 10 * n,
      websiteUri: `https://cafe${n}.example`,
      location: { latitude: 40 + n, longitude: -73 },
      googleMapsUri: `https://maps.google.com/?cid=${n}`,
    });
    providers.google_maps?.handle((req) =>
      req.json?.pageToken
        ? { json: { places: [place(3), place(4)] } }
        : { json: { places: [place(1), place(2)], nextPageToken: "page-2" } },
    );
    const { result, requests } = await during("google_maps", () =>
      runBlock(
        api,
        BLOCKS.maps,
        { query: "cafes in Brooklyn", max_results: 3 },
        { credentials: apiKey("google_maps") },
      ),
    );
    expect(result.status, JSON.stringify(result.outputs)).toBe("COMPLETED");
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/places:searchText",
      "POST /v1/places:searchText",
    ]);
    expect(requests.map((r) => r.json)).toEqual([
      { textQuery: "cafes in Brooklyn", pageSize: 3 },
      { textQuery: "cafes in Brooklyn", pageSize: 1, pageToken: "page-2" },
    ]);
    expect(requests[0]?.headers["x-goog-api-key"]).toBe(SECRET);
    expect(requests[0]?.headers["x-goog-fieldmask"]).toContain("places.displayName");
    expect(result.outputs.place).toHaveLength(3);
    // Each page asked of the provider counts in the node's stats.
    const { nodes } = await storedRows(t, result.run.id);
    expect(nodes.find((n) => n.blockId === BLOCKS.maps)?.stats).toMatchObject({ request_count: 2 });
    expect(result.outputs.place?.[0]).toEqual({
      name: "Cafe 1",
      address: "1 Main St",
      phone: "555-0001",
      rating: 4,
      reviews: 10,
      website: "https://cafe1.example",
      place_id: "place-1",
      latitude: 41,
      longitude: -73,
      google_maps_url: "https://maps.google.com/?cid=1",
    });

    providers.google_maps?.handle(() => ({
      status: 400,
      json: { error: { code: 400, message: "API key not valid", details: [{ reason: "API_KEY_INVALID" }] } },
    }));
    const failed = await runBlock(api, BLOCKS.maps, { query: "x" }, { credentials: apiKey("google_maps") });
    expect(failed.status).toBe("FAILED");
    expect(errorOf(failed)).toBe(
      "Google rejected the Maps API key. Check the key saved in your Google Maps credentials.",
    );
  });

  it("refuses a run that gives none of the credentials a block needs, naming them", async () => {
    const fields: Array<[string, string, Record<string, unknown>]> = [
      [BLOCKS.search, "jina_api_key_credentials", { query: "q" }],
      [BLOCKS.crawl, "firecrawl_api_key_credentials", { url: "https://a.example" }],
      [BLOCKS.related, "dataforseo_user_password_credentials", { keyword: "k" }],
      [BLOCKS.code, "e2b_api_key_credentials", { code: "1" }],
      [BLOCKS.youtube, "webshare_proxy_user_password_credentials", { youtube_url: "https://youtu.be/x" }],
      [BLOCKS.maps, "google_maps_api_key_credentials", { query: "q" }],
    ];
    for (const [blockId, field, input] of fields) {
      const node = { id: "node", block_id: blockId, input_default: input };
      const g = await create(api, graph(`no credentials ${blockId}`, [node], []));
      expect(Object.keys(g.credentials_input_schema.properties)).toEqual([field]);
      const res = await api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: {}, credentials_inputs: {} });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.error.message).toContain(`credentials_inputs.${field}`);
    }
  });

  it("a direct block run naming credentials the caller does not hold fails naming them", async () => {
    const session = await signUp(t.url);
    const runner = (await createKey(t.url, session.api, ["EXECUTE_BLOCK"])).api;
    const before = providers.dataforseo?.received.length ?? 0;
    const res = await runner.post(`/external-api/v1/blocks/${BLOCKS.related}/execute`, {
      credentials: { id: "cred-x", provider: "dataforseo", type: "user_password", title: "x" },
      keyword: "k",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.message).toContain(
      "Credentials cred-x (dataforseo, user_password) for `credentials` are not available",
    );
    expect(providers.dataforseo?.received.length).toBe(before);
  });
});
