// External API v2: /runs — list the caller's runs (filtered by graph, status, creation time), read one with its
// outputs and node executions, stop it, delete it; and /runs/reviews (human-in-the-loop).
//
// Runs are started where AutoGPT's v2 starts them: POST /library/agents/{agent_id}/runs and
// /library/presets/{preset_id}/runs (library.ts), and by schedules. Agentry has no human-in-the-loop block yet, so
// there are never reviews: the list is the real, empty one. Run sharing needs AutoGPT's SHARE_RUN scope, which is
// not a core scope, and is not served.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ApiError } from "../../../core/errors.js";
import { executionStatusTitled, TERMINAL_STATUSES } from "../../../core/execution-status.js";
import { NODE_EXECUTIONS_PAGE_SIZE } from "../../../engine/service.js";
import type { RunService } from "../../../services/runs.js";
import { principalOf } from "../../auth-hooks.js";
import { DateTime, Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";
import { AgentGraphRun, toAgentGraphRun } from "./library-models.js";

/** PostgreSQL text cannot hold NUL: strings that are stored or looked up refuse it up front (422, not 500). */
const NO_NUL = "^[^\\u0000]*$";

const RunStatus = executionStatusTitled("RunStatus");

const AgentNodeExecution = Type.Object(
  {
    node_id: Type.String(),
    status: RunStatus,
    inputs: Type.Record(Type.String(), Type.Unknown(), { description: "Input values keyed by pin name" }),
    outputs: Type.Record(Type.String(), Type.Array(Type.Unknown()), {
      description: "Output values keyed by pin name, each with a list of results",
    }),
    started_at: Nullable(DateTime),
    ended_at: Nullable(DateTime),
  },
  { title: "AgentNodeExecution" },
);

const AgentGraphRunDetails = Type.Object(
  {
    ...AgentGraphRun.properties,
    outputs: Nullable(Type.Record(Type.String(), Type.Array(Type.Unknown()))),
    node_executions: Nullable(
      Type.Array(AgentNodeExecution, {
        description:
          "Individual node execution results; may be omitted in case of permission restrictions. One page, in " +
          `the order they ran: the first ${NODE_EXECUTIONS_PAGE_SIZE} unless \`node_executions_limit\`/` +
          "`node_executions_cursor` ask for others",
      }),
    ),
    node_executions_next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: "Pass as `node_executions_cursor` for the next page of node executions; `null` on the last page",
    }),
    node_executions_total_count: Type.Integer({ description: "How many node executions the run has" }),
  },
  { title: "AgentGraphRunDetails" },
);

/** AutoGPT returns every node execution of a run; here they come a page at a time (v2's limit/cursor, prefixed). */
const NodeExecutionsQuery = Type.Object({
  node_executions_limit: Type.Integer({
    minimum: 1,
    maximum: NODE_EXECUTIONS_PAGE_SIZE,
    default: NODE_EXECUTIONS_PAGE_SIZE,
    description: `Node executions per page (max ${NODE_EXECUTIONS_PAGE_SIZE})`,
  }),
  node_executions_cursor: Type.Optional(
    Type.String({ maxLength: 500, description: "`node_executions_next_cursor` from the previous response" }),
  ),
});

const ReviewStatus = Type.Union([Type.Literal("WAITING"), Type.Literal("APPROVED"), Type.Literal("REJECTED")], {
  title: "AgentRunReviewStatus",
});

const AgentRunReview = Type.Object(
  {
    node_exec_id: Type.String(),
    run_id: Type.String({ description: "Graph Execution ID" }),
    graph_id: Type.String(),
    graph_version: Type.Integer(),
    payload: Type.Unknown({ description: "Data to be reviewed" }),
    instructions: Nullable(Type.String({ description: "Instructions for the reviewer" })),
    editable: Type.Boolean({ description: "Whether the reviewer can edit the data" }),
    status: ReviewStatus,
    requested_at: DateTime,
    reviewed_at: Nullable(DateTime),
    processed: Type.Boolean({ description: "Whether the review has been consumed by the execution engine" }),
    reviewer_comment: Nullable(Type.String()),
  },
  { title: "AgentRunReview" },
);

const ReviewsSubmitRequest = Type.Object(
  {
    reviews: Type.Array(
      Type.Object(
        {
          node_exec_id: Type.String({ maxLength: 200, pattern: NO_NUL, description: "Node execution ID (review ID)" }),
          approved: Type.Boolean({ description: "Whether to approve the data" }),
          edited_payload: Type.Optional(Type.Unknown({ description: "Modified payload data (if editing)" })),
          message: Type.Optional(
            Nullable(Type.String({ maxLength: 2000, description: "Optional message from reviewer" })),
          ),
          auto_approve_future: Type.Boolean({
            default: false,
            description: "Approve future reviews from this block automatically",
          }),
        },
        { title: "AgentRunReviewDecision" },
      ),
      { maxItems: 1000, description: "All review decisions for the execution" },
    ),
  },
  { title: "AgentRunReviewsSubmitRequest" },
);

const ReviewsSubmitResponse = Type.Object(
  {
    run_id: Type.String(),
    approved_count: Type.Integer({ description: "Number of reviews approved" }),
    rejected_count: Type.Integer({ description: "Number of reviews rejected" }),
  },
  { title: "AgentRunReviewsSubmitResponse" },
);

const RunId = Type.Object({
  run_id: Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL, description: "Graph Execution ID" }),
});

const ListQuery = Type.Composite([
  Type.Object({
    graph_id: Type.Optional(Type.String({ maxLength: 200, pattern: NO_NUL, description: "Filter by graph ID" })),
    statuses: Type.Optional(
      Type.Array(RunStatus, { maxItems: 7, description: "Filter by run status; repeat to match several" }),
    ),
    started_after: Type.Optional(
      Type.String({ format: "date-time", description: "Only runs created at or after this time" }),
    ),
    started_before: Type.Optional(
      Type.String({ format: "date-time", description: "Only runs created at or before this time" }),
    ),
  }),
  PageQuery,
]);

/** The caller's run, or 404 (also for anyone else's). */
async function ownRun(runs: RunService, userId: string, runId: string) {
  return runs.find(userId, runId).catch((err) => {
    throw err instanceof ApiError && err.status === 404 ? ApiError.notFound(`Run #${runId}`) : err;
  });
}

export const runsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { runs } = app.platform;
  const tags = ["runs"];

  app.get(
    "/runs/reviews",
    scoped(["READ_RUN_REVIEW"], {
      tags,
      summary: "List agent run human-in-the-loop reviews",
      operationId: "listAgentRunReviews",
      description:
        "Human-in-the-loop reviews of the caller's runs, of every status unless filtered. Agentry has no " +
        "human-in-the-loop block yet, so there are none.",
      querystring: Type.Composite([
        Type.Object({
          run_id: Type.Optional(
            Type.String({ maxLength: 200, pattern: NO_NUL, description: "Filter by graph execution ID" }),
          ),
          status: Type.Optional(ReviewStatus),
        }),
        PageQuery,
      ]),
      response: { 200: Page(AgentRunReview), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => new PageRequest(request.query.limit, request.query.cursor).paged([], 0),
  );

  app.post(
    "/runs/:run_id/reviews",
    scoped(["WRITE_RUN_REVIEW"], {
      tags,
      summary: "Submit agent run human-in-the-loop reviews",
      operationId: "submitAgentRunReviews",
      description:
        "Answers every pending review of the run. Agentry's runs have no reviews yet: a decision for any " +
        "`node_exec_id` is 404.",
      params: RunId,
      body: ReviewsSubmitRequest,
      response: { 202: ReviewsSubmitResponse, ...v2Errors(401, 403, 404, 422) },
    }),
    async (request, reply) => {
      const { run_id } = request.params;
      await ownRun(runs, principalOf(request).user.id, run_id);
      const [first] = request.body.reviews;
      if (first) throw ApiError.notFound(`Review #${first.node_exec_id}`);
      return reply.code(202).send({ run_id, approved_count: 0, rejected_count: 0 });
    },
  );

  app.get(
    "/runs",
    scoped(["READ_RUN"], {
      tags,
      summary: "List agent runs",
      operationId: "listAgentRuns",
      description: "The caller's runs, newest first, optionally filtered by graph, status and creation time.",
      querystring: ListQuery,
      response: { 200: Page(AgentGraphRun), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => {
      const { graph_id, statuses, started_after, started_before, limit, cursor } = request.query;
      const page = new PageRequest(limit, cursor);
      const { rows, total } = await runs.list(principalOf(request).user.id, {
        graphId: graph_id,
        statuses,
        createdFrom: started_after ? new Date(started_after) : undefined,
        createdUntil: started_before ? new Date(started_before) : undefined,
        offset: page.offset,
        limit: page.limit,
      });
      return page.paged(rows.map(toAgentGraphRun), total);
    },
  );

  app.get(
    "/runs/:run_id",
    scoped(["READ_RUN"], {
      tags,
      summary: "Get agent run details",
      operationId: "getAgentRunDetails",
      description: "The run with its outputs (by output name) and the result of each node execution, in order.",
      params: RunId,
      querystring: NodeExecutionsQuery,
      response: { 200: AgentGraphRunDetails, ...v2Errors(400, 401, 403, 404, 422) },
    }),
    async (request) => {
      const row = await ownRun(runs, principalOf(request).user.id, request.params.run_id);
      const page = new PageRequest(request.query.node_executions_limit, request.query.node_executions_cursor);
      if (page.page > 1_000_000)
        throw ApiError.badRequest("Malformed cursor. Pass back a `node_executions_next_cursor`.");
      const { rows: nodes, total } = await runs.nodeExecutions(row, { offset: page.offset, limit: page.limit });
      const { next_cursor } = page.paged([], total);
      return {
        ...toAgentGraphRun(row),
        outputs: row.outputs as Record<string, unknown[]>,
        node_executions_next_cursor: next_cursor,
        node_executions_total_count: total,
        node_executions: nodes.map((n) => ({
          node_id: n.nodeId,
          status: n.status,
          inputs: n.inputData as Record<string, unknown>,
          outputs: n.outputData as Record<string, unknown[]>,
          started_at: n.startedAt ? n.startedAt.toISOString() : null,
          ended_at: n.endedAt ? n.endedAt.toISOString() : null,
        })),
      };
    },
  );

  app.post(
    "/runs/:run_id/stop",
    scoped(["WRITE_RUN"], {
      tags,
      summary: "Stop agent run",
      operationId: "stopAgentRun",
      description:
        "Stops a run that has not finished (incomplete, queued, running or in review) and returns it with its " +
        "status once stopped. A finished run answers 409.",
      params: RunId,
      response: { 202: AgentGraphRun, ...v2Errors(401, 403, 404, 409) },
    }),
    async (request, reply) => {
      const userId = principalOf(request).user.id;
      const { run_id } = request.params;
      const run = await ownRun(runs, userId, run_id);
      if (TERMINAL_STATUSES.has(run.status)) {
        throw ApiError.conflict(`Run #${run_id} has already finished (${run.status})`, { status: run.status });
      }
      return reply.code(202).send(toAgentGraphRun(await runs.stop(userId, run_id)));
    },
  );

  app.delete(
    "/runs/:run_id",
    scoped(["WRITE_RUN"], {
      tags,
      summary: "Delete agent run",
      operationId: "deleteAgentRun",
      description: "Deletes a finished run; one that has not finished answers 409 (stop it first).",
      params: RunId,
      response: { 204: Type.Null({ description: "Deleted" }), ...v2Errors(401, 403, 404, 409) },
    }),
    async (request, reply) => {
      const userId = principalOf(request).user.id;
      const { run_id } = request.params;
      await ownRun(runs, userId, run_id);
      await runs.remove(userId, run_id);
      return reply.code(204).send(null);
    },
  );
};
