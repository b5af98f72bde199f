// Graphs and blocks through real HTTP: import AutoGPT agents, read, version, activate, delete; 422/403/404 cases.
import fs from "node:fs";
import AjvModule from "ajv";
import formatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBlock } from "../src/blocks/index.js";
import { type Client, client, createKey, signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const fixture = (name: string) => JSON.parse(fs.readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const calculator = fixture("calculator-agent.json");
const template = fixture("template-agent.json");
const flux = fixture("agent_d85882b8-633f-44ce-a315-c20a8c123d19.json");

// CommonJS packages: their default export is the module object, the class and the plugin are its `default`.
const Ajv = AjvModule.default;
const addFormats = formatsModule.default;

const CALCULATOR = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";
const OUTPUT = "363ae599-353e-4804-937e-b2ee3cef3da4";

type Issue = { node_id: string; field: string; message: string };
const issues = (body: any): Issue[] => body.error.details.errors;

describe("graphs", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    t = await startTestServer();
    alice = await signUp(t.url);
  });
  afterAll(() => t?.close());

  async function importGraph(api: Client, graph: unknown) {
    const res = await api.post("/api/graphs", { graph, source: "upload" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  it("imports an AutoGPT export with fresh ids, its nodes and links kept, and AutoGPT's computed schemas", async () => {
    const g = await importGraph(alice.api, calculator);
    expect(g.id).not.toBe(calculator.id);
    expect(g).toMatchObject({ version: 2, is_active: true, name: "Calculator agent", user_id: alice.user.id });
    const fileNodeIds = new Set(calculator.nodes.map((n: { id: string }) => n.id));
    const fileLinkIds = new Set(calculator.links.map((l: { id: string }) => l.id));
    for (const n of g.nodes) expect(fileNodeIds.has(n.id)).toBe(false);
    for (const l of g.links) expect(fileLinkIds.has(l.id)).toBe(false);
    expect(g.nodes.map((n: any) => [n.block_id, n.input_default, n.metadata])).toEqual(
      calculator.nodes.map((n: any) => [n.block_id, n.input_default, n.metadata]),
    );
    const [input, output, calc] = g.nodes;
    expect(g.links.map((l: any) => [l.source_id, l.source_name, l.sink_id, l.sink_name, l.is_static])).toEqual([
      [calc.id, "result", output.id, "value", false],
      [input.id, "result", calc.id, "a", true],
    ]);
    expect(calc.input_links.map((l: any) => l.id)).toEqual([g.links[1].id]);
    expect(calc.output_links.map((l: any) => l.id)).toEqual([g.links[0].id]);
    expect(calc).toMatchObject({ graph_id: g.id, graph_version: 2, webhook_id: null });
    for (const key of [
      "input_schema",
      "output_schema",
      "credentials_input_schema",
      "sub_graphs",
      "has_external_trigger",
      "has_human_in_the_loop",
      "has_sensitive_action",
      "trigger_setup_info",
    ]) {
      expect(g[key], key).toEqual(calculator[key]);
    }
    expect(Object.keys(g)).toEqual(Object.keys(calculator));
    expect(Object.keys(g.nodes[0])).toEqual(Object.keys(calculator.nodes[0]));

    const read = await alice.api.get(`/api/graphs/${g.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(g);
  });

  it("accepts a bare graph body, marks links from static blocks static, and computes each interface", async () => {
    const res = await alice.api.post("/api/graphs", {
      ...template,
      links: template.links.map((l: any) => ({ ...l, is_static: false })),
    });
    expect(res.status).toBe(200);
    expect(res.body.links.map((l: any) => l.is_static)).toEqual([true, true, false, true]);
    expect(res.body.version).toBe(1);
    expect(res.body.input_schema).toEqual(template.input_schema);
    expect(res.body.output_schema).toEqual(template.output_schema);
  });

  it("reads, lists, versions, re-activates and deletes; /builder/graphs is the same resource", async () => {
    const u = await signUp(t.url);
    const g = await importGraph(u.api, calculator);
    const first = g.version;

    const list = await u.api.get("/api/graphs");
    expect(list.status).toBe(200);
    expect(list.headers.get("x-total-count")).toBe("1");
    // AutoGPT's GraphMeta: the version without nodes and links, its computed fields included.
    const { nodes: _nodes, links: _links, ...meta } = g;
    expect(list.body).toEqual([meta]);
    expect(list.body[0].input_schema.required).toEqual(["Input"]);
    expect((await u.api.get("/api/builder/graphs")).body).toEqual(list.body);
    expect((await u.api.get(`/api/builder/graphs/${g.id}`)).body).toEqual(g);

    const renamed = { ...calculator, id: g.id, name: "Calculator v2", description: "adds" };
    const updated = await u.api.put(`/api/graphs/${g.id}`, renamed);
    expect(updated.status).toBe(200);
    expect(updated.body.skipped_webhook_presets).toEqual([]);
    const v2 = updated.body.graph;
    expect(v2).toMatchObject({ id: g.id, version: first + 1, is_active: true, name: "Calculator v2" });
    expect(v2.nodes.map((n: any) => n.id)).not.toEqual(g.nodes.map((n: any) => n.id));

    expect((await u.api.get(`/api/graphs/${g.id}`)).body.version).toBe(first + 1);
    expect((await u.api.get(`/api/graphs/${g.id}?version=${first}`)).body).toMatchObject({
      version: first,
      is_active: false,
    });
    expect((await u.api.get(`/api/graphs/${g.id}/versions/${first}`)).body.name).toBe("Calculator agent");
    const versions = await u.api.get(`/api/builder/graphs/${g.id}/versions`);
    expect(versions.body.map((v: any) => [v.version, v.is_active])).toEqual([
      [first + 1, true],
      [first, false],
    ]);
    expect((await u.api.get("/api/graphs")).body.map((m: any) => [m.version, m.name])).toEqual([
      [first + 1, "Calculator v2"],
    ]);

    const activate = await u.api.put(`/api/builder/graphs/${g.id}/versions/active`, { active_graph_version: first });
    expect(activate.status).toBe(200);
    expect(activate.body).toEqual({ skipped_webhook_presets: [] });
    expect((await u.api.get(`/api/graphs/${g.id}`)).body).toMatchObject({ version: first, is_active: true });
    expect((await u.api.put(`/api/graphs/${g.id}/versions/active`, { active_graph_version: 99 })).status).toBe(404);

    const exported = await u.api.get(`/api/graphs/${g.id}?for_export=true`);
    expect(exported.body.user_id).toBe("");

    const mismatch = await u.api.put(`/api/graphs/${g.id}`, { ...calculator, id: "another-id" });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.message).toBe("Graph ID does not match ID in URI");

    const deleted = await u.api.delete(`/api/builder/graphs/${g.id}`);
    expect(deleted.body).toEqual({ version_counts: 2 });
    expect((await u.api.get(`/api/graphs/${g.id}`)).status).toBe(404);
    expect((await u.api.get(`/api/graphs/${g.id}/versions`)).status).toBe(404);
    expect((await u.api.get("/api/graphs")).body).toEqual([]);
  });

  it("rejects unknown blocks, missing pins, missing required inputs and wrongly typed constants with 422", async () => {
    const unknown = structuredClone(calculator);
    unknown.nodes[2].block_id = "00000000-0000-4000-8000-000000000000";
    const r1 = await alice.api.post("/api/graphs", { graph: unknown });
    expect(r1.status).toBe(422);
    expect(r1.body.error.code).toBe("VALIDATION_ERROR");
    expect(issues(r1.body)).toEqual([
      {
        node_id: expect.any(String),
        field: "block_id",
        message: expect.stringContaining("Invalid block 00000000-0000-4000-8000-000000000000"),
      },
    ]);

    const badPin = structuredClone(calculator);
    badPin.links[1].sink_name = "c";
    const r2 = await alice.api.post("/api/graphs", { graph: badPin });
    expect(r2.status).toBe(422);
    expect(issues(r2.body)).toEqual([
      expect.objectContaining({ field: "c", message: expect.stringContaining("`c` invalid, Allowed fields: ") }),
    ]);

    const noName = structuredClone(calculator);
    delete noName.nodes[1].input_default.name;
    const r3 = await alice.api.post("/api/graphs", { graph: noName });
    expect(r3.status).toBe(422);
    expect(issues(r3.body)).toEqual([
      { node_id: expect.any(String), field: "name", message: "This field is required" },
    ]);

    const wrongType = structuredClone(calculator);
    wrongType.nodes[2].input_default.a = "abc";
    wrongType.nodes[2].input_default.b = "34";
    const r4 = await alice.api.post("/api/graphs", { graph: wrongType });
    expect(r4.status).toBe(422);
    expect(issues(r4.body)).toEqual([
      { node_id: expect.any(String), field: "a", message: 'Expected a number, got "abc"' },
    ]);

    // The failing node is named by its new id: the one in the response's own numbering is not stored.
    const reserved = structuredClone(template);
    reserved.nodes[0].input_default.name = "openai_credentials";
    const r5 = await alice.api.post("/api/graphs", reserved);
    expect(issues(r5.body).map((i) => [i.field, i.message])).toEqual([
      ["name", "'openai_credentials' is a reserved input name: 'credentials' and `*_credentials` are reserved"],
    ]);

    const badBody = await alice.api.post("/api/graphs", { graph: { name: "x", nodes: [{ input_default: {} }] } });
    expect(badBody.status).toBe(422);
    expect(badBody.body.error.details.errors[0].field).toBe("body.graph.nodes.0.block_id");
  });

  it("names every node of an LLM agent whose block is not in the registry", async () => {
    const res = await alice.api.post("/api/graphs", { graph: flux, source: "upload" });
    const missing = flux.nodes.filter((n: { block_id: string }) => !getBlock(n.block_id));
    if (missing.length === 0) {
      expect(res.status).toBe(200);
      return;
    }
    expect(res.status).toBe(422);
    expect(
      issues(res.body)
        .filter((i) => i.field === "block_id")
        .map((i) => i.message.split(" for node")[0]),
    ).toEqual(missing.map((n: { block_id: string }) => `Invalid block ${n.block_id}`));
    expect(res.body.error.message).toContain("Invalid block");
  });

  it("checks required inputs of every block only when validating a run", async () => {
    const { validateGraph, prepareGraph } = await import("../src/core/graph.js");
    const g = prepareGraph(
      {
        name: "loose",
        nodes: [
          { id: "c", block_id: CALCULATOR, input_default: { operation: "Add", b: 1 } },
          { id: "o", block_id: OUTPUT, input_default: { name: "out" } },
        ],
        links: [{ source_id: "c", sink_id: "o", source_name: "result", sink_name: "value" }],
      },
      "u",
    );
    expect(validateGraph(g)).toEqual([]);
    expect(validateGraph(g, { forRun: true })).toEqual([
      { node_id: g.nodes[0]?.id, field: "a", message: "This field is required" },
    ]);
    const res = await alice.api.post("/api/graphs", { graph: g });
    expect(res.status).toBe(200);
  });

  it("hides other users' graphs behind 404 on every route", async () => {
    const g = await importGraph(alice.api, calculator);
    const bob = await signUp(t.url);
    for (const base of ["/api/graphs", "/api/builder/graphs"]) {
      expect((await bob.api.get(`${base}/${g.id}`)).status).toBe(404);
      expect((await bob.api.get(`${base}/${g.id}/versions`)).status).toBe(404);
      expect((await bob.api.get(`${base}/${g.id}/versions/${g.version}`)).status).toBe(404);
      const put = await bob.api.put(`${base}/${g.id}`, { ...calculator, id: g.id });
      expect(put.status).toBe(404);
      expect(put.body.error.code).toBe("NOT_FOUND");
      expect((await bob.api.put(`${base}/${g.id}/versions/active`, { active_graph_version: g.version })).status).toBe(
        404,
      );
      expect((await bob.api.delete(`${base}/${g.id}`)).status).toBe(404);
    }
    expect((await bob.api.get("/api/graphs")).body).toEqual([]);
    expect((await alice.api.get(`/api/graphs/${g.id}`)).status).toBe(200);
  });

  it("lets a READ_GRAPH key read but not write, and needs a caller at all", async () => {
    const u = await signUp(t.url);
    const g = await importGraph(u.api, calculator);
    const reader = await createKey(t.url, u.api, ["READ_GRAPH"]);
    expect((await reader.api.get("/api/graphs")).body.map((m: any) => m.id)).toEqual([g.id]);
    expect((await reader.api.get(`/api/graphs/${g.id}`)).status).toBe(200);
    const denied = await reader.api.post("/api/graphs", { graph: calculator });
    expect(denied.status).toBe(403);
    expect(denied.body.error.details).toEqual({ missing_scopes: ["WRITE_GRAPH"] });
    expect((await reader.api.post("/api/graphs", { graph: { broken: true } })).status).toBe(403);
    expect((await reader.api.delete(`/api/graphs/${g.id}`)).status).toBe(403);

    const writer = await createKey(t.url, u.api, ["WRITE_GRAPH"]);
    expect((await writer.api.post("/api/graphs", { graph: calculator })).status).toBe(200);
    expect((await writer.api.get("/api/graphs")).status).toBe(403);
    expect((await client(t.url).get("/api/graphs")).status).toBe(401);
  });

  it("takes agent files larger than the general body limit, up to five times it", async () => {
    const big = structuredClone(template);
    big.description = "x".repeat(2 * 1024 * 1024);
    const res = await alice.api.post("/api/graphs", big);
    expect(res.status).toBe(200);
    expect(res.body.description).toHaveLength(2 * 1024 * 1024);
    big.description = "x".repeat(6 * 1024 * 1024);
    expect((await alice.api.post("/api/graphs", big)).status).toBe(413);
  });

  it("serves the block list at /api/blocks (and the builder's paged menu at /api/builder/blocks)", async () => {
    const res = await alice.api.get("/api/blocks");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.body.length).toBeGreaterThanOrEqual(30);
    const calc = res.body.find((b: any) => b.id === CALCULATOR);
    expect(calc).toMatchObject({ name: "CalculatorBlock", uiType: "Standard", staticOutput: false });
    expect(Object.keys(calc.inputSchema.properties)).toEqual(["operation", "a", "b", "round_result"]);
    expect(calc.inputSchema.required).toEqual(["operation", "a", "b"]);
    const menu = (await alice.api.get("/api/builder/blocks?page_size=1000")).body.blocks;
    expect(menu.find((b: any) => b.id === CALCULATOR)).toEqual(calc);
    const blockReader = await createKey(t.url, alice.api, ["READ_BLOCK"]);
    expect((await blockReader.api.get("/api/blocks")).status).toBe(200);
    const graphReader = await createKey(t.url, alice.api, ["READ_GRAPH"]);
    expect((await graphReader.api.get("/api/blocks")).status).toBe(403);
    expect((await client(t.url).get("/api/blocks")).status).toBe(401);
  });

  it("answers GET /api/graphs and GET /api/graphs/{id} as AutoGPT's OpenAPI documents describe them", async () => {
    const u = await signUp(t.url);
    const g = await importGraph(u.api, calculator);
    await importGraph(u.api, template);
    const list = await u.api.get("/api/graphs");
    const one = await u.api.get(`/api/graphs/${g.id}`);
    expect(list.body).toHaveLength(2);
    const { documents } = fixture("autogpt-graph-schemas.json");
    for (const [release, doc] of Object.entries<any>(documents)) {
      const ajv = new Ajv({ strict: false, allErrors: true });
      addFormats(ajv);
      ajv.addSchema(doc, release);
      const schemas = doc.components.schemas;
      const check = (name: string, value: unknown) => {
        const validate = ajv.getSchema(`${release}#/components/schemas/${name}`);
        if (!validate) throw new Error(`no ${name} in ${release}`);
        expect(validate(value), `${release} ${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
        // AutoGPT's models allow extra fields, so validation alone would pass a shape that left some out.
        for (const key of Object.keys(schemas[name].properties))
          expect(value, `${release} ${name}.${key}`).toHaveProperty(key);
      };
      for (const item of list.body) check("GraphMeta", item);
      check("GraphModel", one.body);
    }
    const listed = list.body.find((m: any) => m.id === g.id);
    for (const key of ["input_schema", "output_schema", "credentials_input_schema", "trigger_setup_info"]) {
      expect(listed[key], key).toEqual(one.body[key]);
    }
  });

  it("documents both paths of every route in the OpenAPI document", async () => {
    const doc = (await client(t.url).get("/openapi.json")).body;
    for (const base of ["/api/graphs", "/api/builder/graphs"]) {
      expect(doc.paths[base]).toHaveProperty("get");
      expect(doc.paths[base]).toHaveProperty("post");
      expect(doc.paths[`${base}/{id}`]).toHaveProperty("put");
      expect(doc.paths[`${base}/{id}/versions/active`]).toHaveProperty("put");
    }
    expect(doc.paths["/api/builder/blocks"]).toHaveProperty("get");
  });
});
