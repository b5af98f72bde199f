// Admin execution analytics: AutoGPT's /api/executions/admin/... and the seed's /api/admin/analytics/..., one service.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { requireAdmin, requireUser } from "../auth-hooks.js";
import { DateTime, errors, Nullable } from "../schemas.js";

const common = { tags: ["admin", "execution_analytics"], security: [{ bearer: [] }] };

const ModelInfo = Type.Object({ value: Type.String(), label: Type.String(), provider: Type.String() });
const ExecutionAnalyticsConfig = Type.Object(
  {
    available_models: Type.Array(ModelInfo),
    default_system_prompt: Type.String(),
    default_user_prompt: Type.String(),
    recommended_model: Type.String(),
  },
  { title: "ExecutionAnalyticsConfig" },
);

const ExecutionAnalyticsRequest = Type.Object(
  {
    graph_id: Type.String({ minLength: 1, maxLength: 200, description: "Graph ID to analyze" }),
    graph_version: Type.Optional(Nullable(Type.Integer({ description: "Optional graph version" }))),
    user_id: Type.Optional(Nullable(Type.String({ description: "Optional user ID filter" }))),
    created_after: Type.Optional(Nullable(Type.String({ format: "date-time" }))),
    model_name: Type.Optional(Type.String({ default: "gpt-4o-mini", description: "Model to use for generation" })),
    batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 25, default: 10 })),
    system_prompt: Type.Optional(Nullable(Type.String({ maxLength: 20_000 }))),
    user_prompt: Type.Optional(
      Nullable(Type.String({ maxLength: 20_000, description: "With {{GRAPH_NAME}} and {{EXECUTION_DATA}}" })),
    ),
    skip_existing: Type.Optional(Type.Boolean({ default: true })),
  },
  { title: "ExecutionAnalyticsRequest" },
);

const ExecutionAnalyticsResult = Type.Object({
  agent_id: Type.String(),
  version_id: Type.Integer(),
  user_id: Type.String(),
  exec_id: Type.String(),
  summary_text: Nullable(Type.String()),
  score: Nullable(Type.Number()),
  status: Type.String({ description: '"success", "failed" or "skipped"' }),
  error_message: Nullable(Type.String()),
  started_at: Nullable(DateTime),
  ended_at: Nullable(DateTime),
});

const ExecutionAnalyticsResponse = Type.Object(
  {
    total_executions: Type.Integer(),
    processed_executions: Type.Integer(),
    successful_analytics: Type.Integer(),
    failed_analytics: Type.Integer(),
    skipped_executions: Type.Integer(),
    results: Type.Array(ExecutionAnalyticsResult),
  },
  { title: "ExecutionAnalyticsResponse" },
);

const AccuracyLatestData = Type.Object(
  {
    date: DateTime,
    daily_score: Nullable(Type.Number()),
    three_day_avg: Nullable(Type.Number()),
    seven_day_avg: Nullable(Type.Number()),
    fourteen_day_avg: Nullable(Type.Number()),
  },
  { title: "AccuracyLatestData" },
);

const AccuracyTrendsResponse = Type.Object(
  {
    latest_data: AccuracyLatestData,
    alert: Nullable(
      Type.Object(
        {
          graph_id: Type.String(),
          user_id: Nullable(Type.String()),
          drop_percent: Type.Number(),
          three_day_avg: Type.Number(),
          seven_day_avg: Type.Number(),
          detected_at: DateTime,
        },
        { title: "AccuracyAlertData" },
      ),
    ),
    historical_data: Nullable(Type.Array(AccuracyLatestData)),
  },
  { title: "AccuracyTrendsResponse" },
);

/** AutoGPT's /api/executions/admin operations. */
export const executionAnalyticsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { analytics } = app.platform;
  app.addHook("preHandler", requireUser);
  app.addHook("preHandler", requireAdmin);

  app.get(
    "/execution_analytics/config",
    {
      schema: {
        ...common,
        summary: "Get Execution Analytics Configuration",
        description: "The models activity summaries may use, the default prompts and the recommended model.",
        response: { 200: ExecutionAnalyticsConfig, ...errors(401, 403) },
      },
    },
    async () => analytics.config(),
  );

  app.post(
    "/execution_analytics",
    {
      schema: {
        ...common,
        summary: "Generate Execution Analytics",
        description:
          "For the graph's finished executions that lack them, generates an activity summary and a correctness " +
          "score with the operator's OpenAI key, stores them in the execution's stats, and reports each execution.",
        body: ExecutionAnalyticsRequest,
        response: { 200: ExecutionAnalyticsResponse, ...errors(401, 403, 422, 500) },
      },
    },
    async (request) => analytics.generate(request.body),
  );

  app.get(
    "/execution_accuracy_trends",
    {
      schema: {
        ...common,
        summary: "Get Execution Accuracy Trends and Alerts",
        description:
          "Daily mean correctness score (x100) of the graph's finished executions with 3-, 7- and 14-day moving " +
          "averages, and an alert when the 3-day average fell `drop_threshold` percent below the 7-day one.",
        querystring: Type.Object({
          graph_id: Type.String({ minLength: 1, maxLength: 200 }),
          user_id: Type.Optional(Type.String({ maxLength: 200 })),
          days_back: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
          drop_threshold: Type.Number({ default: 10 }),
          include_historical: Type.Boolean({ default: false }),
        }),
        response: { 200: AccuracyTrendsResponse, ...errors(401, 403, 422) },
      },
    },
    async (request) => {
      const q = request.query;
      return analytics.accuracyTrends({
        graphId: q.graph_id,
        userId: q.user_id,
        daysBack: q.days_back,
        dropThreshold: q.drop_threshold,
        includeHistorical: q.include_historical,
      });
    },
  );
};

const Window = Type.Object({
  days: Type.Integer({ minimum: 1, maximum: 365, default: 30, description: "Runs created in the last N days" }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
});
const Rate = Nullable(Type.Number({ description: "Completed over finished (COMPLETED, FAILED, TERMINATED)" }));

/** The seed's /api/admin/analytics figures. */
export const adminAnalyticsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { analytics } = app.platform;
  const tags = { tags: ["admin"], security: [{ bearer: [] }] };
  app.addHook("preHandler", requireUser);
  app.addHook("preHandler", requireAdmin);

  app.get(
    "/executions",
    {
      schema: {
        ...tags,
        summary: "Executions per day and success rate",
        querystring: Type.Omit(Window, ["limit"]),
        response: {
          200: Type.Object({
            days: Type.Array(
              Type.Object({
                date: Type.String({ format: "date" }),
                total: Type.Integer(),
                completed: Type.Integer(),
                failed: Type.Integer(),
                terminated: Type.Integer(),
                success_rate: Rate,
              }),
            ),
            total_executions: Type.Integer(),
            success_rate: Rate,
          }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request) => analytics.executionsPerDay(request.query.days),
  );

  app.get(
    "/agents",
    {
      schema: {
        ...tags,
        summary: "Top agents by executions",
        querystring: Window,
        response: {
          200: Type.Object({
            agents: Type.Array(
              Type.Object({
                graph_id: Type.String(),
                name: Nullable(Type.String()),
                executions: Type.Integer(),
                completed: Type.Integer(),
                success_rate: Rate,
                cost: Type.Number(),
              }),
            ),
          }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request) => analytics.topAgents(request.query.days, request.query.limit),
  );

  app.get(
    "/nodes",
    {
      schema: {
        ...tags,
        summary: "Node error rates by block",
        querystring: Window,
        response: {
          200: Type.Object({
            blocks: Type.Array(
              Type.Object({
                block_id: Type.String(),
                block_name: Nullable(Type.String()),
                executions: Type.Integer(),
                errors: Type.Integer(),
                error_rate: Type.Number(),
              }),
            ),
          }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request) => analytics.nodeErrorRates(request.query.days, request.query.limit),
  );

  app.get(
    "/users",
    {
      schema: {
        ...tags,
        summary: "Usage per user",
        querystring: Window,
        response: {
          200: Type.Object({
            users: Type.Array(
              Type.Object({
                user_id: Type.String(),
                email: Type.String(),
                executions: Type.Integer(),
                completed: Type.Integer(),
                node_executions: Type.Integer(),
                cost: Type.Number(),
              }),
            ),
          }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request) => analytics.usageByUser(request.query.days, request.query.limit),
  );
};
