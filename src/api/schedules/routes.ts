// AutoGPT's /api schedules: list the caller's (all, or one graph's), create one on a graph with cron and timezone,
// delete one. The same ScheduleService serves External v2's /schedules; the engine's Scheduler fires them.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import { credentialsMeta } from "../../engine/credentials.js";
import type { ScheduleRow } from "../../services/schedules.js";
import { principalOf, requireScope } from "../auth-hooks.js";
import { CredentialsMetaInput } from "../executions/schemas.js";
import { anyCredentials, errors, Nullable } from "../schemas.js";

/** PostgreSQL text cannot hold NUL: strings that are stored or looked up refuse it up front (422, not 500). */
const NO_NUL = "^[^\\u0000]*$";
const Id = Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL });

export const GraphExecutionJobInfo = Type.Object(
  {
    id: Type.String(),
    schedule_id: Nullable(Type.String()),
    user_id: Type.String(),
    graph_id: Type.String(),
    graph_version: Type.Integer(),
    agent_name: Nullable(Type.String()),
    name: Type.String(),
    cron: Type.String(),
    timezone: Type.String({ description: "Timezone the cron expression is read in" }),
    input_data: Type.Record(Type.String(), Type.Unknown()),
    input_credentials: Type.Record(Type.String(), CredentialsMetaInput, {
      description: "The credentials each run uses, as metadata only (no secrets)",
    }),
    next_run_time: Type.String({
      description: "The next tick (ISO 8601, UTC); an empty string when the expression has no further tick",
    }),
  },
  { title: "GraphExecutionJobInfo" },
);

const ScheduleCreationRequest = Type.Object(
  {
    name: Type.String({ maxLength: 500, pattern: NO_NUL }),
    cron: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: NO_NUL,
      description: "Five-field cron expression (e.g. '0 9 * * *' for 9am daily)",
    }),
    inputs: Type.Record(Type.String(), Type.Unknown()),
    credentials: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: "Credentials input name to its CredentialsMetaInput",
    }),
    graph_version: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: "Default: the active version" }))),
    timezone: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 100,
          pattern: NO_NUL,
          description: "Timezone for the schedule (e.g. 'America/New_York'); default: the user's timezone, else UTC",
        }),
      ),
    ),
  },
  { title: "ScheduleCreationRequest" },
);

function toJobInfo(row: ScheduleRow & { agentName?: string | null }): typeof GraphExecutionJobInfo.static {
  return {
    id: row.id,
    schedule_id: row.id,
    user_id: row.userId,
    graph_id: row.graphId,
    graph_version: row.graphVersion,
    agent_name: row.agentName ?? null,
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    input_data: row.inputs as Record<string, unknown>,
    input_credentials: credentialsMeta(row.credentials) ?? {},
    next_run_time: row.nextRunAt ? row.nextRunAt.toISOString() : "",
  };
}

export const scheduleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { schedules } = app.platform;
  const common = { tags: ["schedules"], security: anyCredentials };
  const read = requireScope("READ_SCHEDULE");
  const write = requireScope("WRITE_SCHEDULE");
  const userOf = (request: FastifyRequest) => principalOf(request).user.id;

  app.get(
    "/schedules",
    {
      preHandler: read,
      schema: {
        ...common,
        summary: "List execution schedules for a user",
        description: "Every schedule of the caller, soonest next run first (a plain list, as AutoGPT).",
        response: { 200: Type.Array(GraphExecutionJobInfo), ...errors(401, 403) },
      },
    },
    async (request) => (await schedules.listAll(userOf(request))).map(toJobInfo),
  );

  app.delete(
    "/schedules/:schedule_id",
    {
      preHandler: write,
      schema: {
        ...common,
        summary: "Delete execution schedule",
        params: Type.Object({ schedule_id: Id }),
        response: { 200: Type.Object({ id: Type.String() }), ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => {
      await schedules.delete(userOf(request), request.params.schedule_id);
      return { id: request.params.schedule_id };
    },
  );

  app.get(
    "/graphs/:graph_id/schedules",
    {
      preHandler: read,
      schema: {
        ...common,
        summary: "List execution schedules for a graph",
        description: "The caller's schedules of the graph, soonest next run first (empty for a graph not theirs).",
        params: Type.Object({ graph_id: Id }),
        response: { 200: Type.Array(GraphExecutionJobInfo), ...errors(401, 403, 422) },
      },
    },
    async (request) => (await schedules.listAll(userOf(request), request.params.graph_id)).map(toJobInfo),
  );

  app.post(
    "/graphs/:graph_id/schedules",
    {
      preHandler: [write, requireScope("RUN_AGENT")],
      schema: {
        ...common,
        summary: "Create execution schedule",
        description:
          "Runs the graph version (default: the active one) with `inputs` at each tick of the five-field `cron` " +
          "expression, read in `timezone` (default: the user's timezone, else UTC). The run is checked now by the " +
          "rules every run start applies: a bad cron or timezone, unknown or missing inputs and missing " +
          "credentials give 422; a graph that is not the caller's, 404.",
        params: Type.Object({ graph_id: Id }),
        body: ScheduleCreationRequest,
        response: { 200: GraphExecutionJobInfo, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { body } = request;
      const row = await schedules.create(userOf(request), request.params.graph_id, {
        name: body.name,
        cron: body.cron,
        inputs: body.inputs,
        credentials_inputs: body.credentials,
        graphVersion: body.graph_version,
        timezone: body.timezone,
      });
      const [named] = await schedules.withNames(userOf(request), [row]);
      return toJobInfo(named ?? row);
    },
  );
};
