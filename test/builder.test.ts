// The builder's blocks menu (/api/builder/*), as AutoGPT's frontend calls it: pages, filters, categories, search.

import { Type } from "@sinclair/typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allBlocks } from "../src/blocks/index.js";
import { defineBlock } from "../src/blocks/sdk.js";
import { BlockCatalog, similarity } from "../src/services/blocks.js";
import { client, createKey, signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const CALCULATOR = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";
const AGENT_INPUT = "c0a8e994-ebf1-4a9c-a4d8-89d09c86741b";
const AGENT_EXECUTOR = "e189baac-8c20-45a1-94a7-55177ea42565";

/** The menu's blocks that take credentials (AutoGPT's "integrations"), and their providers, read off the registry. */
const takesCredentials = (b: (typeof allBlocks)[number]) =>
  Object.values(b.input.properties).some((pin) => Array.isArray((pin as any).credentials_provider));
const INTEGRATIONS = allBlocks.filter((b) => b.id !== AGENT_EXECUTOR && takesCredentials(b));
const PROVIDERS = [
  ...new Set(
    INTEGRATIONS.flatMap((b) =>
      Object.values(b.input.properties).flatMap((pin) => (pin as any).credentials_provider ?? []),
    ),
  ),
];

describe("builder routes", () => {
  let t: TestServer;
  let api: Awaited<ReturnType<typeof signUp>>["api"];
  let all: any[];
  beforeAll(async () => {
    t = await startTestServer();
    api = (await signUp(t.url)).api;
    all = (await api.get("/api/blocks")).body;
  });
  afterAll(() => t?.close());

  it("pages the menu's blocks with AutoGPT's pagination, leaving out AgentExecutorBlock", async () => {
    const first = await api.get("/api/builder/blocks?page_size=10");
    expect(first.status).toBe(200);
    const menu = all.filter((b) => b.id !== AGENT_EXECUTOR);
    expect(first.body.pagination).toEqual({
      total_items: menu.length,
      total_pages: Math.ceil(menu.length / 10),
      current_page: 1,
      page_size: 10,
    });
    expect(first.body.blocks).toEqual(menu.slice(0, 10));
    const second = await api.get("/api/builder/blocks?page=2&page_size=10");
    expect(second.body.blocks.map((b: any) => b.id)).toEqual(menu.slice(10, 20).map((b) => b.id));
    const everything = await api.get("/api/builder/blocks");
    expect(everything.body.pagination.page_size).toBe(50);
    expect(everything.body.blocks.some((b: any) => b.id === AGENT_EXECUTOR)).toBe(false);
  });

  it("filters by category, type and provider, one at a time", async () => {
    const logic = await api.get("/api/builder/blocks?category=logic&page_size=200");
    expect(logic.body.blocks.length).toBeGreaterThan(0);
    expect(logic.body.blocks.every((b: any) => b.categories.some((c: any) => c.category === "LOGIC"))).toBe(true);
    expect(logic.body.blocks.map((b: any) => b.id)).toContain(CALCULATOR);

    const inputs = await api.get("/api/builder/blocks?type=input&page_size=200");
    expect(inputs.body.blocks.every((b: any) => b.uiType === "Input")).toBe(true);
    expect(inputs.body.blocks.map((b: any) => b.id)).toContain(AGENT_INPUT);
    const outputs = await api.get("/api/builder/blocks?type=output&page_size=200");
    const actions = await api.get("/api/builder/blocks?type=action&page_size=200");
    expect(actions.body.blocks.some((b: any) => ["Input", "Output"].includes(b.uiType))).toBe(false);
    const total = (await api.get("/api/builder/blocks?type=all")).body.pagination.total_items;
    expect(
      inputs.body.pagination.total_items + outputs.body.pagination.total_items + actions.body.pagination.total_items,
    ).toBe(total);

    const nobody = await api.get("/api/builder/blocks?provider=nobody");
    expect(nobody.body).toMatchObject({ blocks: [], pagination: { total_items: 0 } });

    const both = await api.get("/api/builder/blocks?category=logic&type=input");
    expect(both.status).toBe(400);
    expect(both.body.detail).toBe("Only one of category, type, or provider can be specified");
    expect((await api.get("/api/builder/blocks?type=bogus")).status).toBe(422);
    expect((await api.get("/api/builder/blocks?page=0")).status).toBe(422);
  });

  it("keeps /api/blocks the seed's bare array", async () => {
    const res = await api.get("/api/blocks");
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body.some((b: any) => b.id === AGENT_EXECUTOR)).toBe(true);
  });

  it("returns blocks by id in the order asked, skipping unknown ids", async () => {
    const res = await api.get(
      `/api/builder/blocks/batch?block_ids=${CALCULATOR}&block_ids=nope&block_ids=${AGENT_INPUT}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.map((b: any) => b.id)).toEqual([CALCULATOR, AGENT_INPUT]);
    expect(res.body[0]).toEqual(all.find((b) => b.id === CALCULATOR));
    const one = await api.get(`/api/builder/blocks/batch?block_ids=${CALCULATOR}`);
    expect(one.body.map((b: any) => b.id)).toEqual([CALCULATOR]);
    expect((await api.get("/api/builder/blocks/batch")).status).toBe(422);
  });

  it("lists categories by name with their counts and first blocks", async () => {
    const res = await api.get("/api/builder/categories?blocks_per_category=2");
    expect(res.status).toBe(200);
    const names = res.body.map((c: any) => c.name);
    expect(names).toEqual([...names].sort());
    expect(names).toContain("logic");
    const logic = res.body.find((c: any) => c.name === "logic");
    expect(logic.blocks.length).toBeLessThanOrEqual(2);
    const inLogic = (await api.get("/api/builder/blocks?category=logic&page_size=1000")).body.pagination.total_items;
    expect(logic.total_blocks).toBe(inLogic);
    const defaults = await api.get("/api/builder/categories");
    expect(defaults.body.every((c: any) => c.blocks.length <= 3)).toBe(true);
  });

  it("counts the menu's sections", async () => {
    const res = await api.get("/api/builder/counts");
    expect(res.status).toBe(200);
    const total = (await api.get("/api/builder/blocks")).body.pagination.total_items;
    expect(res.body.all_blocks).toBe(total);
    expect(res.body.input_blocks + res.body.output_blocks + res.body.action_blocks).toBe(total);
    expect(res.body).toMatchObject({ integrations: INTEGRATIONS.length, marketplace_agents: 0, my_agents: 0 });
    expect(INTEGRATIONS.length).toBeGreaterThan(20); // the provider and LLM blocks
  });

  it("lists the providers the blocks take credentials for, each with its count of blocks", async () => {
    const res = await api.get("/api/builder/providers");
    expect(res.status).toBe(200);
    expect(res.body.providers.map((p: any) => p.name).sort()).toEqual([...PROVIDERS].sort());
    expect(res.body.providers.find((p: any) => p.name === "google")).toMatchObject({
      integration_count: INTEGRATIONS.filter((b) => JSON.stringify(b.input).includes('"google"')).length,
    });
    expect(res.body.pagination).toMatchObject({ total_items: PROVIDERS.length, current_page: 1, page_size: 50 });
    for (const name of ["openai", "anthropic", "jina", "replicate", "discord", "airtable"]) {
      expect(PROVIDERS, name).toContain(name);
    }
  });

  it("searches blocks by relevance, with GET and with October 2025's POST", async () => {
    const res = await api.get("/api/builder/search?search_query=calculator");
    expect(res.status).toBe(200);
    expect(res.body.items[0].id).toBe(CALCULATOR);
    expect(res.body.search_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.total_items).toMatchObject({ marketplace_agents: 0, my_agents: 0 });
    expect(res.body.total_items.blocks + res.body.total_items.integrations).toBe(res.body.pagination.total_items);
    expect(res.body.page).toBe(1);
    expect(res.body.more_pages).toBe(res.body.pagination.total_items > res.body.items.length);

    const post = await api.post("/api/builder/search", { search_query: "calculator", search_id: "s-1" });
    expect(post.status).toBe(200);
    expect(post.body.items.map((b: any) => b.id)).toEqual(res.body.items.map((b: any) => b.id));
    expect(post.body.search_id).toBe("s-1");

    const listing = await api.get("/api/builder/search?page_size=5");
    expect(listing.body.items).toHaveLength(5);
    expect(listing.body.more_pages).toBe(true);
    const names = listing.body.items.map((b: any) => b.name.toLowerCase());
    expect(names).toEqual([...names].sort());

    const agentsOnly = await api.get("/api/builder/search?search_query=calculator&filter=my_agents,marketplace_agents");
    expect(agentsOnly.body.items).toEqual([]);
    const repeated = await api.get("/api/builder/search?search_query=calculator&filter=blocks&filter=my_agents");
    expect(repeated.body.items[0].id).toBe(CALCULATOR);

    const bad = await api.get("/api/builder/search?filter=blocks,bogus");
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain("Invalid filter value(s): bogus");
    expect(bad.body.error.code).toBe("BAD_REQUEST");

    const nothing = await api.get("/api/builder/search?search_query=zzzzqqqqxxxx");
    expect(nothing.body.items).toEqual([]);
  });

  it("suggests action blocks and no assistant prompts or history", async () => {
    const res = await api.get("/api/builder/suggestions");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ otto_suggestions: [], recent_searches: [] });
    expect(res.body.providers.length).toBeGreaterThan(0);
    for (const name of res.body.providers) expect(PROVIDERS).toContain(name);
    expect(res.body.top_blocks).toHaveLength(5);
    expect(res.body.top_blocks.some((b: any) => ["Input", "Output", "Agent"].includes(b.uiType))).toBe(false);
  });

  it("needs credentials with READ_BLOCK", async () => {
    expect((await client(t.url).get("/api/builder/blocks")).status).toBe(401);
    const session = await signUp(t.url);
    const reader = await createKey(t.url, session.api, ["READ_BLOCK"]);
    expect((await reader.api.get("/api/builder/categories")).status).toBe(200);
    const other = await createKey(t.url, session.api, ["READ_GRAPH"]);
    expect((await other.api.get("/api/builder/search")).status).toBe(403);
  });
});

describe("similarity", () => {
  it("is difflib's ratio", () => {
    expect(similarity("abcd", "bcde")).toBeCloseTo(0.75);
    expect(similarity("calculator", "calculator")).toBe(1);
    expect(similarity("abc", "xyz")).toBe(0);
    expect(similarity("", "")).toBe(1);
  });
});

describe("BlockCatalog with integrations", () => {
  // A block that takes credentials, as the provider blocks will (AutoGPT's credentials field convention).
  const weather = defineBlock({
    id: "00000000-0000-4000-8000-00000000beef",
    name: "WeatherForecastBlock",
    description: "Gets the weather forecast for a city.",
    categories: ["SEARCH"],
    input: Type.Object({
      credentials: Type.Object({}, { credentials_provider: ["openweathermap"], credentials_types: ["api_key"] }),
      city: Type.String({ description: "The city" }),
    }),
    output: Type.Object({ forecast: Type.String() }),
    async *run() {
      yield ["forecast", "sunny"];
    },
  });
  const catalog = new BlockCatalog([...allBlocks, weather]);

  it("finds providers, filters by them and counts integrations", () => {
    expect(catalog.providers()).toContainEqual({ name: "openweathermap", description: "", integration_count: 1 });
    expect(catalog.filter({ provider: "openweathermap" }, 1, 50)).toEqual({ items: [weather], total: 1 });
    expect(catalog.counts().integrations).toBe(INTEGRATIONS.length + 1);
  });

  it("searches integrations apart from blocks", () => {
    const both = catalog.search("weather", { blocks: true, integrations: true });
    expect(both.blocks[0]).toBe(weather);
    expect(catalog.search("weather", { blocks: true, integrations: false }).blocks).not.toContain(weather);
    const integrations = catalog.search(undefined, { blocks: false, integrations: true });
    expect(integrations.blocks).toContain(weather);
    expect(integrations.blocks.every((b) => b === weather || INTEGRATIONS.includes(b))).toBe(true);
    expect(integrations.totals.integrations).toBe(INTEGRATIONS.length + 1);
  });

  it("serializes each block once and lists the registry as one cached text", () => {
    expect(catalog.info(weather)).toBe(catalog.info(weather));
    expect(catalog.listJSON()).toBe(catalog.listJSON());
    expect(JSON.parse(catalog.listJSON({ costs: false }))[0]).not.toHaveProperty("costs");
    expect(JSON.parse(catalog.listJSON()).at(-1)).toEqual(catalog.info(weather));
  });
});
