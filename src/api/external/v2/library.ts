// External API v2: /library/agents (the caller's library: list, read, update, remove, fork, run, credential needs)
// and /library/presets (library-presets.ts).
//
// Library agents are rows of `library_agents` over the caller's graphs. AutoGPT adds one when a graph is created;
// Agentry's graph routes do not yet, so the rows are created lazily before the library is read
// (repos/library.ts: ensureLibraryAgents). AutoGPT's WRITE_LIBRARY scope is not one of the core scopes: writes to
// the library ask for WRITE_GRAPH (see LIBRARY_WRITE).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ApiError } from "../../../core/errors.js";
import { type GraphDraft, markStaticLinks, reassignIds } from "../../../core/graph.js";
import type { GraphModel } from "../../../core/graph-types.js";
import type { Db } from "../../../infra/db/index.js";
import * as graphRepo from "../../../infra/db/repos/graphs.js";
import * as repo from "../../../infra/db/repos/library.js";
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
  { title: "LibraryAgentUpdateRequest", additionalProperties: false },
);

const notFound = (agentId: string) => ApiError.notFound(`Agent #${agentId}`);

/** The graph version a library entry points at, as its owner stores it. */
async function graphOf(db: Db, entry: repo.LibraryEntry): Promise<GraphModel> {
  const graph = await graphRepo.getGraph(db, entry.graph.userId, entry.agent.graphId, entry.agent.graphVersion, {
    subGraphs: false,
  });
  if (!graph) throw ApiError.notFound(`Graph #${entry.agent.graphId}`);
  return graph;
}

export async function libraryAgentOut(db: Db, entry: repo.LibraryEntry, userId: string) {
  return toLibraryAgent(entry, await graphOf(db, entry), userId);
}

/** The caller's library agent, its version kept current first; 404 for anyone else's. */
async function mustGetAgent(db: Db, userId: string, agentId: string): Promise<repo.LibraryEntry> {
  await repo.ensureLibraryAgents(db, userId);
  const entry = await repo.getLibraryAgent(db, userId, agentId);
  if (!entry) throw notFound(agentId);
  return entry;
}

/** AutoGPT's fork: a copy of the graph (and its sub-graphs) with new ids, named "… (copy)", forked from the source. */
function forkDraft(graph: GraphModel, userId: string): GraphDraft {
  const draftOf = (g: GraphModel): GraphDraft => ({
    id: g.id,
    version: g.version,
    is_active: true,
    name: g.name,
    description: g.description,
    instructions: g.instructions,
    recommended_schedule_cron: g.recommended_schedule_cron,
    forked_from_id: g.forked_from_id,
    forked_from_version: g.forked_from_version,
    nodes: g.nodes.map((n) => ({
      id: n.id,
      block_id: n.block_id,
      input_default: structuredClone(n.input_default),
      metadata: structuredClone(n.metadata),
      webhook_id: null,
    })),
    links: g.links.map((l) => ({ ...l })),
    sub_graphs: [],
  });
  const draft: GraphDraft = {
    ...draftOf(graph),
    name: `${graph.name} (copy)`,
    forked_from_id: graph.id,
    forked_from_version: graph.version,
    sub_graphs: graph.sub_graphs.map(draftOf),
  };
  return markStaticLinks(reassignIds(draft, userId));
}

function registerAgentRoutes(app: App) {
  const db: Db = app.platform.database.db;
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
      await repo.ensureLibraryAgents(db, userId);
      const { entries, total } = await repo.listLibraryAgents(db, userId, {
        published,
        favorite,
        offset: page.offset,
        limit: page.limit,
      });
      const items = await Promise.all(entries.map((e) => libraryAgentOut(db, e, userId)));
      return page.paged(items, total);
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
      return libraryAgentOut(db, await mustGetAgent(db, userId, request.params.agent_id), userId);
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
      const { agent_id } = request.params;
      const entry = await mustGetAgent(db, userId, agent_id);
      const body = request.body;
      if (body.folder_id) throw ApiError.notFound(`Folder #${body.folder_id}`);
      if (body.graph_version !== undefined && body.graph_version !== null) {
        const version = await graphRepo.getGraph(db, entry.graph.userId, entry.agent.graphId, body.graph_version, {
          subGraphs: false,
        });
        if (!version) throw ApiError.notFound(`Graph #${entry.agent.graphId} v${body.graph_version}`);
      }
      const changes: repo.LibraryAgentChanges = {};
      if (body.graph_version != null) {
        changes.graphVersion = body.graph_version;
        // Pinning a version stops following the active one, unless the request asks to keep following it.
        changes.useGraphIsActiveVersion = false;
      }
      if (body.auto_update_version != null) changes.useGraphIsActiveVersion = body.auto_update_version;
      if (body.is_favorite != null) changes.isFavorite = body.is_favorite;
      if (body.is_archived != null) changes.isArchived = body.is_archived;
      if (!(await repo.updateLibraryAgent(db, userId, agent_id, changes))) throw notFound(agent_id);
      return libraryAgentOut(db, await mustGetAgent(db, userId, agent_id), userId);
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
      const userId = principalOf(request).user.id;
      await repo.ensureLibraryAgents(db, userId);
      if (!(await repo.deleteLibraryAgent(db, userId, request.params.agent_id))) {
        throw notFound(request.params.agent_id);
      }
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
      const entry = await mustGetAgent(db, userId, request.params.agent_id);
      const source = await graphRepo.getGraph(db, entry.graph.userId, entry.agent.graphId, entry.agent.graphVersion);
      if (!source) throw notFound(request.params.agent_id);
      const forked = await graphRepo.createGraph(db, userId, forkDraft(source, userId));
      const row = await repo.insertLibraryAgent(db, userId, forked);
      const created = await repo.getLibraryAgent(db, userId, row.id);
      if (!created) throw notFound(row.id);
      return reply.code(201).send(toLibraryAgent(created, forked, userId));
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
      const entry = await mustGetAgent(db, userId, request.params.agent_id);
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
      const entry = await mustGetAgent(db, userId, request.params.agent_id);
      const graph = await graphRepo.getGraph(db, entry.graph.userId, entry.agent.graphId, entry.agent.graphVersion);
      if (!graph) throw ApiError.notFound(`Graph for agent #${request.params.agent_id}`);
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
