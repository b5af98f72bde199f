// Real answers of the builder, block and error routes validated against AutoGPT's own generated OpenAPI documents
// (release v0.6.44 and October 2025), so that a client generated from them reads ours.
import fs from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import formats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, client, createKey, signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

/** AutoGPT's generated documents, copied unchanged into the fixtures (release v0.6.44 and October 2025). */
const SPEC_DIR = new URL("./fixtures/autogpt/", import.meta.url);
const DOCS = { "v0.6.44": "openapi-v0.6.44.json", "2025-10": "openapi-2025-10.json" } as const;
type Version = keyof typeof DOCS;

const ajv = new Ajv2020({ strict: false, allErrors: true });
(formats as unknown as { default: (a: Ajv2020) => void }).default(ajv);
for (const [version, file] of Object.entries(DOCS)) {
  ajv.addSchema(JSON.parse(fs.readFileSync(new URL(file, SPEC_DIR), "utf8")), version);
}

/** Asserts `body` fits `pointer` (e.g. `components/schemas/BlockResponse`) of AutoGPT's document `version`. */
function expectFits(body: unknown, pointer: string, version: Version) {
  const validate = ajv.getSchema(`${version}#/${pointer}`);
  if (!validate) throw new Error(`no schema ${pointer} in ${version}`);
  const ok = validate(body);
  expect(ok ? [] : validate.errors?.slice(0, 5), `${pointer} (${version})`).toEqual([]);
}

const schema = (name: string) => `components/schemas/${name}`;
/** The schema of a path's 200 answer, for routes whose answer is an inline array. */
const answer = (path: string, method = "get") =>
  `paths/${path.replace(/~/g, "~0").replace(/\//g, "~1")}/${method}/responses/200/content/application~1json/schema`;

describe("answers fit AutoGPT's OpenAPI documents", () => {
  let t: TestServer;
  let api: Client;
  beforeAll(async () => {
    t = await startTestServer();
    api = (await signUp(t.url)).api;
  });
  afterAll(() => t?.close());

  const both = Object.keys(DOCS) as Version[];

  it("GET /api/builder/blocks is a BlockResponse, with each filter", async () => {
    for (const query of ["", "?category=logic", "?type=input", "?provider=openai", "?page=2&page_size=5"]) {
      const res = await api.get(`/api/builder/blocks${query}`);
      expect(res.status).toBe(200);
      for (const v of both) expectFits(res.body, schema("BlockResponse"), v);
    }
  });

  it("the block lists are lists of BlockInfo", async () => {
    const all = await api.get("/api/blocks");
    expect(all.body.length).toBeGreaterThan(30);
    for (const block of all.body) for (const v of both) expectFits(block, schema("BlockInfo"), v);
    const batch = await api.get(`/api/builder/blocks/batch?block_ids=${all.body[0].id}&block_ids=${all.body[1].id}`);
    expectFits(batch.body, answer("/api/builder/blocks/batch"), "v0.6.44");
  });

  it("categories, counts, providers and suggestions", async () => {
    const categories = await api.get("/api/builder/categories");
    const counts = await api.get("/api/builder/counts");
    const providers = await api.get("/api/builder/providers");
    const suggestions = await api.get("/api/builder/suggestions");
    for (const v of both) {
      expectFits(categories.body, answer("/api/builder/categories"), v);
      expectFits(counts.body, schema("CountResponse"), v);
      expectFits(providers.body, schema("ProviderResponse"), v);
      expectFits(suggestions.body, schema("SuggestionsResponse"), v);
    }
  });

  it("search: GET (v0.6.44) and POST (October 2025) answer a SearchResponse of both releases", async () => {
    const get = await api.get("/api/builder/search?search_query=text&page_size=3");
    const post = await api.post("/api/builder/search", { search_query: "text", page_size: 3 });
    const listing = await api.get("/api/builder/search");
    for (const res of [get, post, listing]) {
      expect(res.status).toBe(200);
      for (const v of both) expectFits(res.body, schema("SearchResponse"), v);
    }
  });

  it("errors: 401 as AutoGPT's HTTP401NotAuthenticatedError, 422 as HTTPValidationError", async () => {
    const unauthenticated = await client(t.url).get("/api/builder/blocks");
    expect(unauthenticated.status).toBe(401);
    expect(typeof unauthenticated.body.detail).toBe("string");
    for (const v of both) {
      expectFits(
        unauthenticated.body,
        "components/responses/HTTP401NotAuthenticatedError/content/application~1json/schema",
        v,
      );
    }
    const invalid = [
      await api.get("/api/builder/blocks?page=zero"),
      await api.get("/api/builder/blocks/batch"),
      await api.post("/api/api-keys", { name: "", permissions: ["NOPE"] }),
      await api.post("/api/graphs", { graph: { name: "g", nodes: [{ id: "n", block_id: "none" }], links: [] } }),
    ];
    for (const res of invalid) {
      expect(res.status).toBe(422);
      expect(res.body.detail.length).toBeGreaterThan(0);
      for (const v of both) expectFits(res.body, schema("HTTPValidationError"), v);
    }
  });

  it("bodies ignore unknown fields as AutoGPT's models do, and do not store them", async () => {
    // An unknown field is dropped before the handler: it cannot make the new account an admin.
    const session = await signUp(t.url, undefined, { role: "admin", is_admin: true });
    expect(session.user.role).toBe("user");
    expect((await session.api.get("/api/admin/users")).status).toBe(403);
    const key = await session.api.post("/api/api-keys", {
      name: "k",
      permissions: ["READ_BLOCK"],
      organization_id: "elsewhere",
    });
    expect(key.status).toBe(200);
    expect(key.body.api_key).not.toHaveProperty("organization_id");
    // October 2025 named the key's scopes `permissions`; release v0.6.44 names them `scopes`, as we do.
    expectFits(key.body, schema("CreateAPIKeyResponse"), "v0.6.44");
    const stored = await session.api.get(`/api/api-keys/${key.body.api_key.id}`);
    expect(stored.body).not.toHaveProperty("organization_id");

    const graph = await session.api.post("/api/graphs", {
      graph: { name: "g", nodes: [], links: [], colour: "blue" },
      source: "upload",
      extra: 1,
    });
    expect(graph.status).toBe(200);
    const read = await session.api.get(`/api/graphs/${graph.body.id}`);
    expect(read.body).not.toHaveProperty("colour");

    const v2 = await createKey(t.url, session.api, ["WRITE_GRAPH", "READ_GRAPH"]);
    const created = await v2.api.post("/external-api/v2/graphs", { name: "v2", nodes: [], links: [], colour: "red" });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty("colour");

    // The execute body (AutoGPT's inputs/credentials_inputs model) ignores unknown fields too.
    const calculator = JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8"));
    const saved = await session.api.post("/api/graphs", { graph: calculator });
    expect(saved.status).toBe(200);
    const run = await session.api.post(`/api/graphs/${saved.body.id}/execute/${saved.body.version}`, {
      inputs: { Input: 1 },
      graph_credentials_inputs: {},
      priority: "high",
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);

    // v2 keeps its own envelope (no FastAPI detail, as AutoGPT's v2); its field errors carry pydantic's keys.
    const invalid = await v2.api.post("/external-api/v2/graphs", { name: 5, links: [] });
    expect(invalid.status).toBe(422);
    expect(invalid.body).not.toHaveProperty("detail");
    expect(invalid.body.error.details.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          field: "body.nodes",
          loc: ["body", "nodes"],
          msg: expect.any(String),
          type: "missing",
        }),
      ]),
    );
  });
});
