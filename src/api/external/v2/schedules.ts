// External API v2: /schedules — list, create and delete cron schedules that run a graph version with saved inputs.
// The same creation is served at POST /graphs/{graph_id}/schedules (graphs.ts), where AutoGPT had it before.
// The scheduler that fires them is src/engine/scheduler.ts.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { ScheduleRow } from "../../../services/schedules.js";
import { principalOf } from "../../auth-hooks.js";
import { idempotent } from "../../idempotency.js";
import { DateTime, Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";

/** PostgreSQL text cannot hold NUL: strings that are stored or looked up refuse it up front (422, not 500). */
const NO_NUL = "^[^\\u0000]*$";

export const AgentRunSchedule = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    graph_id: Type.String(),
    graph_version: Type.Integer(),
    cron: Type.String({ description: "Cron expression for the schedule" }),
    timezone: Type.String({ description: "Timezone the cron expression is read in" }),
    inputs: Type.Record(Type.String(), Type.Unknown(), { description: "Input values for each scheduled run" }),
    next_run_time: Nullable(DateTime),
  },
  { title: "AgentRunSchedule" },
);

const createFields = {
  name: Type.String({ maxLength: 500, pattern: NO_NUL, description: "Display name for the schedule" }),
  cron: Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: NO_NUL,
    description: "Cron expression (e.g., '0 9 * * *' for 9am daily)",
  }),
  inputs: Type.Record(Type.String(), Type.Unknown(), {
    default: {},
    description: "Input values for each scheduled run",
  }),
  credentials_inputs: Type.Record(Type.String(), Type.Unknown(), {
    default: {},
    description: "Credentials for the schedule",
  }),
  graph_version: Type.Optional(
    Nullable(Type.Integer({ minimum: 1, description: "Graph version (default: active version)" })),
  ),
  timezone: Type.Optional(
    Nullable(
      Type.String({
        maxLength: 100,
        pattern: NO_NUL,
        description: "Timezone for schedule (e.g., 'America/New_York'). Defaults to user's timezone.",
      }),
    ),
  ),
};

export const ScheduleCreateRequest = Type.Object(
  {
    graph_id: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: NO_NUL,
      description: "Graph to run on this schedule",
    }),
    ...createFields,
  },
  { title: "AgentRunScheduleCreateRequest" },
);

/** The body of POST /graphs/{graph_id}/schedules: the graph comes from the path. */
export const GraphScheduleCreateRequest = Type.Object(createFields, { title: "GraphRunScheduleCreateRequest" });

type CreateBody = typeof GraphScheduleCreateRequest.static;

export function toAgentRunSchedule(row: ScheduleRow): typeof AgentRunSchedule.static {
  return {
    id: row.id,
    name: row.name,
    graph_id: row.graphId,
    graph_version: row.graphVersion,
    cron: row.cron,
    timezone: row.timezone,
    inputs: row.inputs as Record<string, unknown>,
    next_run_time: row.nextRunAt ? row.nextRunAt.toISOString() : null,
  };
}

/** Creates a schedule of the caller's graph (also served at POST /graphs/{graph_id}/schedules, graphs.ts). */
export async function createSchedule(app: FastifyInstance, userId: string, graphId: string, body: CreateBody) {
  return app.platform.schedules.create(userId, graphId, {
    name: body.name,
    cron: body.cron,
    inputs: body.inputs,
    credentials_inputs: body.credentials_inputs,
    graphVersion: body.graph_version,
    timezone: body.timezone,
  });
}

export const CREATE_SCHEDULE_DESCRIPTION =
  "Creates a schedule that runs the graph version (default: the active one) with `inputs` at each tick of the " +
  "five-field `cron` expression, read in `timezone` (default: the user's timezone, else UTC). The run is " +
  "checked now by the rules every run start applies: unknown or missing inputs and missing credentials give 422. Send an `Idempotency-Key` header to make a retry safe.";

export const schedulesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { schedules } = app.platform;
  const tags = ["schedules"];

  app.get(
    "/schedules",
    scoped(["READ_SCHEDULE"], {
      tags,
      summary: "List run schedules",
      operationId: "listGraphRunSchedules",
      description: "The caller's schedules, soonest next run first.",
      querystring: Type.Composite([
        Type.Object({
          graph_id: Type.Optional(Type.String({ maxLength: 200, pattern: NO_NUL, description: "Filter by graph ID" })),
        }),
        PageQuery,
      ]),
      response: { 200: Page(AgentRunSchedule), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => {
      const page = new PageRequest(request.query.limit, request.query.cursor);
      const { rows, total } = await schedules.list(principalOf(request).user.id, {
        graphId: request.query.graph_id,
        offset: page.offset,
        limit: page.limit,
      });
      return page.paged(rows.map(toAgentRunSchedule), total);
    },
  );

  app.post(
    "/schedules",
    {
      ...scoped(["WRITE_SCHEDULE", "RUN_AGENT"], {
        tags,
        summary: "Create run schedule",
        operationId: "createGraphRunSchedule",
        description: CREATE_SCHEDULE_DESCRIPTION,
        body: ScheduleCreateRequest,
        response: { 201: AgentRunSchedule, ...v2Errors(400, 401, 403, 404, 409, 422) },
      }),
      ...idempotent(app),
    },
    async (request, reply) => {
      const { graph_id, ...body } = request.body;
      const row = await createSchedule(app, principalOf(request).user.id, graph_id, body);
      return reply.code(201).send(toAgentRunSchedule(row));
    },
  );

  app.delete(
    "/schedules/:schedule_id",
    scoped(["WRITE_SCHEDULE"], {
      tags,
      summary: "Delete run schedule",
      operationId: "deleteGraphRunSchedule",
      params: Type.Object({ schedule_id: Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL }) }),
      response: { 204: Type.Null({ description: "Deleted" }), ...v2Errors(401, 403, 404) },
    }),
    async (request, reply) => {
      const { schedule_id } = request.params;
      await schedules.delete(principalOf(request).user.id, schedule_id);
      return reply.code(204).send(null);
    },
  );
};
