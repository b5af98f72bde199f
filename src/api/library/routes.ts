// /api/library: AutoGPT's library of agents (list, search, sort, favorites, get, by graph, by store listing, add
// from the store, update, delete, fork) and presets (list, create, get, update, delete, execute, set up with a
// webhook trigger), at AutoGPT's paths and shapes, on LibraryService and PresetService (External v2 serves the same
// services in its own shapes).
//
// AutoGPT's WRITE_LIBRARY scope is not a core scope: writes to the library ask for WRITE_GRAPH, as on v2.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import { ApiError } from "../../core/errors.js";
import type { ListingGraphs } from "../../services/library.js";
import { toGraphExecution } from "../../services/runs.js";
import { principalOf, requireScope } from "../auth-hooks.js";
import { noBodyIsEmpty } from "../executions/schemas.js";
import { anyCredentials, errors, Nullable, pagination } from "../schemas.js";
import {
  LibraryAgent,
  LibraryAgentPreset,
  LibraryAgentPresetCreatable,
  LibraryAgentPresetCreatableFromGraphExecution,
  LibraryAgentPresetResponse,
  LibraryAgentPresetUpdatable,
  LibraryAgentResponse,
  LibraryAgentUpdateRequest,
  PresetExecuteBody,
  TriggeredPresetSetupRequest,
  toLibraryAgent,
  toPreset,
} from "./models.js";

const Id = Type.String({ minLength: 1, maxLength: 200 });
const AgentParams = Type.Object({ library_agent_id: Id });
const PresetParams = Type.Object({ preset_id: Id });
const Page = {
  page: Type.Integer({ minimum: 1, default: 1, description: "Page number to retrieve (must be >= 1)" }),
  page_size: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 15,
    description: "Number of agents per page (must be >= 1)",
  }),
};
const ListQuery = Type.Object({
  search_term: Type.Optional(Nullable(Type.String({ maxLength: 500, description: "Search term to filter agents" }))),
  sort_by: Type.Union([Type.Literal("createdAt"), Type.Literal("updatedAt")], {
    default: "updatedAt",
    description: "Criteria to sort results by",
  }),
  ...Page,
});

const userOf = (request: FastifyRequest) => principalOf(request).user.id;

export const libraryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { library, presets, graphs, store, webhooks } = app.platform;
  const agents = { tags: ["library"], security: anyCredentials };
  const read = requireScope("READ_LIBRARY");
  const write = requireScope("WRITE_GRAPH");
  const run = requireScope("RUN_AGENT");
  // An approved store listing version publishes one graph version of its creator's (404 for any other).
  const listings: ListingGraphs = {
    graphOfListingVersion: async (id) => {
      const listed = await store.listedGraph(id);
      return { id: listed.graphId, version: listed.graphVersion };
    },
  };

  const list = async (userId: string, q: { page: number; page_size: number }, filter: object) => {
    const { agents, total } = await library.list(userId, {
      ...filter,
      offset: (q.page - 1) * q.page_size,
      limit: q.page_size,
    });
    return {
      agents: agents.map((a) => toLibraryAgent(a, userId)),
      pagination: pagination(total, q.page, q.page_size),
    };
  };

  app.get(
    "/agents",
    {
      preHandler: read,
      schema: {
        ...agents,
        summary: "List Library Agents",
        description:
          "The caller's library (the graphs they created and the agents they added), archived ones left out, " +
          "newest first by `sort_by`; `search_term` matches the name or description.",
        querystring: ListQuery,
        response: { 200: LibraryAgentResponse, ...errors(401, 403, 422) },
      },
    },
    async (request) => {
      const q = request.query;
      return list(userOf(request), q, { search: q.search_term ?? undefined, sortBy: q.sort_by });
    },
  );

  app.get(
    "/agents/favorites",
    {
      preHandler: read,
      schema: {
        ...agents,
        summary: "List Favorite Library Agents",
        querystring: Type.Object(Page),
        response: { 200: LibraryAgentResponse, ...errors(401, 403, 422) },
      },
    },
    async (request) => list(userOf(request), request.query, { favorite: true }),
  );

  app.get(
    "/agents/:library_agent_id",
    {
      preHandler: read,
      schema: {
        ...agents,
        summary: "Get Library Agent",
        params: AgentParams,
        response: { 200: LibraryAgent, ...errors(401, 403, 404) },
      },
    },
    async (request) =>
      toLibraryAgent(await library.get(userOf(request), request.params.library_agent_id), userOf(request)),
  );

  app.get(
    "/agents/by-graph/:graph_id",
    {
      preHandler: read,
      schema: {
        ...agents,
        summary: "Get Library Agent By Graph ID",
        description: "The caller's library agent of the graph; with `version`, only if it points at that version.",
        params: Type.Object({ graph_id: Id }),
        querystring: Type.Object({ version: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))) }),
        response: { 200: LibraryAgent, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const userId = userOf(request);
      const { graph_id } = request.params;
      const agent = await library.ofGraph(userId, graph_id, request.query.version ?? undefined);
      if (!agent) throw ApiError.notFound(`Library agent for graph #${graph_id}`, { graph_id });
      return toLibraryAgent(agent, userId);
    },
  );

  app.get(
    "/agents/marketplace/:store_listing_version_id",
    {
      preHandler: read,
      schema: {
        ...agents,
        summary: "Get Agent By Store ID",
        description: "The caller's library agent of a store listing version (null when they have not added it).",
        params: Type.Object({ store_listing_version_id: Id }),
        response: { 200: Nullable(LibraryAgent), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const userId = userOf(request);
      const agent = await library.ofListing(userId, request.params.store_listing_version_id, listings);
      return agent ? toLibraryAgent(agent, userId) : null;
    },
  );

  app.post(
    "/agents",
    {
      preHandler: write,
      schema: {
        ...agents,
        summary: "Add Marketplace Agent",
        description: "Adds the graph version a store listing version publishes to the caller's library.",
        body: Type.Object({ store_listing_version_id: Id }),
        response: { 201: LibraryAgent, ...errors(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const userId = userOf(request);
      const agent = await library.addFromListing(userId, request.body.store_listing_version_id, listings);
      return reply.code(201).send(toLibraryAgent(agent, userId));
    },
  );

  // PATCH is AutoGPT's; PUT is the seed's path for the same update.
  for (const method of ["PATCH", "PUT"] as const) {
    app.route({
      method,
      url: "/agents/:library_agent_id",
      preHandler: write,
      schema: {
        ...agents,
        summary: "Update Library Agent",
        description:
          "Changes only the fields sent: favorite, archived, following the graph's newest version " +
          "(`auto_update_version`), a pinned `graph_version`, and the agent's `settings`.",
        params: AgentParams,
        body: LibraryAgentUpdateRequest,
        response: { 200: LibraryAgent, ...errors(401, 403, 404, 422) },
      },
      handler: async (request) => {
        const userId = userOf(request);
        const { body } = request;
        let agent = await library.update(userId, request.params.library_agent_id, {
          graphVersion: body.graph_version ?? undefined,
          autoUpdateVersion: body.auto_update_version ?? undefined,
          isFavorite: body.is_favorite ?? undefined,
          isArchived: body.is_archived ?? undefined,
        });
        if (body.settings) {
          await library.updateSettings(userId, agent.agent.graphId, body.settings);
          agent = await library.get(userId, agent.agent.id);
        }
        return toLibraryAgent(agent, userId);
      },
    });
  }

  app.delete(
    "/agents/:library_agent_id",
    {
      preHandler: write,
      schema: {
        ...agents,
        summary: "Delete Library Agent",
        description: "Removes the agent from the caller's library; its graph stays.",
        params: AgentParams,
        response: { 204: Type.Null({ description: "Agent deleted successfully" }), ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await library.remove(userOf(request), request.params.library_agent_id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/agents/:library_agent_id/fork",
    {
      preHandler: write,
      preValidation: noBodyIsEmpty,
      schema: {
        ...agents,
        summary: "Fork Library Agent",
        description:
          'Copies the agent\'s graph (and its sub-graphs) into a new graph of the caller, named "<name> (copy)", ' +
          "and adds it to their library.",
        params: AgentParams,
        response: { 200: LibraryAgent, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const userId = userOf(request);
      return toLibraryAgent(await graphs.fork(userId, request.params.library_agent_id), userId);
    },
  );

  // -----------------------------------------------------------------------------------------------
  // Presets

  const presetTags = { tags: ["library", "presets"], security: anyCredentials };

  app.get(
    "/presets",
    {
      preHandler: read,
      schema: {
        ...presetTags,
        summary: "List presets",
        description: "The caller's presets, most recently updated first, optionally of one graph.",
        querystring: Type.Object({
          page: Type.Integer({ minimum: 1, default: 1 }),
          page_size: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
          graph_id: Type.Optional(Nullable(Type.String({ maxLength: 200, description: "Presets of this graph" }))),
        }),
        response: { 200: LibraryAgentPresetResponse, ...errors(401, 403, 422) },
      },
    },
    async (request) => {
      const q = request.query;
      const { rows, total } = await presets.list(userOf(request), {
        graphId: q.graph_id ?? undefined,
        offset: (q.page - 1) * q.page_size,
        limit: q.page_size,
      });
      return { presets: rows.map((row) => toPreset(row)), pagination: pagination(total, q.page, q.page_size) };
    },
  );

  app.get(
    "/presets/:preset_id",
    {
      preHandler: read,
      schema: {
        ...presetTags,
        summary: "Get a specific preset",
        params: PresetParams,
        response: { 200: LibraryAgentPreset, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const userId = userOf(request);
      const row = await presets.get(userId, request.params.preset_id);
      return toPreset(row, row.webhookId ? await webhooks.get(userId, row.webhookId) : undefined);
    },
  );

  app.post(
    "/presets",
    {
      preHandler: write,
      schema: {
        ...presetTags,
        summary: "Create a new preset",
        description:
          "Saves inputs and credentials for a version of one of the caller's graphs, or those of one of their " +
          "runs (`graph_execution_id`).",
        body: Type.Union([LibraryAgentPresetCreatableFromGraphExecution, LibraryAgentPresetCreatable]),
        response: { 200: LibraryAgentPreset, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const userId = userOf(request);
      const body = request.body;
      const details = { name: body.name, description: body.description, isActive: body.is_active ?? true };
      if ("graph_execution_id" in body) {
        return toPreset(await presets.createFromRun(userId, body.graph_execution_id, details));
      }
      return toPreset(
        await presets.create(userId, {
          ...details,
          graphId: body.graph_id,
          graphVersion: body.graph_version,
          inputs: body.inputs,
          credentials_inputs: body.credentials,
        }),
      );
    },
  );

  app.post(
    "/presets/setup-trigger",
    {
      preHandler: write,
      schema: {
        ...presetTags,
        summary: "Setup Trigger",
        description:
          "Gives the trigger node of one of the caller's graph versions a webhook of its own and saves a preset " +
          "with `trigger_config` as the trigger's inputs: each post to the webhook's `url` runs the graph with the " +
          "preset, the post as the trigger's `payload`. 400 for a graph without a webhook trigger.",
        body: TriggeredPresetSetupRequest,
        response: { 200: LibraryAgentPreset, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const userId = userOf(request);
      const body = request.body;
      const row = await presets.setupTrigger(
        userId,
        {
          name: body.name,
          description: body.description,
          graphId: body.graph_id,
          graphVersion: body.graph_version,
          triggerConfig: body.trigger_config,
          agentCredentials: body.agent_credentials,
        },
        webhooks,
      );
      return toPreset(row, await webhooks.get(userId, row.webhookId as string));
    },
  );

  app.patch(
    "/presets/:preset_id",
    {
      preHandler: write,
      schema: {
        ...presetTags,
        summary: "Update an existing preset",
        description: "Changes only the fields sent.",
        params: PresetParams,
        body: LibraryAgentPresetUpdatable,
        response: { 200: LibraryAgentPreset, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const body = request.body;
      const row = await presets.update(userOf(request), request.params.preset_id, {
        name: body.name,
        description: body.description,
        inputs: body.inputs,
        credentials_inputs: body.credentials,
        isActive: body.is_active,
      });
      return toPreset(row);
    },
  );

  app.delete(
    "/presets/:preset_id",
    {
      preHandler: write,
      schema: {
        ...presetTags,
        summary: "Delete a preset",
        params: PresetParams,
        response: { 204: Type.Null({ description: "Deleted" }), ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await presets.delete(userOf(request), request.params.preset_id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/presets/:preset_id/execute",
    {
      preHandler: run,
      preValidation: noBodyIsEmpty,
      schema: {
        ...presetTags,
        summary: "Execute a preset",
        description:
          "Starts a run of the preset's graph version with its inputs and credentials, overridden by those sent; " +
          "the run carries the preset's id.",
        params: PresetParams,
        body: PresetExecuteBody,
        response: { 200: Type.Ref("GraphExecutionMeta"), ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      const row = await presets.run(userOf(request), request.params.preset_id, {
        inputs: body.inputs,
        credentials_inputs: body.credential_inputs,
      });
      return toGraphExecution(row);
    },
  );
};
