// DataForSEO Labs blocks (AutoGPT's blocks/dataforseo/): keyword suggestions and related keywords from the live
// Google endpoints, with the account's login and password as HTTP Basic auth.
import { type TSchema, Type } from "@sinclair/typebox";
import { authHeader, CredentialsField, requireCredentials } from "../credentials.js";
import { Dict, inputs, Nullable, outputs } from "../fields.js";
import { type Block, type BlockContext, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { providerClient } from "./common.js";

const DATAFORSEO_API = "https://api.dataforseo.com";
/** DataForSEO's status_code for a task that succeeded. */
const TASK_OK = 20000;

/** dataforseo.credentials_field() of ProviderBuilder("dataforseo").with_user_password(...). */
const DataForSeoCredentials = () =>
  CredentialsField({
    providers: ["dataforseo"],
    types: ["user_password"],
    description: "DataForSEO credentials (username and password)",
  });

/** ProviderBuilder("dataforseo").with_base_cost(1, RUN). */
const BASE_COST = [{ cost_amount: 1, cost_filter: {}, cost_type: "run" as const }];

/** AutoGPT's KeywordSuggestion / RelatedKeyword models (they differ only in wording). */
const keywordModel = (title: string, keyword: string, serp: string) =>
  Type.Object(
    {
      keyword: Type.String({ title: "Keyword", description: keyword }),
      search_volume: Nullable(Type.Integer(), {
        title: "Search Volume",
        description: "Monthly search volume",
        default: null,
      }),
      competition: Nullable(Type.Number(), {
        title: "Competition",
        description: "Competition level (0-1)",
        default: null,
      }),
      cpc: Nullable(Type.Number(), { title: "Cpc", description: "Cost per click in USD", default: null }),
      keyword_difficulty: Nullable(Type.Integer(), {
        title: "Keyword Difficulty",
        description: "Keyword difficulty score",
        default: null,
      }),
      serp_info: Nullable(Dict(), { title: "Serp Info", description: serp, default: null }),
      clickstream_data: Nullable(Dict(), {
        title: "Clickstream Data",
        description: "Clickstream data metrics",
        default: null,
      }),
    },
    { title },
  );
const KeywordSuggestion = keywordModel(
  "KeywordSuggestion",
  "The keyword suggestion",
  "data from SERP for each keyword",
);
const RelatedKeyword = keywordModel("RelatedKeyword", "The related keyword", "SERP data for the keyword");

const LOCATION_CODE = Nullable(Type.Integer(), {
  description: "Location code for targeting (e.g., 2840 for USA)",
  default: 2840,
});
const LANGUAGE_CODE = Nullable(Type.String(), { description: "Language code (e.g., 'en' for English)", default: "en" });
const commonInputs = (keyword: TSchema) => ({
  credentials: DataForSeoCredentials(),
  keyword,
  location_code: LOCATION_CODE,
  language_code: LANGUAGE_CODE,
  include_seed_keyword: Type.Boolean({ description: "Include the seed keyword in results", default: true }),
  include_serp_info: Type.Boolean({ description: "Include SERP information", default: false }),
  include_clickstream_data: Type.Boolean({ description: "Include clickstream metrics", default: false }),
  limit: Type.Integer({
    description: "Maximum number of results (up to 3000)",
    default: 100,
    minimum: 1,
    maximum: 3000,
  }),
});

type Task = Record<string, unknown>;

/** One live Labs task, as AutoGPT's DataForSeoClient posts it; the task's `result` list. */
async function liveTask(ctx: BlockContext, endpoint: string, task: Task): Promise<Array<Record<string, unknown>>> {
  const credentials = requireCredentials(ctx, "DataForSEO", ["user_password"]);
  const api = providerClient(ctx, "dataforseo", DATAFORSEO_API);
  // Only the fields that have a value, so no null goes to the API.
  const payload = [Object.fromEntries(Object.entries(task).filter(([, v]) => v !== null && v !== undefined))];
  const response = await api.request({
    url: `/v3/dataforseo_labs/google/${endpoint}/live`,
    method: "POST",
    headers: { authorization: authHeader(credentials), "content-type": "application/json" },
    json: payload,
  });
  let data: Record<string, unknown> = {};
  try {
    data = response.json<Record<string, unknown>>();
  } catch {
    // a non-JSON answer: its status is all there is to say
  }
  if (response.status !== 200) {
    throw new Error(`DataForSEO API error (${response.status}): ${String(data.status_message ?? "Unknown error")}`);
  }
  const tasks = Array.isArray(data.tasks) ? (data.tasks as Task[]) : [];
  const first = tasks[0];
  if (!first) return [];
  if (first.status_code !== TASK_OK) {
    throw new Error(`DataForSEO task error: ${String(first.status_message ?? "Task failed")}`);
  }
  return Array.isArray(first.result) ? (first.result as Array<Record<string, unknown>>) : [];
}

const itemsOf = (results: Array<Record<string, unknown>>) =>
  Array.isArray(results[0]?.items) ? (results[0]?.items as Array<Record<string, unknown>>) : [];

const field = (value: unknown, name: string) =>
  value && typeof value === "object" ? ((value as Record<string, unknown>)[name] ?? null) : null;

/** A keyword's metrics as AutoGPT's models carry them, from a Labs item's keyword data. */
function keywordOf(data: Record<string, unknown>, serp: boolean, clickstream: boolean) {
  return {
    keyword: typeof data.keyword === "string" ? data.keyword : "",
    search_volume: field(data.keyword_info, "search_volume"),
    competition: field(data.keyword_info, "competition"),
    cpc: field(data.keyword_info, "cpc"),
    keyword_difficulty: field(data.keyword_properties, "keyword_difficulty"),
    serp_info: serp ? (data.serp_info ?? null) : null,
    clickstream_data: clickstream ? (data.clickstream_keyword_info ?? null) : null,
  };
}

const dataforseoTest = {
  credentials: testCredentials({
    provider: "dataforseo",
    type: "user_password",
    username: "mock-username",
    password: "mock-password",
  }),
};
const credentialsInput = {
  id: "01234567-89ab-cdef-0123-456789abcdef",
  provider: "dataforseo",
  type: "user_password",
  title: "DataForSEO",
};
const liveAnswer = (items: unknown[]) => ({
  json: { status_code: TASK_OK, tasks: [{ status_code: TASK_OK, status_message: "Ok.", result: [{ items }] }] },
});

export const dataForSeoKeywordSuggestions = defineBlock({
  id: "73c3e7c4-2b3f-4e9f-9e3e-8f7a5c3e2d45",
  name: "DataForSeoKeywordSuggestionsBlock",
  description: "Get keyword suggestions from DataForSEO Labs Google API",
  categories: ["SEARCH", "DATA"],
  input: inputs(commonInputs(Type.String({ description: "Seed keyword to get suggestions for" }))),
  output: outputs({
    suggestions: Type.Array(KeywordSuggestion, { description: "List of keyword suggestions with metrics" }),
    suggestion: { ...KeywordSuggestion, description: "A single keyword suggestion with metrics" },
    total_count: Type.Integer({ description: "Total number of suggestions returned" }),
    seed_keyword: Type.String({ description: "The seed keyword used for the query" }),
    error: Type.String({ description: "Error message if the API call failed" }),
  }),
  costs: BASE_COST,
  async *run(input, ctx) {
    let results: Array<Record<string, unknown>>;
    try {
      results = await liveTask(ctx, "keyword_suggestions", {
        keyword: input.keyword,
        location_code: input.location_code,
        language_code: input.language_code,
        include_seed_keyword: input.include_seed_keyword,
        include_serp_info: input.include_serp_info,
        include_clickstream_data: input.include_clickstream_data,
        limit: input.limit,
      });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      yield ["error", `Failed to fetch keyword suggestions: ${(error as Error).message}`];
      return;
    }
    const suggestions = [];
    for (const item of itemsOf(results)) {
      const suggestion = keywordOf(item, input.include_serp_info, input.include_clickstream_data);
      yield ["suggestion", suggestion];
      suggestions.push(suggestion);
    }
    yield ["suggestions", suggestions];
    yield ["total_count", suggestions.length];
    yield ["seed_keyword", input.keyword];
  },
  test: [
    {
      input: { credentials: credentialsInput, keyword: "digital marketing", location_code: 2840, limit: 1 },
      output: [
        ["suggestion", (v: unknown) => (v as { keyword?: string }).keyword === "digital marketing strategy"],
        ["suggestions", (v: unknown) => Array.isArray(v) && v.length === 1],
        ["total_count", 1],
        ["seed_keyword", "digital marketing"],
      ],
      context: {
        ...dataforseoTest,
        http: scriptedHttp(() =>
          liveAnswer([
            {
              keyword: "digital marketing strategy",
              keyword_info: { search_volume: 10000, competition: 0.5, cpc: 2.5 },
              keyword_properties: { keyword_difficulty: 50 },
            },
          ]),
        ),
      },
    },
  ],
});

export const dataForSeoRelatedKeywords = defineBlock({
  id: "8f2e4d6a-1b3c-4a5e-9d7f-2c8e6a4b3f1d",
  name: "DataForSeoRelatedKeywordsBlock",
  description: "Get related keywords from DataForSEO Labs Google API",
  categories: ["SEARCH", "DATA"],
  input: inputs({
    ...commonInputs(Type.String({ description: "Seed keyword to find related keywords for" })),
    depth: Type.Integer({
      description:
        "Keyword search depth (0-4). Controls the number of returned keywords: 0=1 keyword, 1=~8 keywords, 2=~72 keywords, 3=~584 keywords, 4=~4680 keywords",
      default: 1,
      minimum: 0,
      maximum: 4,
    }),
  }),
  output: outputs({
    related_keywords: Type.Array(RelatedKeyword, { description: "List of related keywords with metrics" }),
    related_keyword: { ...RelatedKeyword, description: "A related keyword with metrics" },
    total_count: Type.Integer({ description: "Total number of related keywords returned" }),
    seed_keyword: Type.String({ description: "The seed keyword used for the query" }),
  }),
  costs: BASE_COST,
  async *run(input, ctx) {
    const results = await liveTask(ctx, "related_keywords", {
      keyword: input.keyword,
      location_code: input.location_code,
      language_code: input.language_code,
      include_seed_keyword: input.include_seed_keyword,
      include_serp_info: input.include_serp_info,
      include_clickstream_data: input.include_clickstream_data,
      limit: input.limit,
      depth: input.depth,
    });
    const related = [];
    for (const item of itemsOf(results)) {
      const data = item.keyword_data && typeof item.keyword_data === "object" ? item.keyword_data : {};
      const keyword = keywordOf(
        data as Record<string, unknown>,
        input.include_serp_info,
        input.include_clickstream_data,
      );
      yield ["related_keyword", keyword];
      related.push(keyword);
    }
    yield ["related_keywords", related];
    yield ["total_count", related.length];
    yield ["seed_keyword", input.keyword];
  },
  test: [
    {
      input: { credentials: credentialsInput, keyword: "content marketing", location_code: 2840, limit: 1 },
      output: [
        ["related_keyword", (v: unknown) => (v as { keyword?: string }).keyword === "content strategy"],
        ["related_keywords", (v: unknown) => Array.isArray(v) && v.length === 1],
        ["total_count", 1],
        ["seed_keyword", "content marketing"],
      ],
      context: {
        ...dataforseoTest,
        http: scriptedHttp(() =>
          liveAnswer([
            {
              keyword_data: {
                keyword: "content strategy",
                keyword_info: { search_volume: 8000, competition: 0.4, cpc: 3.0 },
                keyword_properties: { keyword_difficulty: 45 },
              },
            },
          ]),
        ),
      },
    },
  ],
});

export const dataforseoBlocks: Block[] = [dataForSeoKeywordSuggestions, dataForSeoRelatedKeywords];
