// External API v2: /library/presets — saved inputs for an agent (AutoGPT's AgentPreset): create, list, read, update,
// delete, and run one (its inputs merged with the request's), and the run start shared with library agents.
//
// AutoGPT's POST /library/presets/setup-trigger is not served: no Agentry block is a webhook trigger yet.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { GraphExecutionRow } from "../../../services/runs.js";
import { principalOf } from "../../auth-hooks.js";
import { idempotent } from "../../idempotency.js";
import { Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";
import { AgentGraphRun, AgentPreset, LIBRARY_WRITE, toAgentGraphRun, toAgentPreset } from "./library-models.js";

type App = Parameters<FastifyPluginAsyncTypebox>[0];

const AnyRecord = Type.Record(Type.String(), Type.Unknown());

/** Body of a run request (AutoGPT's AgentRunRequest / AgentPresetRunRequest); may be omitted. */
export const RunRequest = Nullable(
  Type.Object(
    {
      inputs: Type.Optional(AnyRecord),
      credentials_inputs: Type.Optional(AnyRecord),
    },
    { title: "AgentRunRequest" },
  ),
);

const PresetId = Type.Object({ preset_id: Type.String({ minLength: 1, maxLength: 200, description: "Preset ID" }) });

const CreateRequest = Type.Object(
  {
    graph_id: Type.String({ minLength: 1, maxLength: 200, description: "Graph ID" }),
    graph_version: Type.Integer({ minimum: 1, description: "Graph version" }),
    name: Type.String({ minLength: 1, maxLength: 500, description: "Preset name" }),
    description: Type.String({ maxLength: 10_000, default: "", description: "Preset description" }),
    inputs: Type.Record(Type.String(), Type.Unknown(), { default: {}, description: "Input values" }),
    credentials_inputs: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: "Credential references",
    }),
    is_active: Type.Boolean({ default: true, description: "Whether the preset is active" }),
  },
  { title: "AgentPresetCreateRequest" },
);

const UpdateRequest = Type.Object(
  {
    name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 500 }))),
    description: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
    inputs: Type.Optional(Nullable(AnyRecord)),
    credentials_inputs: Type.Optional(Nullable(AnyRecord)),
    is_active: Type.Optional(Nullable(Type.Boolean())),
  },
  { title: "AgentPresetUpdateRequest" },
);

const ListQuery = Type.Composite([
  Type.Object({
    graph_id: Type.Optional(Type.String({ maxLength: 200, description: "Filter by graph ID" })),
  }),
  PageQuery,
]);

/**
 * Starts a run of the caller's graph version (queued), by the rules every entry point shares (unknown or missing
 * inputs and missing credentials are 422): library agents' runs (library.ts) start here.
 */
export async function startRun(
  app: FastifyInstance,
  userId: string,
  run: {
    graphId: string;
    graphVersion: number;
    inputs: Record<string, unknown>;
    credentialsInputs: Record<string, unknown>;
  },
): Promise<GraphExecutionRow> {
  return app.platform.runs.start(
    userId,
    run.graphId,
    run.graphVersion,
    { inputs: run.inputs, credentials_inputs: run.credentialsInputs },
    "external-v2",
  );
}

export function registerPresetRoutes(app: App) {
  const { presets } = app.platform;
  const tags = ["library", "presets"];

  app.get(
    "/library/presets",
    scoped(["READ_LIBRARY"], {
      tags,
      summary: "List agent execution presets",
      operationId: "listAgentRunPresets",
      description: "The caller's presets, most recently updated first, optionally for one graph.",
      querystring: ListQuery,
      response: { 200: Page(AgentPreset), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => {
      const userId = principalOf(request).user.id;
      const page = new PageRequest(request.query.limit, request.query.cursor);
      const { rows, total } = await presets.list(userId, {
        graphId: request.query.graph_id,
        offset: page.offset,
        limit: page.limit,
      });
      return page.paged(rows.map(toAgentPreset), total);
    },
  );

  app.get(
    "/library/presets/:preset_id",
    scoped(["READ_LIBRARY"], {
      tags,
      summary: "Get agent execution preset",
      operationId: "getAgentRunPreset",
      params: PresetId,
      response: { 200: AgentPreset, ...v2Errors(401, 403, 404) },
    }),
    async (request) => {
      return toAgentPreset(await presets.get(principalOf(request).user.id, request.params.preset_id));
    },
  );

  app.post(
    "/library/presets",
    scoped(LIBRARY_WRITE, {
      tags,
      summary: "Create agent execution preset",
      operationId: "createAgentRunPreset",
      description: "Saves inputs and credential references for a version of one of the caller's graphs.",
      body: CreateRequest,
      response: { 201: AgentPreset, ...v2Errors(401, 403, 404, 422) },
    }),
    async (request, reply) => {
      const userId = principalOf(request).user.id;
      const body = request.body;
      const row = await presets.create(userId, {
        graphId: body.graph_id,
        graphVersion: body.graph_version,
        name: body.name,
        description: body.description,
        inputs: body.inputs,
        credentials_inputs: body.credentials_inputs,
        isActive: body.is_active,
      });
      return reply.code(201).send(toAgentPreset(row));
    },
  );

  app.patch(
    "/library/presets/:preset_id",
    scoped(LIBRARY_WRITE, {
      tags,
      summary: "Update agent execution preset",
      operationId: "updateAgentRunPreset",
      description: "Changes only the fields sent.",
      params: PresetId,
      body: UpdateRequest,
      response: { 200: AgentPreset, ...v2Errors(401, 403, 404, 422) },
    }),
    async (request) => {
      const userId = principalOf(request).user.id;
      const body = request.body;
      const row = await presets.update(userId, request.params.preset_id, {
        name: body.name,
        description: body.description,
        inputs: body.inputs,
        credentials_inputs: body.credentials_inputs,
        isActive: body.is_active,
      });
      return toAgentPreset(row);
    },
  );

  app.delete(
    "/library/presets/:preset_id",
    scoped(LIBRARY_WRITE, {
      tags,
      summary: "Delete agent execution preset",
      operationId: "deleteAgentRunPreset",
      params: PresetId,
      response: { 204: Type.Null({ description: "Deleted" }), ...v2Errors(401, 403, 404) },
    }),
    async (request, reply) => {
      await presets.delete(principalOf(request).user.id, request.params.preset_id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/library/presets/:preset_id/runs",
    {
      ...scoped(["RUN_AGENT"], {
        tags,
        summary: "Run agent preset",
        operationId: "runAgentRunPreset",
        description:
          "Starts a run of the preset's graph version with the preset's inputs and credentials, overridden by " +
          "those in the request; the run is queued (202) and carries the preset's id. Send an `Idempotency-Key` " +
          "header to make a retry safe: a second request with the same key and body returns the first response " +
          "and starts nothing.",
        params: PresetId,
        body: RunRequest,
        response: { 202: AgentGraphRun, ...v2Errors(400, 401, 403, 404, 409, 422) },
      }),
      ...idempotent(app),
    },
    async (request, reply) => {
      const userId = principalOf(request).user.id;
      const row = await presets.run(userId, request.params.preset_id, request.body ?? {});
      return reply.code(202).send(toAgentGraphRun(row));
    },
  );
}
