// Firecrawl blocks (AutoGPT's blocks/firecrawl/): crawl a site, extract structured data, map a site's links, over
// Firecrawl's v2 REST API as the firecrawl-py SDK calls it. Crawl and extract are jobs: started, then polled.
import { Type } from "@sinclair/typebox";
import { sleep } from "../../core/sleep.js";
import { CredentialsField, requireCredentials } from "../credentials.js";
import { Dict, inputs, Nullable, outputs, StringEnum } from "../fields.js";
import { type Block, type BlockContext, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { checkAnswer, providerClient, under } from "./common.js";

const FIRECRAWL_API = "https://api.firecrawl.dev";
/** firecrawl-py's default poll interval for crawl and extract jobs. */
const POLL_INTERVAL_MS = 2_000;

/** firecrawl.credentials_field() of AutoGPT's ProviderBuilder("firecrawl").with_api_key(...). */
const FirecrawlCredentials = () =>
  CredentialsField({ providers: ["firecrawl"], types: ["api_key"], description: "Firecrawl API Key" });

/** ProviderBuilder("firecrawl").with_base_cost(1, RUN): every block of the provider without its own cost. */
const BASE_COST = [{ cost_amount: 1, cost_filter: {}, cost_type: "run" as const }];

const SCRAPE_FORMATS = [
  "markdown",
  "html",
  "rawHtml",
  "links",
  "screenshot",
  "screenshot@fullPage",
  "json",
  "changeTracking",
] as const;
type ScrapeFormat = (typeof SCRAPE_FORMATS)[number];

/** The output pin each requested format feeds, once per crawled page (AutoGPT's loop over crawl_result.data). */
const FORMAT_PINS: Record<ScrapeFormat, [pin: string, field: string]> = {
  markdown: ["markdown", "markdown"],
  html: ["html", "html"],
  rawHtml: ["raw_html", "rawHtml"],
  links: ["links", "links"],
  screenshot: ["screenshot", "screenshot"],
  "screenshot@fullPage": ["screenshot_full_page", "screenshot"],
  json: ["json_data", "json"],
  changeTracking: ["change_tracking", "changeTracking"],
};

/** A page as firecrawl-py's Document serializes it: snake_case field names. */
function documentOf(raw: Record<string, unknown>): Record<string, unknown> {
  const renamed: Record<string, string> = { rawHtml: "raw_html", changeTracking: "change_tracking" };
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [renamed[k] ?? k, v]));
}

function firecrawl(ctx: BlockContext) {
  const { api_key } = requireCredentials(ctx, "Firecrawl", ["api_key"]);
  const api = providerClient(ctx, "firecrawl", FIRECRAWL_API);
  const headers = { authorization: `Bearer ${api_key}`, "content-type": "application/json" };
  return {
    async post<T>(path: string, body: unknown, what: string): Promise<T> {
      const response = await api.request({ url: path, method: "POST", headers, json: body });
      checkAnswer(response, "Firecrawl", what);
      return response.json<T>();
    },
    /** `url` is a path, or a `next` page link Firecrawl gave, kept on the provider's host with the key. */
    async get<T>(url: string, what: string): Promise<T> {
      const link = new URL(url, api.baseUrl);
      const target = under(api.baseUrl, `${link.pathname.replace(/^\/+/, "")}${link.search}`);
      const response = await api.request({ url: target, method: "GET", headers });
      checkAnswer(response, "Firecrawl", what);
      return response.json<T>();
    },
  };
}

interface JobStatus {
  success?: boolean;
  status?: string;
  error?: string;
  data?: unknown;
  next?: string | null;
}

/** Polls a job until it is completed, failed or cancelled, as firecrawl-py's wait helpers do. */
async function waitForJob(
  client: ReturnType<typeof firecrawl>,
  path: string,
  what: string,
  signal: AbortSignal,
): Promise<JobStatus> {
  for (;;) {
    const status = await client.get<JobStatus>(path, what);
    if (status.success === false) throw new Error(`${what} failed: ${status.error ?? "Unknown error occurred"}`);
    if (status.status === "completed" || status.status === "failed" || status.status === "cancelled") return status;
    await sleep(POLL_INTERVAL_MS, signal);
  }
}

const firecrawlTest = {
  credentials: testCredentials({ provider: "firecrawl", type: "api_key", api_key: "mock-firecrawl-api-key" }),
};
const credentialsInput = {
  id: "01234567-89ab-cdef-0123-456789abcdef",
  provider: "firecrawl",
  type: "api_key",
  title: "Firecrawl",
};

export const firecrawlCrawl = defineBlock({
  id: "bdbbaba0-03b7-4971-970e-699e2de6015e",
  name: "FirecrawlCrawlBlock",
  description: "Firecrawl crawls websites to extract comprehensive data while bypassing blockers.",
  categories: ["SEARCH"],
  input: inputs({
    credentials: FirecrawlCredentials(),
    url: Type.String({ description: "The URL to crawl" }),
    limit: Type.Integer({ description: "The number of pages to crawl", default: 10 }),
    only_main_content: Type.Boolean({
      description: "Only return the main content of the page excluding headers, navs, footers, etc.",
      default: true,
    }),
    max_age: Type.Integer({
      description: "The maximum age of the page in milliseconds - default is 1 hour",
      default: 3600000,
    }),
    wait_for: Type.Integer({
      description:
        "Specify a delay in milliseconds before fetching the content, allowing the page sufficient time to load.",
      default: 0,
    }),
    formats: Type.Array(StringEnum(SCRAPE_FORMATS, { title: "ScrapeFormat" }), {
      description: "The format of the crawl",
      default: ["markdown"],
    }),
  }),
  output: outputs({
    data: Type.Array(Dict(), { description: "The result of the crawl" }),
    markdown: Type.String({ description: "The markdown of the crawl" }),
    html: Type.String({ description: "The html of the crawl" }),
    raw_html: Type.String({ description: "The raw html of the crawl" }),
    links: Type.Array(Type.String(), { description: "The links of the crawl" }),
    screenshot: Type.String({ description: "The screenshot of the crawl" }),
    screenshot_full_page: Type.String({ description: "The screenshot full page of the crawl" }),
    json_data: Dict({ description: "The json data of the crawl" }),
    change_tracking: Dict({ description: "The change tracking of the crawl" }),
  }),
  costs: BASE_COST,
  async *run({ url, limit, only_main_content, max_age, wait_for, formats }, ctx) {
    const client = firecrawl(ctx);
    const started = await client.post<{ success?: boolean; id?: string; error?: string }>(
      "/v2/crawl",
      {
        url,
        scrapeOptions: {
          formats: formats.map((f) => (f === "screenshot@fullPage" ? { type: "screenshot", fullPage: true } : f)),
          onlyMainContent: only_main_content,
          maxAge: max_age,
          waitFor: wait_for,
        },
        limit,
      },
      "Starting the crawl",
    );
    if (!started.success || !started.id) {
      throw new Error(`Starting the crawl failed: ${started.error ?? "Unknown error occurred"}`);
    }
    const job = await waitForJob(client, `/v2/crawl/${encodeURIComponent(started.id)}`, "The crawl", ctx.signal);
    const pages = Array.isArray(job.data) ? [...job.data] : [];
    // Further pages of a large crawl, as firecrawl-py's auto-pagination fetches them.
    for (let next = job.next; next; ) {
      const page = await client.get<JobStatus>(next, "Fetching crawl results");
      if (page.success === false) break;
      if (Array.isArray(page.data)) pages.push(...page.data);
      next = page.next;
    }
    const documents = pages.filter((p): p is Record<string, unknown> => typeof p === "object" && p !== null);
    yield ["data", documents.map(documentOf)];
    for (const page of documents) {
      for (const format of formats) {
        const [pin, field] = FORMAT_PINS[format];
        yield [pin, page[field] ?? null];
      }
    }
  },
  test: [
    {
      input: { credentials: credentialsInput, url: "https://example.com", limit: 1 },
      output: [
        ["data", [{ markdown: "# Example", metadata: { sourceURL: "https://example.com" } }]],
        ["markdown", "# Example"],
      ],
      context: {
        ...firecrawlTest,
        http: scriptedHttp((req) =>
          req.method === "POST"
            ? { json: { success: true, id: "job-1", url: "https://api.firecrawl.dev/v2/crawl/job-1" } }
            : {
                json: {
                  success: true,
                  status: "completed",
                  data: [{ markdown: "# Example", metadata: { sourceURL: "https://example.com" } }],
                },
              },
        ),
      },
    },
  ],
});

export const firecrawlExtract = defineBlock({
  id: "d1774756-4d9e-40e6-bab1-47ec0ccd81b2",
  name: "FirecrawlExtractBlock",
  description: "Firecrawl crawls websites to extract comprehensive data while bypassing blockers.",
  categories: ["SEARCH"],
  input: inputs({
    credentials: FirecrawlCredentials(),
    urls: Type.Array(Type.String(), {
      description: "The URLs to crawl - at least one is required. Wildcards are supported. (/*)",
    }),
    prompt: Nullable(Type.String(), { description: "The prompt to use for the crawl", default: null, advanced: false }),
    output_schema: Nullable(Dict(), {
      description: "A Json Schema describing the output structure if more rigid structure is desired.",
      default: null,
    }),
    enable_web_search: Type.Boolean({
      description: "When true, extraction can follow links outside the specified domain.",
      default: false,
    }),
  }),
  output: outputs({ data: Dict({ description: "The result of the crawl" }) }),
  // @cost(BlockCost(2, BlockCostType.RUN)) on the block, which replaces the provider's base cost.
  costs: [{ cost_amount: 2, cost_filter: {}, cost_type: "run" }],
  async *run({ urls, prompt, output_schema, enable_web_search }, ctx) {
    const client = firecrawl(ctx);
    const body: Record<string, unknown> = { urls, enableWebSearch: enable_web_search };
    if (prompt !== null) body.prompt = prompt;
    if (output_schema !== null) body.schema = output_schema;
    const started = await client.post<JobStatus & { id?: string }>("/v2/extract", body, "Starting the extraction");
    if (started.success === false) {
      throw new Error(`Starting the extraction failed: ${started.error ?? "Unknown error occurred"}`);
    }
    const job = started.id
      ? await waitForJob(client, `/v2/extract/${encodeURIComponent(started.id)}`, "The extraction", ctx.signal)
      : started;
    if (job.status === "failed" || job.status === "cancelled") {
      throw new Error(`The extraction ${job.status}: ${job.error ?? "no details given"}`);
    }
    yield ["data", job.data ?? null];
  },
  test: [
    {
      input: { credentials: credentialsInput, urls: ["https://example.com/*"], prompt: "Company name" },
      output: [["data", { name: "Example Inc" }]],
      context: {
        ...firecrawlTest,
        http: scriptedHttp((req) =>
          req.method === "POST"
            ? { json: { success: true, id: "extract-1" } }
            : { json: { success: true, status: "completed", data: { name: "Example Inc" } } },
        ),
      },
    },
  ],
});

export const firecrawlMapWebsite = defineBlock({
  id: "f0f43e2b-c943-48a0-a7f1-40136ca4d3b9",
  name: "FirecrawlMapWebsiteBlock",
  description: "Firecrawl maps a website to extract all the links.",
  categories: ["SEARCH"],
  input: inputs({
    credentials: FirecrawlCredentials(),
    url: Type.String({ description: "The website url to map" }),
  }),
  output: outputs({
    links: Type.Array(Type.String(), { description: "List of URLs found on the website" }),
    results: Type.Array(Dict(), { description: "List of search results with url, title, and description" }),
  }),
  costs: BASE_COST,
  async *run({ url }, ctx) {
    const client = firecrawl(ctx);
    const body = await client.post<{ success?: boolean; error?: string; links?: unknown[] }>(
      "/v2/map",
      { url: url.trim() },
      "Mapping the website",
    );
    if (!body.success) throw new Error(`Mapping the website failed: ${body.error ?? "Unknown error occurred"}`);
    const results = (body.links ?? []).map((link) => {
      const item = typeof link === "string" ? { url: link } : ((link ?? {}) as Record<string, unknown>);
      return { url: item.url ?? "", title: item.title ?? null, description: item.description ?? null };
    });
    yield ["links", results.map((r) => r.url)];
    yield ["results", results];
  },
  test: [
    {
      input: { credentials: credentialsInput, url: "https://example.com" },
      output: [
        ["links", ["https://example.com/a"]],
        ["results", [{ url: "https://example.com/a", title: "A", description: null }]],
      ],
      context: {
        ...firecrawlTest,
        http: scriptedHttp(() => ({ json: { success: true, links: [{ url: "https://example.com/a", title: "A" }] } })),
      },
    },
  ],
});

export const firecrawlBlocks: Block[] = [firecrawlCrawl, firecrawlExtract, firecrawlMapWebsite];
