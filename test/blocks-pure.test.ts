// AutoGPT's pure blocks its shipped agents use, run inside graphs through the real server: list checks and removal,
// the XML parser (safe: no DTDs or entities), and values persisted per user and agent across runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp } from "./helpers/client.js";
import { create, ended, execute, graph, INPUT, OUTPUT, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const LIST_IS_EMPTY = "896ed73b-27d0-41be-813c-c1c1dc856c03";
const REMOVE_FROM_LIST = "d93c5a93-ac7e-41c1-ae5c-ef67e6e9b826";
const XML_PARSER = "286380af-9529-4b55-8be0-1d7c854abdb5";

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
});
