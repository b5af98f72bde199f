// /api/review (and the seed's /api/executions/review): human-in-the-loop reviews, AutoGPT's paths and shapes.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { reviewJSON } from "../../services/review.js";
import { principalOf, requireUser } from "../auth-hooks.js";
import { DateTime, errors, Nullable } from "../schemas.js";

const ReviewStatus = Type.Union([Type.Literal("WAITING"), Type.Literal("APPROVED"), Type.Literal("REJECTED")], {
  title: "ReviewStatus",
});

const PendingHumanReviewModel = Type.Object(
  {
    node_exec_id: Type.String({ description: "Node execution ID (primary key)" }),
    node_id: Type.String({ description: "Node definition ID (for grouping)" }),
    user_id: Type.String({ description: "User ID associated with the review" }),
    graph_exec_id: Type.String({ description: "Graph execution ID" }),
    graph_id: Type.String({ description: "Graph ID" }),
    graph_version: Type.Integer({ description: "Graph version" }),
    payload: Type.Unknown({ description: "The actual data payload awaiting review" }),
    instructions: Nullable(Type.String({ description: "Instructions or message for the reviewer" })),
    editable: Type.Boolean({ description: "Whether the reviewer can edit the data" }),
    status: ReviewStatus,
    review_message: Nullable(Type.String({ description: "Optional message from the reviewer" })),
    was_edited: Nullable(Type.Boolean({ description: "Whether the data was modified during review" })),
    processed: Type.Boolean({ description: "Whether the review result has been processed by the execution engine" }),
    created_at: DateTime,
    updated_at: Nullable(DateTime),
    reviewed_at: Nullable(DateTime),
  },
  { title: "PendingHumanReviewModel" },
);

const ReviewItem = Type.Object(
  {
    node_exec_id: Type.String({ description: "Node execution ID to review", maxLength: 200 }),
    approved: Type.Boolean({ description: "Whether this review is approved (True) or rejected (False)" }),
    message: Type.Optional(Nullable(Type.String({ maxLength: 2000, description: "Optional review message" }))),
    reviewed_data: Type.Optional(Type.Unknown({ description: "Optional edited data" })),
    auto_approve_future: Type.Optional(
      Type.Boolean({
        default: false,
        description: "If approved, future executions of this same node in this run are approved automatically",
      }),
    ),
  },
  { title: "ReviewItem" },
);

const ReviewRequest = Type.Object(
  { reviews: Type.Array(ReviewItem, { maxItems: 1000, description: "All reviews with their decision" }) },
  { title: "ReviewRequest" },
);

const ReviewResponse = Type.Object(
  {
    approved_count: Type.Integer(),
    rejected_count: Type.Integer(),
    failed_count: Type.Integer(),
    error: Nullable(Type.String()),
  },
  { title: "ReviewResponse" },
);

const PendingQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1, description: "Page number (1-indexed)" }),
  page_size: Type.Integer({ minimum: 1, maximum: 100, default: 25, description: "Number of reviews per page" }),
});

export const reviewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { reviews } = app.platform;
  const common = { tags: ["review"], security: [{ bearer: [] }] };
  app.addHook("preHandler", requireUser);

  app.get(
    "/pending",
    {
      schema: {
        ...common,
        summary: "Get Pending Reviews",
        description: "The caller's reviews with status WAITING, newest first.",
        querystring: PendingQuery,
        response: { 200: Type.Array(PendingHumanReviewModel), ...errors(401, 422) },
      },
    },
    async (request) => {
      const rows = await reviews.pending(principalOf(request).user.id, request.query.page, request.query.page_size);
      return rows.map(reviewJSON);
    },
  );

  app.get(
    "/execution/:graph_exec_id",
    {
      schema: {
        ...common,
        summary: "Get Pending Reviews for Execution",
        description: "The WAITING reviews of one of the caller's executions, oldest first.",
        params: Type.Object({ graph_exec_id: Type.String({ maxLength: 200 }) }),
        response: { 200: Type.Array(PendingHumanReviewModel), ...errors(401, 404, 422) },
      },
    },
    async (request) =>
      (await reviews.ofExecution(principalOf(request).user.id, request.params.graph_exec_id)).map(reviewJSON),
  );

  app.post(
    "/action",
    {
      schema: {
        ...common,
        summary: "Process Review Action",
        description:
          "Approves (optionally with edited data) or rejects reviews of one execution; once none of its reviews " +
          "waits, the execution resumes.",
        body: ReviewRequest,
        response: { 200: ReviewResponse, ...errors(400, 401, 404, 409, 422) },
      },
    },
    async (request) => reviews.act(principalOf(request).user.id, request.body.reviews),
  );
};
