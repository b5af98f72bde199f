// External API v2: /library/agents (the caller's library: list, read, update, remove, fork, run, credential needs)
// and /library/presets (library-presets.ts).
//
// Library agents are LibraryService's, kept up to date as graphs are written (as AutoGPT adds one when a graph is
// created). AutoGPT's WRITE_LIBRARY scope is not one of the core scopes: writes to the library ask for WRITE_GRAPH
// (see LIBRARY_WRITE).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ApiError } from "../../../core/errors.js";
import { principalOf } from "../../auth-hooks.js";
import { idempotent } from "../../idempotency.js";
import { Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";
import { CredentialRequirement, credentialRequirements } from "./integrations.js";
import { AgentGraphRun, LIBRARY_WRITE, LibraryAgent, toAgentGraphRun, toLibraryAgent } from "./library-models.js";
import { RunRequest, registerPresetRoutes, startRun } from "./library-presets.js";

type App = Parameters<FastifyPluginAsyncTypebox>[0];

const AgentId = Type.Object({
  agent_id: Type.String({ minLength: 1, maxLength: 200, description: "Library agent ID" }),
});

const ListQuery = Type.Composite([
  Type.Object({
    published: Type.Optional(Type.Boolean({ description: "Filter by marketplace publish status" })),
    favorite: Type.Optional(Type.Boolean({ description: "Filter by `isFavorite` attribute" })),
  }),
  PageQuery,
]);

const UpdateRequest = Type.Object(
  {
    auto_update_version: Type.Optional(Nullable(Type.Boolean())),
    graph_version: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    is_favorite: Type.Optional(Nullable(Type.Boolean())),
    is_archived: Type.Optional(Nullable(Type.Boolean())),
    folder_id: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  },
  { title: "LibraryAgentUpdateRequest" },
);

function registerAgentRoutes(app: App) {
  const { graphs, library } = app.platform;
  const tags = ["library"];

  app.get(
    "/library/agents",
    scoped(["READ_LIBRARY"], {
      tags,
      summary: "List library agents",
      operationId: "listLibraryAgents",
      description:
        "Agents in the caller's library, most recently updated first. Every graph of the caller is in the library. " +
        "Agentry has no marketplace listings, so `published=true` lists nothing.",
      querystring: ListQuery,
      response: { 200: Page(LibraryAgent), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => {
      const userId = principalOf(request).user.id;
      const { published, favorite, limit, cursor } = request.query;
      const page = new PageRequest(limit, cursor);
      const { agents, total } = await library.list(userId, {
        published,
        favorite,
        offset: page.offset,
        limit: page.limit,
      });
      return page.paged(
        agents.map((a) => toLibraryAgent(a, userId)),
        total,
      );
    },
  );

  app.get(
    "/library/agents/:agent_id",
    scoped(["READ_LIBRARY"], {
      tags,
      summary: "Get library agent",
      operationId: "getLibraryAgent",
      params: AgentId,
      response: { 200: LibraryAgent, ...v2Errors(401, 403, 404) },
    }),
    async (request) => {
      const userId = principalOf(request).user.id;
      return toLibraryAgent(await library.get(userId, request.params.agent_id), userId);
    },
  );

  app.patch(
    "/library/agents/:agent_id",
    scoped(LIBRARY_WRITE, {
      tags,
      summary: "Update library agent",
      operationId: "updateLibraryAgent",
      description:
        "Changes only the fields sent. Setting `graph_version` pins that version (`auto_update_version` false unless " +
        "sent as true). Agentry has no library folders, so a `folder_id` other than null is 404.",
      params: AgentId,
      body: UpdateRequest,
      response: { 200: LibraryAgent, ...v2Errors(401, 403, 404, 422) },
    }),
    async (request) => {
      const userId = principalOf(request).user.id;
      const body = request.body;
      if (body.folder_id) throw ApiError.notFound(`Folder #${body.folder_id}`);
      const agent = await library.update(userId, request.params.agent_id, {
        graphVersion: body.graph_version ?? undefined,
        autoUpdateVersion: body.auto_update_version ?? undefined,
        isFavorite: body.is_favorite ?? undefined,
        isArchived: body.is_archived ?? undefined,
      });
      return toLibraryAgent(agent, userId);
    },
  );

  app.delete(
    "/library/agents/:agent_id",
    scoped(LIBRARY_WRITE, {
      tags,
      summary: "Delete library agent",
      operationId: "deleteLibraryAgent",
      description: "Removes the agent from the caller's library; its graph stays.",
      params: AgentId,
      response: { 204: Type.Null({ description: "Removed" }), ...v2Errors(401, 403, 404) },
    }),
    async (request, reply) => {
      await library.remove(principalOf(request).user.id, request.params.agent_id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/library/agents/:agent_id/fork",
    scoped(LIBRARY_WRITE, {
      tags,
      summary: "Fork library agent",
      operationId: "forkLibraryAgent",
      description:
        "Copies the agent's graph (and its sub-graphs) with new ids into a new graph of the caller, named " +
        '"<name> (copy)", and adds it to the library.',
      params: AgentId,
      response: { 201: LibraryAgent, ...v2Errors(401, 403, 404) },
    }),
    async (request, reply) => {
      const userId = principalOf(request).user.id;
      return reply.code(201).send(toLibraryAgent(await graphs.fork(userId, request.params.agent_id), userId));
    },
  );

  app.post(
    "/library/agents/:agent_id/runs",
    {
      ...scoped(["RUN_AGENT"], {
        tags,
        summary: "Execute library agent",
        operationId: "executeLibraryAgent",
        description:
          "Starts a run of the agent's graph version with the given inputs; the run is queued (202). Send an " +
          "`Idempotency-Key` header to make a retry safe: a second request with the same key and body returns the " +
          "first response and starts nothing.",
        params: AgentId,
        body: RunRequest,
        response: { 202: AgentGraphRun, ...v2Errors(400, 401, 403, 404, 409, 422) },
      }),
      ...idempotent(app),
    },
    async (request, reply) => {
      const userId = principalOf(request).user.id;
      const entry = await library.get(userId, request.params.agent_id);
      const body = request.body ?? {};
      const row = await startRun(app, userId, {
        graphId: entry.agent.graphId,
        graphVersion: entry.agent.graphVersion,
        inputs: body.inputs ?? {},
        credentialsInputs: body.credentials_inputs ?? {},
      });
      return reply.code(202).send(toAgentGraphRun(row));
    },
  );

  app.get(
    "/library/agents/:agent_id/credentials",
    scoped(["READ_INTEGRATIONS"], {
      tags,
      summary: "Get library agent credential requirements",
      operationId: "getCredentialRequirementsForLibraryAgent",
      description:
        "The credentials the agent's graph needs (one item per credentials field and provider) and the caller's " +
        "credentials that match each (none: Agentry stores no third-party credentials yet).",
      params: AgentId,
      querystring: PageQuery,
      response: { 200: Page(CredentialRequirement), ...v2Errors(400, 401, 403, 404, 422) },
    }),
    async (request) => {
      const userId = principalOf(request).user.id;
      const page = new PageRequest(request.query.limit, request.query.cursor);
      const { agent, graph: version } = await library.get(userId, request.params.agent_id);
      const graph = await graphs.get(version.userId, agent.graphId, agent.graphVersion);
      return page.slice(
        await credentialRequirements(app.platform.integrations, graph.credentials_input_schema, userId),
      );
    },
  );
}

export const libraryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  registerAgentRoutes(app);
  registerPresetRoutes(app);
};
