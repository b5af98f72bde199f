// AutoGPT's shipped agents (backend/agents and graph_templates) import unchanged through POST /api/graphs, and those
// built only from LLM and pure blocks run end to end on the operator's LLM keys against a scripted LLM server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphsOf, isLlmOnly, shippedAgents } from "./helpers/autogpt-blocks.js";
import { signUp } from "./helpers/client.js";
import { type LlmServer, startLlmServer } from "./helpers/llm-server.js";
import { ended, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const agents = shippedAgents();
const llmOnly = agents.filter((a) => isLlmOnly(a.graph));
const OPERATOR = { openai: "sk-operator-openai-3f9c2e71", anthropic: "sk-ant-operator-8d41b0c6" };

type FileNode = { id: string; block_id: string; input_default?: Record<string, unknown> };
type FileLink = { source_id: string; source_name: string; sink_id: string; sink_name: string };

const AGENT_EXECUTOR = "e189baac-8c20-45a1-94a7-55177ea42565";

/**
 * Nodes as [block, input_default] and links as [source index, pin, sink index, pin]: what an import must keep. A
 * sub-agent node runs its graph as the importing user (`owner`), as AutoGPT reassigns it on import.
 */
function shape(graph: { nodes: FileNode[]; links?: FileLink[] }, owner?: string) {
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const inputOf = (n: FileNode) =>
    owner && n.block_id === AGENT_EXECUTOR ? { ...n.input_default, user_id: owner } : (n.input_default ?? {});
  return {
    nodes: graph.nodes.map((n) => [n.block_id, inputOf(n)]),
    links: (graph.links ?? []).map((l) => [index.get(l.source_id), l.source_name, index.get(l.sink_id), l.sink_name]),
  };
}

/** A value for every input of the agent's input_schema: a distinct marker for text, the first choice of an enum. */
function inputsFor(schema: { properties?: Record<string, any> }) {
  const values: Record<string, unknown> = {};
  const markers: string[] = [];
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const types = [field.type, ...(field.anyOf ?? []).map((t: { type?: string }) => t.type)];
    if (Array.isArray(field.enum)) values[name] = field.enum[0];
    else if (types.includes("integer") || types.includes("number")) values[name] = 3;
    else if (types.includes("boolean")) values[name] = true;
    else {
      const marker = `marker-${markers.length}-${name.replace(/\W+/g, "-")}`;
      markers.push(marker);
      values[name] = marker;
    }
  }
  return { values, markers };
}

describe("AutoGPT's shipped agents", () => {
  let llm: LlmServer;
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    llm = await startLlmServer();
    // What OPENAI_API_KEY/OPENAI_BASE_URL and ANTHROPIC_API_KEY/ANTHROPIC_BASE_URL set.
    t = await startTestServer({
      systemCredentials: {
        openai: { apiKey: OPERATOR.openai, baseUrl: llm.openaiBaseUrl },
        anthropic: { apiKey: OPERATOR.anthropic, baseUrl: llm.anthropicBaseUrl },
      },
    });
    alice = await signUp(t.url);
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  it("are all saved as fixtures, some of them LLM-only", () => {
    expect(agents.map((a) => `${a.dir}/${a.file}`)).toContain(
      "autogpt-agents/agent_31d7abc3-e191-5cac-b3be-3e603fc49314.json",
    );
    expect(llmOnly.length).toBeGreaterThan(0);
  });

  // Three Discord templates predate AutoGPT's current blocks: they link to pins those blocks no longer have (the
  // Discord blocks' `discord_bot_token`, now a credentials input; CombineTextsBlock's `input1`/`input2`, now one
  // `input` list). AutoGPT's own graph validation refuses them; so does this server, with AutoGPT's message.
  const STALE: Record<string, string> = {
    "Discord Bot Chat To LLM_v5.json": "`discord_bot_token` invalid",
    "Discord Chatbot with History_v145.json": "`discord_bot_token` invalid",
    "Discord Search Bot_v17.json": "`input2` invalid",
  };
  const current = agents.filter((a) => !(a.file in STALE));
  const stale = agents.filter((a) => a.file in STALE);

  it.each(stale)("refuses $dir/$file, stale in AutoGPT too, naming the pin it links to", async ({ file, graph }) => {
    const res = await alice.api.post("/api/graphs", { graph });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain(STALE[file]);
    expect(res.body.error.message).toContain("Allowed fields");
  });

  it.each(current)("imports $dir/$file unchanged, keeping every node, link and input default", async ({ graph }) => {
    const res = await alice.api.post("/api/graphs", { graph });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const saved = res.body;
    expect(saved.name).toBe(graph.name);
    const files = graphsOf(graph);
    const savedGraphs = [saved, ...(saved.sub_graphs ?? [])];
    expect(savedGraphs.map((g: { name: string }) => g.name).sort()).toEqual(files.map((g) => g.name).sort());
    for (const file of files) {
      const match = savedGraphs.find((g: { name: string }) => g.name === file.name);
      expect(shape(match)).toEqual(shape(file, alice.user.id));
    }
  });

  it.each(llmOnly)(
    "runs $dir/$file on the operator's keys with no credentials_inputs, answering with the model's reply",
    async ({ graph }) => {
      const created = await alice.api.post("/api/graphs", { graph });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const g = created.body;
      const { values, markers } = inputsFor(g.input_schema);
      llm.reset();

      const res = await alice.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: values });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const run = await waitFor(alice.api, res.body.id, ended, 60_000);
      expect(run.status, JSON.stringify(run.node_executions)).toBe("COMPLETED");

      // Every prompt reached the model filled: no placeholder left, every input the agent was given in it.
      expect(llm.requests.length).toBeGreaterThan(0);
      const sent = llm.requests.map(
        (r) => `${r.system}\n${r.messages.map((m) => JSON.stringify(m.content)).join("\n")}`,
      );
      for (const text of sent) expect(text).not.toMatch(/\{\{\s*\w+\s*\}\}/);
      for (const marker of markers) expect(sent.join("\n")).toContain(marker);
      // The operator's keys, for the provider each model routes to.
      for (const r of llm.requests) {
        if (r.api === "openai") expect(r.headers.authorization).toBe(`Bearer ${OPERATOR.openai}`);
        // The Anthropic SDK sends the key as a bearer token or as x-api-key, depending on its version.
        if (r.api === "anthropic")
          expect(r.headers.authorization ?? r.headers["x-api-key"]).toContain(OPERATOR.anthropic);
      }
      // The agent's output is the model's scripted reply to the last filled prompt.
      const last = llm.requests.at(-1)!;
      const outputs = Object.values(run.outputs as Record<string, unknown[]>).flat();
      expect(outputs).toContain(`Echo: ${last.lastUserText}`);
    },
  );
});
