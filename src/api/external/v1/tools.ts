// External API v1: the chat tools, stateless: POST /tools/find-agent and /tools/run-agent (AutoGPT's paths), and
// POST /tools/execute, which runs any of them by name. Answers are AutoGPT's tool responses ({type, message, ...}).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, type TObject, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { allBlocks, blockToJSON, getBlock } from "../../../blocks/index.js";
import type { Block } from "../../../blocks/sdk.js";
import { ApiError } from "../../../core/errors.js";
import type { GraphModel } from "../../../core/graph-types.js";
import { missingInputs, unknownInputs } from "../../../core/run-request.js";

type Services = import("fastify").FastifyInstance["platform"];

import { principalOf } from "../../auth-hooks.js";
import { idempotent } from "../../idempotency.js";
import { errors, Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { isListAll, resolveUserAgent, searchUserGraphs } from "./agents.js";
import { callerGone, directRunCredentials, runBlock } from "./run-block.js";
import { Json } from "./schemas.js";

type ToolResponse = Record<string, unknown> & { type: string; message: string; session_id: string | null };

/** AutoGPT's ToolResponseBase; each tool adds its own fields (agents, blocks, outputs...). */
const ToolResponseSchema = Type.Object(
  {
    type: Type.String({
      description:
        "agents_found, no_results, agent_details, input_validation_error, execution_started, block_list, block_output",
    }),
    message: Type.String(),
    session_id: Nullable(Type.String({ description: "Always null: these calls run without a chat session" })),
  },
  { additionalProperties: true, title: "ToolResponse" },
);

const FindAgentParams = Type.Object({
  query: Type.String({ maxLength: 500, description: "Search query for finding agents" }),
});

const RunAgentParams = Type.Object({
  username_agent_slug: Type.Optional(
    Type.String({ maxLength: 400, description: "The marketplace agent slug (e.g. 'username/agent-name')" }),
  ),
  library_agent_id: Type.Optional(
    Type.String({ maxLength: 200, description: "A library agent id or graph id of the caller's own agents" }),
  ),
  inputs: Type.Optional(Json),
  use_defaults: Type.Boolean({ default: false, description: "Run with default values for inputs not given" }),
  schedule_name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  cron: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  timezone: Type.String({ default: "UTC", maxLength: 100 }),
});

const FindBlockParams = Type.Object({
  query: Type.String({ maxLength: 500, description: "Words to look for in block names and descriptions" }),
});

const RunBlockParams = Type.Object({
  block_id: Type.String({ minLength: 1, maxLength: 200 }),
  input_data: Type.Optional(Json),
});

interface ToolCall {
  userId: string;
  services: Services;
  signal: AbortSignal;
}

interface Tool<P extends TObject> {
  description: string;
  parameters: P;
  run(call: ToolCall, params: Static<P>): Promise<ToolResponse>;
}

const defineTool = <P extends TObject>(tool: Tool<P>): Tool<TObject> => tool as unknown as Tool<TObject>;

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function agentInfo(graph: GraphModel, libraryAgentId: string | null = null) {
  return {
    id: libraryAgentId ?? graph.id,
    name: graph.name,
    description: graph.description,
    source: "library",
    in_library: true,
    creator: null,
    category: null,
    rating: null,
    runs: null,
    is_featured: null,
    status: null,
    can_access_graph: true,
    has_external_trigger: graph.has_external_trigger,
    new_output: null,
    graph_id: graph.id,
    graph_version: graph.version,
    match_score: null,
    input_schema: graph.input_schema,
    output_schema: graph.output_schema,
    inputs: null,
    graph: null,
    trigger_info: null,
  };
}

/** The input fields of a graph as AutoGPT's tools list them. */
function inputFields(graph: GraphModel) {
  const required = new Set(graph.input_schema.required);
  return Object.entries(graph.input_schema.properties).map(([name, schema]) => ({
    name,
    title: schema.title ?? name,
    type: typeof schema.type === "string" ? schema.type : "string",
    description: typeof schema.description === "string" ? schema.description : "",
    required: required.has(name),
    default: schema.default ?? null,
  }));
}

function agentDetails(graph: GraphModel, message: string): ToolResponse {
  return {
    type: "agent_details",
    message,
    session_id: null,
    agent: {
      id: graph.id,
      name: graph.name,
      description: graph.description,
      in_library: true,
      inputs: graph.input_schema,
      credentials: [],
      execution_options: { manual: true, scheduled: true, webhook: false },
      trigger_info: null,
    },
    user_authenticated: true,
    graph_id: graph.id,
    graph_version: graph.version,
  };
}

const findAgent = defineTool({
  description: "Search the marketplace for agents. Agentry has no marketplace listings yet: always no_results.",
  parameters: FindAgentParams,
  async run(_call, { query }) {
    const text = query.trim();
    if (!text) throw ApiError.validation("Please provide a search query", [{ field: "query", message: "is empty" }]);
    return {
      type: "no_results",
      message: `No marketplace agents found matching '${text}'. This server has no marketplace listings yet; use find_library_agent to search your own agents.`,
      session_id: null,
      suggestions: ["Use find_library_agent to search your own agents", "Try more general terms"],
      name: "no_results",
    };
  },
});

const findLibraryAgent = defineTool({
  description: "Search the caller's own agents by name or description ('all' or '' lists them all).",
  parameters: FindAgentParams,
  async run(call, { query }) {
    const listAll = isListAll(query);
    const graphs = await searchUserGraphs(call.services, call.userId, query, listAll ? 50 : 10);
    if (graphs.length === 0) {
      return {
        type: "no_results",
        message: listAll ? "Your library is empty." : `No agents matching '${query.trim()}' found in your library.`,
        session_id: null,
        suggestions: listAll ? ["Create an agent with POST /graphs"] : ["Try different keywords", "Search for 'all'"],
        name: "no_results",
      };
    }
    const n = graphs.length;
    const found = `Found ${n} agent${n === 1 ? "" : "s"} in your library`;
    return {
      type: "agents_found",
      message:
        "Found agents in the user's library. Use run_agent with library_agent_id set to an agent's id to run it.",
      session_id: null,
      title: listAll ? found : `${found} for '${query.trim()}'`,
      agents: graphs.map((g) => agentInfo(g)),
      count: n,
      name: "agents_found",
    };
  },
});

const runAgent = defineTool({
  description:
    "Run one of the caller's agents (library_agent_id: a library agent id or graph id). Answers what is missing " +
    "(agent_details, input_validation_error) or the started run (execution_started).",
  parameters: RunAgentParams,
  async run(call, params) {
    const slug = params.username_agent_slug?.trim() ?? "";
    const libraryId = params.library_agent_id?.trim() ?? "";
    if (!libraryId && !slug.includes("/")) {
      throw ApiError.validation("Provide either a username_agent_slug ('username/agent-name') or a library_agent_id", [
        { field: "library_agent_id", message: "Field required" },
      ]);
    }
    const scheduled = Boolean(params.schedule_name || params.cron);
    if (scheduled && !(params.schedule_name && params.cron)) {
      const field = params.cron ? "schedule_name" : "cron";
      throw ApiError.validation(`${field} is required for scheduled execution`, [{ field, message: "Field required" }]);
    }
    if (!libraryId) {
      // The marketplace is where slugs point; it has no listings here.
      throw ApiError.notFound(`Agent '${slug}'`, { username_agent_slug: slug });
    }
    const { runs, schedules } = call.services;
    const agent = await resolveUserAgent(call.services, call.userId, libraryId);
    if (!agent) throw ApiError.notFound(`Library agent '${libraryId}'`, { library_agent_id: libraryId });
    const { graph, libraryAgentId } = agent;
    const inputs = params.inputs ?? {};

    // The start-run rules, answered as AutoGPT's tool does: what to fix, instead of a 422.
    const unknown = unknownInputs(graph, inputs);
    if (unknown.length > 0) {
      return {
        type: "input_validation_error",
        message: `Unknown input field(s) provided: ${unknown.join(", ")}. Agent was not executed. Please use the correct field names from the schema.`,
        session_id: null,
        unrecognized_fields: unknown,
        inputs: graph.input_schema,
        graph_id: graph.id,
        graph_version: graph.version,
      };
    }
    if (!params.use_defaults) {
      const fields = inputFields(graph);
      if (fields.length > 0 && Object.keys(inputs).length === 0) {
        const required = fields.filter((f) => f.required).map((f) => f.name);
        const optional = fields.filter((f) => !f.required).map((f) => f.name);
        const parts = [`Agent '${graph.name}' accepts the following inputs:`];
        if (required.length) parts.push(`Required: ${required.join(", ")}.`);
        if (optional.length) parts.push(`Optional (have defaults): ${optional.join(", ")}.`);
        parts.push("Ask the user what values to use, or call again with use_defaults=true to run with default values.");
        return agentDetails(graph, parts.join(" "));
      }
      const missing = missingInputs(graph, inputs);
      if (missing.length > 0) {
        return agentDetails(
          graph,
          `Agent '${graph.name}' is missing required inputs: ${missing.join(", ")}. Please provide these values to run the agent.`,
        );
      }
    }
    const link = libraryAgentId ? `/library/agents/${libraryAgentId}` : null;
    if (scheduled) {
      const schedule = await schedules.create(call.userId, graph.id, {
        name: params.schedule_name as string,
        cron: params.cron as string,
        inputs,
        graphVersion: graph.version,
        timezone: params.timezone,
      });
      return {
        type: "execution_started",
        message: `Agent '${graph.name}' scheduled successfully as '${schedule.name}'. Do not schedule again unless explicitly requested.`,
        session_id: null,
        execution_id: schedule.id,
        graph_id: graph.id,
        graph_name: graph.name,
        library_agent_id: libraryAgentId,
        library_agent_link: link,
        next_run_time: schedule.nextRunAt ? schedule.nextRunAt.toISOString() : null,
      };
    }
    const run = await runs.start(call.userId, graph.id, graph.version, { inputs }, "tool");
    return {
      type: "execution_started",
      message: `Agent '${graph.name}' execution started successfully. Do not run again unless explicitly requested.`,
      session_id: null,
      execution_id: run.id,
      graph_id: graph.id,
      graph_name: graph.name,
      library_agent_id: libraryAgentId,
      library_agent_link: link,
      status: run.status,
      saved_preset_id: null,
    };
  },
});

function blockSummary(block: Block) {
  const json = blockToJSON(block);
  const properties = (json.inputSchema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((json.inputSchema.required ?? []) as string[]);
  return {
    id: block.id,
    name: block.name,
    description: block.description,
    categories: block.categories,
    input_schema: json.inputSchema,
    output_schema: json.outputSchema,
    static_output: json.staticOutput,
    required_inputs: Object.entries(properties).map(([name, pin]) => ({
      name,
      type: typeof pin.type === "string" ? pin.type : "object",
      description: typeof pin.description === "string" ? pin.description : "",
      required: required.has(name),
      default: pin.default ?? null,
    })),
    provider: null,
  };
}

const findBlock = defineTool({
  description: "Search the block library by words in block names and descriptions (best matches first, at most 10).",
  parameters: FindBlockParams,
  async run(_call, { query }) {
    const terms = words(query);
    if (terms.length === 0) {
      throw ApiError.validation("Please provide a search query", [{ field: "query", message: "is empty" }]);
    }
    const scored = allBlocks
      .map((block) => {
        const name = block.name.toLowerCase();
        const description = block.description.toLowerCase();
        let score = 0;
        for (const term of terms) score += name.includes(term) ? 2 : description.includes(term) ? 1 : 0;
        return { block, score };
      })
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score || a.block.name.localeCompare(b.block.name))
      .slice(0, 10);
    if (scored.length === 0) {
      return {
        type: "no_results",
        message: `No blocks found matching '${query.trim()}'.`,
        session_id: null,
        suggestions: ["Try more general terms"],
        name: "no_results",
      };
    }
    return {
      type: "block_list",
      message: `Found ${scored.length} block${scored.length === 1 ? "" : "s"} matching '${query.trim()}'.`,
      session_id: null,
      blocks: scored.map((s) => blockSummary(s.block)),
      count: scored.length,
      query: query.trim(),
      usage_hint:
        "To execute a block, call run_block with block_id set to the block's 'id' field and input_data containing the fields listed in required_inputs.",
    };
  },
});

const runBlockTool = defineTool({
  description: "Run one block with input_data and answer its outputs by pin name (block_output).",
  parameters: RunBlockParams,
  async run(call, { block_id, input_data }) {
    const block = getBlock(block_id);
    if (!block) throw ApiError.notFound(`Block #${block_id}`, { block_id });
    const { config } = call.services;
    const outputs = await runBlock(block, input_data ?? {}, {
      userId: call.userId,
      timeoutMs: config.executor.nodeTimeoutSeconds * 1000,
      http: call.services.http,
      signal: call.signal,
      credentials: directRunCredentials(call.services, call.userId),
    });
    return {
      type: "block_output",
      message: `Block '${block.name}' executed successfully`,
      session_id: null,
      block_id: block.id,
      block_name: block.name,
      outputs,
      provider: null,
      success: true,
      is_dry_run: null,
    };
  },
});

/** The tools this server can run, by AutoGPT's tool names. */
export const TOOLS: Record<string, Tool<TObject>> = {
  find_agent: findAgent,
  find_library_agent: findLibraryAgent,
  run_agent: runAgent,
  find_block: findBlock,
  run_block: runBlockTool,
};

/** Checks a tool's parameters (schema defaults applied); 422 naming each failing field. */
function parseParams<P extends TObject>(schema: P, raw: unknown, prefix: string): Static<P> {
  const value = Value.Default(schema, Value.Clone(raw ?? {}));
  if (Value.Check(schema, value)) return value as Static<P>;
  const problems = [...Value.Errors(schema, value)].map((e) => ({
    field: `${prefix}${e.path.replace(/^\//, "").replace(/\//g, ".")}`,
    message: e.message,
  }));
  throw ApiError.validation(`Invalid tool parameters: ${problems[0]?.field} ${problems[0]?.message}`, problems);
}

const ExecuteToolBody = Type.Object(
  {
    tool_name: Type.String({ minLength: 1, maxLength: 100, description: `One of: ${Object.keys(TOOLS).join(", ")}` }),
    parameters: Type.Optional(Json),
  },
  { examples: [{ tool_name: "find_library_agent", parameters: { query: "calculator" } }] },
);

export const toolsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ["tools"];
  const responses = { 200: ToolResponseSchema, ...errors(400, 401, 403, 404, 409, 422) };

  app.post(
    "/tools/find-agent",
    scoped(["USE_TOOLS"], {
      tags,
      summary: "Find agents in the marketplace",
      description: findAgent.description,
      body: FindAgentParams,
      response: responses,
    }),
    async (request, reply) =>
      findAgent.run(
        { userId: principalOf(request).user.id, services: app.platform, signal: callerGone(reply) },
        request.body,
      ),
  );

  app.post(
    "/tools/run-agent",
    {
      ...scoped(["USE_TOOLS"], {
        tags,
        summary: "Run an agent",
        description:
          `${runAgent.description} A marketplace slug is 404 (no listings yet). With schedule_name and cron it ` +
          "schedules the agent instead (execution_id is then the schedule's id). Honours an Idempotency-Key header.",
        body: RunAgentParams,
        response: responses,
      }),
      ...idempotent(app),
    },
    async (request, reply) =>
      runAgent.run(
        { userId: principalOf(request).user.id, services: app.platform, signal: callerGone(reply) },
        request.body as Static<typeof RunAgentParams>,
      ),
  );

  app.post(
    "/tools/execute",
    {
      ...scoped(["USE_TOOLS"], {
        tags,
        summary: "Execute a tool by name",
        description:
          "Runs one chat tool with `parameters`: find_agent (marketplace), find_library_agent (the caller's " +
          "agents), run_agent, find_block, run_block. An unknown tool is 404; bad parameters 422. Honours an " +
          "Idempotency-Key header.",
        body: ExecuteToolBody,
        response: responses,
      }),
      ...idempotent(app),
    },
    async (request, reply) => {
      const { tool_name, parameters } = request.body;
      const tool = Object.hasOwn(TOOLS, tool_name) ? TOOLS[tool_name] : undefined;
      if (!tool) {
        throw ApiError.notFound(`Tool '${tool_name}'`, { tool_name, available_tools: Object.keys(TOOLS) });
      }
      const params = parseParams(tool.parameters, parameters, "body.parameters.");
      return tool.run(
        { userId: principalOf(request).user.id, services: app.platform, signal: callerGone(reply) },
        params,
      );
    },
  );
};
