// Jina blocks (AutoGPT's blocks/jina/search.py): web search through s.jina.ai and page reading through r.jina.ai,
// or a raw fetch of the page itself through the guarded client. Two hosts, so two base URLs the operator may
// override: PROVIDER_BASE_URL_JINA (search) and PROVIDER_BASE_URL_JINA_READER (reader).
import { Type } from "@sinclair/typebox";
import { CredentialsField, requireCredentials } from "../credentials.js";
import { inputs, outputs } from "../fields.js";
import { type Block, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { providerClient, providerDetail, pyQuote, systemCredentialsFilter, under } from "./common.js";

/** AutoGPT's JinaCredentialsField(). */
const JinaCredentials = () =>
  CredentialsField({
    providers: ["jina"],
    types: ["api_key"],
    description: "The Jina integration can be used with an API Key.",
  });

const JINA_SEARCH = "https://s.jina.ai";
const JINA_READER = "https://r.jina.ai";

const jinaTest = {
  credentials: testCredentials({ provider: "jina", type: "api_key", api_key: "mock-jina-api-key" }),
};
const credentialsInput = {
  id: "01234567-89ab-cdef-0123-456789abcdef",
  provider: "jina",
  type: "api_key",
  title: "Jina",
};

export const searchTheWeb = defineBlock({
  id: "87840993-2053-44b7-8da4-187ad4ee518c",
  name: "SearchTheWebBlock",
  description: "This block searches the internet for the given search query.",
  categories: ["SEARCH"],
  input: inputs({
    credentials: JinaCredentials(),
    query: Type.String({ description: "The search query to search the web for" }),
  }),
  output: outputs({
    results: Type.String({ description: "The search results including content from top 5 URLs" }),
  }),
  costs: [{ cost_amount: 1, cost_filter: systemCredentialsFilter("jina"), cost_type: "run" }],
  async *run({ query }, ctx) {
    const { api_key } = requireCredentials(ctx, "Jina", ["api_key"]);
    const jina = providerClient(ctx, "jina", JINA_SEARCH);
    const response = await jina.request({
      url: under(jina.baseUrl, pyQuote(query)),
      method: "GET",
      headers: { "content-type": "application/json", authorization: `Bearer ${api_key}` },
    });
    if (response.status >= 500) {
      throw new Error(`Search service unavailable: Jina answered HTTP ${response.status}: ${providerDetail(response)}`);
    }
    if (!response.ok) {
      throw new Error(`Search request failed: Jina answered HTTP ${response.status}: ${providerDetail(response)}`);
    }
    yield ["results", response.text()];
  },
  test: [
    {
      input: { credentials: credentialsInput, query: "Artificial Intelligence" },
      output: [["results", "search content"]],
      context: { ...jinaTest, http: scriptedHttp(() => ({ body: "search content" })) },
    },
  ],
});

export const extractWebsiteContent = defineBlock({
  id: "436c3984-57fd-4b85-8e9a-459b356883bd",
  name: "ExtractWebsiteContentBlock",
  description: "This block scrapes the content from the given web URL.",
  categories: ["SEARCH"],
  input: inputs({
    credentials: JinaCredentials(),
    url: Type.String({ description: "The URL to scrape the content from" }),
    raw_content: Type.Boolean({
      title: "Raw Content",
      description: "Whether to do a raw scrape of the content or use Jina-ai Reader to scrape the content",
      default: false,
      advanced: true,
    }),
  }),
  output: outputs({
    content: Type.String({ description: "The scraped content from the given URL" }),
    error: Type.String({ description: "Error message if the content cannot be retrieved" }),
  }),
  costs: [
    { cost_amount: 1, cost_filter: { raw_content: false, ...systemCredentialsFilter("jina") }, cost_type: "run" },
  ],
  async *run({ url, raw_content }, ctx) {
    if (raw_content) {
      // The page itself, fetched like any user URL: through the SSRF guard, no credentials sent.
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        throw new Error(`Invalid URL: ${url}`);
      }
      const response = await ctx.http.request({ url: target, method: "GET" });
      if (!response.ok) throw new Error(`Fetching ${target.href} failed: HTTP ${response.status}`);
      yield ["content", response.text()];
      return;
    }
    const { api_key } = requireCredentials(ctx, "Jina", ["api_key"]);
    const reader = providerClient(ctx, "jina_reader", JINA_READER);
    const response = await reader.request({
      url: under(reader.baseUrl, url),
      method: "GET",
      headers: { "content-type": "application/json", authorization: `Bearer ${api_key}` },
    });
    if (!response.ok) {
      throw new Error(
        `Reading ${url} failed: Jina Reader answered HTTP ${response.status}: ${providerDetail(response)}`,
      );
    }
    yield ["content", response.text()];
  },
  test: [
    {
      input: { credentials: credentialsInput, url: "https://en.wikipedia.org/wiki/Artificial_intelligence" },
      output: [["content", "scraped content"]],
      context: {
        ...jinaTest,
        http: scriptedHttp((req) =>
          req.url.href === "https://r.jina.ai/https://en.wikipedia.org/wiki/Artificial_intelligence"
            ? { body: "scraped content" }
            : { status: 404 },
        ),
      },
    },
  ],
});

export const jinaBlocks: Block[] = [searchTheWeb, extractWebsiteContent];
