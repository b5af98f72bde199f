// AutoGPT's pure blocks its shipped agents use, run inside graphs through the real server: list checks and removal,
// the XML parser (safe: no DTDs or entities), and values persisted per user and agent across runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp } from "./helpers/client.js";
import { create, ended, execute, graph, INPUT, OUTPUT, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const LIST_IS_EMPTY = "896ed73b-27d0-41be-813c-c1c1dc856c03";
const REMOVE_FROM_LIST = "d93c5a93-ac7e-41c1-ae5c-ef67e6e9b826";
const XML_PARSER = "286380af-9529-4b55-8be0-1d7c854abdb5";
const PERSIST = "1d055e55-a2b9-4547-8311-907d05b0304d";
const RETRIEVE = "d8710fc9-6e29-481e-a7d5-165eb16f8471";

/** input `value` -> PersistInformation(key `color`) in both scopes -> outputs `kept` and `shared`. */
const persistGraph = () =>
  graph(
    "remember",
    [
      { id: "in", block_id: INPUT, input_default: { name: "value" } },
      { id: "mine", block_id: PERSIST, input_default: { key: "color" } },
      { id: "all", block_id: PERSIST, input_default: { key: "color", scope: "across_agents" } },
      { id: "kept", block_id: OUTPUT, input_default: { name: "kept" } },
      { id: "shared", block_id: OUTPUT, input_default: { name: "shared" } },
    ],
    [
      ["in", "result", "mine", "value"],
      ["in", "result", "all", "value"],
      ["mine", "value", "kept", "value"],
      ["all", "value", "shared", "value"],
    ],
  );

/** input `key` -> RetrieveInformation in both scopes (default "none") -> outputs `within` and `across`. */
const retrieveGraph = (name: string) =>
  graph(
    name,
    [
      { id: "in", block_id: INPUT, input_default: { name: "key" } },
      { id: "mine", block_id: RETRIEVE, input_default: { default_value: "none" } },
      { id: "all", block_id: RETRIEVE, input_default: { scope: "across_agents", default_value: "none" } },
      { id: "within", block_id: OUTPUT, input_default: { name: "within" } },
      { id: "across", block_id: OUTPUT, input_default: { name: "across" } },
    ],
    [
      ["in", "result", "mine", "key"],
      ["in", "result", "all", "key"],
      ["mine", "value", "within", "value"],
      ["all", "value", "across", "value"],
    ],
  );

describe("pure blocks in graphs", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    t = await startTestServer();
    alice = await signUp(t.url);
  });
  afterAll(() => t?.close());

  it("lists AutoGPT's ids and names in GET /api/blocks", async () => {
    const res = await alice.api.get("/api/blocks");
    expect(res.status).toBe(200);
    const byId = new Map(res.body.map((b: { id: string; name: string }) => [b.id, b]));
    expect(byId.get(LIST_IS_EMPTY)).toMatchObject({ name: "ListIsEmptyBlock" });
    expect(byId.get(XML_PARSER)).toMatchObject({
      name: "XMLParserBlock",
      inputSchema: { properties: { input_xml: { type: "string" } }, required: ["input_xml"] },
    });
    const remove = byId.get(REMOVE_FROM_LIST) as { name: string; inputSchema: any };
    expect(remove.name).toBe("RemoveFromListBlock");
    expect(remove.inputSchema.required).toEqual(["list"]);
    expect(remove.inputSchema.properties.return_item.default).toBe(false);
    expect(byId.get(PERSIST)).toMatchObject({ name: "PersistInformationBlock", staticOutput: false });
    expect(byId.get(RETRIEVE)).toMatchObject({ name: "RetrieveInformationBlock", staticOutput: true });
  });

  it("removes an item and checks emptiness along a graph", async () => {
    const g = await create(
      alice.api,
      graph(
        "lists",
        [
          { id: "in", block_id: INPUT, input_default: { name: "items" } },
          { id: "rm", block_id: REMOVE_FROM_LIST, input_default: { index: 0, return_item: true } },
          { id: "empty", block_id: LIST_IS_EMPTY },
          { id: "removed", block_id: OUTPUT, input_default: { name: "removed" } },
          { id: "is_empty", block_id: OUTPUT, input_default: { name: "is_empty" } },
        ],
        [
          ["in", "result", "rm", "list"],
          ["rm", "updated_list", "empty", "list"],
          ["rm", "removed_item", "removed", "value"],
          ["empty", "is_empty", "is_empty", "value"],
        ],
      ),
    );
    const one = await waitFor(alice.api, (await execute(alice.api, g, { items: ["only"] })).id, ended);
    expect(one.status).toBe("COMPLETED");
    expect(one.outputs).toEqual({ removed: ["only"], is_empty: [true] });
    const two = await waitFor(alice.api, (await execute(alice.api, g, { items: ["a", "b"] })).id, ended);
    expect(two.outputs).toEqual({ removed: ["a"], is_empty: [false] });
    const none = await waitFor(alice.api, (await execute(alice.api, g, { items: [] })).id, ended);
    expect(none.status).toBe("FAILED");
    expect(none.stats.error).toContain("Index or value not found");
  });

  it("parses XML into gravitasml's dict and refuses entity declarations", async () => {
    const g = await create(
      alice.api,
      graph(
        "xml",
        [
          { id: "in", block_id: INPUT, input_default: { name: "xml" } },
          { id: "parse", block_id: XML_PARSER },
          { id: "out", block_id: OUTPUT, input_default: { name: "parsed" } },
        ],
        [
          ["in", "result", "parse", "input_xml"],
          ["parse", "parsed_xml", "out", "value"],
        ],
      ),
    );
    const xml = "<result><title> Hello </title><tags><tag>a</tag><tag>b</tag></tags></result>";
    const ok = await waitFor(alice.api, (await execute(alice.api, g, { xml })).id, ended);
    expect(ok.status).toBe("COMPLETED");
    expect(ok.outputs).toEqual({ parsed: [{ result: { title: "Hello", tags: [{ tag: "a" }, { tag: "b" }] } }] });

    const bomb = `<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><x>&b;</x>`;
    const refused = await waitFor(alice.api, (await execute(alice.api, g, { xml: bomb })).id, ended);
    expect(refused.status).toBe("FAILED");
    expect(refused.stats.error).toContain("Validation error for dict:");
    const plain = await waitFor(alice.api, (await execute(alice.api, g, { xml: "<x>&amp;&#65;</x>" })).id, ended);
    expect(plain.outputs).toEqual({ parsed: [{ x: "&amp;&#65;" }] });
  });

  it("persists a value for the user: the same agent reads it back in scope, other agents only across agents, other users never", async () => {
    const remember = await create(alice.api, persistGraph());
    const stored = await waitFor(
      alice.api,
      (await execute(alice.api, remember, { value: { theme: "dark" } })).id,
      ended,
    );
    expect(stored.status).toBe("COMPLETED");
    expect(stored.outputs).toEqual({ kept: [{ theme: "dark" }], shared: [{ theme: "dark" }] });

    // The same agent (a new version of its graph) in a later run: both scopes hold the value.
    const updated = await alice.api.put(`/api/graphs/${remember.id}`, { ...retrieveGraph("recall"), id: remember.id });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    const again = await waitFor(alice.api, (await execute(alice.api, updated.body.graph, { key: "color" })).id, ended);
    expect(again.status).toBe("COMPLETED");
    expect(again.outputs).toEqual({ within: [{ theme: "dark" }], across: [{ theme: "dark" }] });

    // Another of alice's agents: only the across_agents value.
    const other = await create(alice.api, retrieveGraph("other agent"));
    const fromOther = await waitFor(alice.api, (await execute(alice.api, other, { key: "color" })).id, ended);
    expect(fromOther.outputs).toEqual({ within: ["none"], across: [{ theme: "dark" }] });
    const missing = await waitFor(alice.api, (await execute(alice.api, other, { key: "size" })).id, ended);
    expect(missing.outputs).toEqual({ within: ["none"], across: ["none"] });

    // Another user sees nothing of alice's, in either scope.
    const bob = await signUp(t.url);
    const bobs = await create(bob.api, retrieveGraph("bob's agent"));
    const forBob = await waitFor(bob.api, (await execute(bob.api, bobs, { key: "color" })).id, ended);
    expect(forBob.outputs).toEqual({ within: ["none"], across: ["none"] });

    // A second write replaces the first.
    await waitFor(
      alice.api,
      (await execute(alice.api, { id: remember.id, version: remember.version }, { value: 7 })).id,
      ended,
    );
    const latest = await waitFor(alice.api, (await execute(alice.api, other, { key: "color" })).id, ended);
    expect(latest.outputs).toEqual({ within: ["none"], across: [7] });
  });
});
