// External API v2: /library/presets — saved inputs for an agent (AutoGPT's AgentPreset): create, list, read, update,
// delete, and run one (its inputs merged with the request's), and the run start shared with library agents.
//
// AutoGPT's POST /library/presets/setup-trigger is not served: no Agentry block is a webhook trigger yet.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../../../core/errors.js";
import { openCredentials, sealCredentials } from "../../../engine/credentials.js";
import type { Db } from "../../../infra/db/index.js";
import type { GraphExecutionRow } from "../../../infra/db/repos/executions.js";
import * as graphRepo from "../../../infra/db/repos/graphs.js";
import * as repo from "../../../infra/db/repos/library.js";
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

const notFound = (presetId: string) => ApiError.notFound(`Preset #${presetId}`);

/**
 * Starts a run of the caller's graph version (queued). As AutoGPT's v2, an input the graph does not have is
 * refused (422) rather than silently ignored; missing required inputs are refused by the execution service.
 */
export async function startRun(
  app: FastifyInstance,
  userId: string,
  run: {
    graphId: string;
    graphVersion: number;
    inputs: Record<string, unknown>;
    credentialsInputs: Record<string, unknown>;
    presetId?: string;
  },
): Promise<GraphExecutionRow> {
  const graph = await app.platform.loadGraph(userId, run.graphId, run.graphVersion);
  if (!graph) throw ApiError.notFound(`Graph #${run.graphId} v${run.graphVersion}`);
  const known = new Set(Object.keys(graph.input_schema.properties));
  const unknown = Object.keys(run.inputs).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw ApiError.validation(
      `Unknown input${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`,
      unknown.map((name) => ({ field: `body.inputs.${name}`, message: "Unknown input", location: "body" })),
    );
  }
  return app.platform.executions.start(userId, run.graphId, run.graphVersion, {
    inputs: run.inputs,
    credentials_inputs: run.credentialsInputs,
    presetId: run.presetId ?? null,
  });
}

export function registerPresetRoutes(app: App) {
  const db: Db = app.platform.database.db;
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
      const { rows, total } = await repo.listPresets(db, userId, {
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
      const row = await repo.getPreset(db, principalOf(request).user.id, request.params.preset_id);
      if (!row) throw notFound(request.params.preset_id);
      return toAgentPreset(row);
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
      const graph = await graphRepo.getGraph(db, userId, body.graph_id, body.graph_version, { subGraphs: false });
      if (!graph) throw ApiError.notFound(`Graph #${body.graph_id} v${body.graph_version}`);
      const row = await repo.createPreset(db, userId, {
        graphId: body.graph_id,
        graphVersion: body.graph_version,
        name: body.name,
        description: body.description,
        inputs: body.inputs,
        credentials: sealCredentials(app.platform.encryptionKey, body.credentials_inputs),
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
      const changes: repo.PresetChanges = {};
      if (body.name != null) changes.name = body.name;
      if (body.description != null) changes.description = body.description;
      if (body.inputs != null) changes.inputs = body.inputs;
      if (body.credentials_inputs != null) {
        changes.credentials = sealCredentials(app.platform.encryptionKey, body.credentials_inputs);
      }
      if (body.is_active != null) changes.isActive = body.is_active;
      const row = await repo.updatePreset(db, userId, request.params.preset_id, changes);
      if (!row) throw notFound(request.params.preset_id);
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
      if (!(await repo.deletePreset(db, principalOf(request).user.id, request.params.preset_id))) {
        throw notFound(request.params.preset_id);
      }
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
      const preset = await repo.getPreset(db, userId, request.params.preset_id);
      if (!preset) throw notFound(request.params.preset_id);
      const body = request.body ?? {};
      const row = await startRun(app, userId, {
        graphId: preset.graphId,
        graphVersion: preset.graphVersion,
        inputs: { ...(preset.inputs as Record<string, unknown>), ...(body.inputs ?? {}) },
        credentialsInputs: {
          ...openCredentials(app.platform.encryptionKey, preset.credentials),
          ...(body.credentials_inputs ?? {}),
        },
        presetId: preset.id,
      });
      return reply.code(202).send(toAgentGraphRun(row));
    },
  );
}
