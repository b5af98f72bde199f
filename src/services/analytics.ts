// Execution analytics for admins over the stored runs: AutoGPT's accuracy trends and AI activity summaries
// (/api/executions/admin/...), and the seed's figures (/api/admin/analytics/...): runs per day, success rate, top
// agents, node error rates and per-user usage.
import { and, count, desc, eq, gte, inArray, type SQL, sql } from "drizzle-orm";
import { getBlock } from "../blocks/index.js";
import { MODELS } from "../blocks/llm/models.js";
import { ApiError } from "../core/errors.js";
import type { Db } from "../infra/db/index.js";
import { agentGraphs, graphExecutions, nodeExecutions, users } from "../infra/db/schema.js";
import type { Http } from "../infra/http/client.js";

const FINISHED = ["COMPLETED", "FAILED", "TERMINATED"] as const;
const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_SYSTEM_PROMPT =
  "You review what one run of an automation accomplished for its user. Give a short activity summary written " +
  "for the user (what they got, not how the steps ran; at most 3 sentences) and a correctness score from 0.0 " +
  "(the run did not achieve the automation's purpose) to 1.0 (it fully did). Judge by the outputs produced against " +
  "what the graph's name and description promise; a run that completed without producing them failed.";

export const DEFAULT_USER_PROMPT =
  "A user ran '{{GRAPH_NAME}}'. Here is what happened in the run:\n\n{{EXECUTION_DATA}}\n\n" +
  "Answer with the activity summary and the correctness score.";

export const RECOMMENDED_MODEL = "gpt-4o-mini";

export interface AnalyticsServiceDeps {
  db: Db;
  /** The outgoing-request client (the OpenAI call of the activity summaries). */
  http: Http;
  /** The operator's OpenAI key (OPENAI_API_KEY), and base URL; summaries need it. */
  openai?: { apiKey?: string; baseUrl?: string };
  now?: () => Date;
}

export interface ExecutionAnalyticsRequest {
  graph_id: string;
  graph_version?: number | null;
  user_id?: string | null;
  created_after?: string | null;
  model_name?: string;
  batch_size?: number;
  system_prompt?: string | null;
  user_prompt?: string | null;
  skip_existing?: boolean;
}

/** AutoGPT's ExecutionAnalyticsResult. */
export interface ExecutionAnalyticsResult {
  agent_id: string;
  version_id: number;
  user_id: string;
  exec_id: string;
  summary_text: string | null;
  score: number | null;
  status: "success" | "failed" | "skipped";
  error_message: string | null;
  started_at: string | null;
  ended_at: string | null;
}

interface Stats {
  activity_status?: string | null;
  correctness_score?: number | null;
  cost?: number;
  node_exec_count?: number;
  node_error_count?: number;
  duration?: number;
  error?: string | null;
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;
const dayOf = (d: Date) => d.toISOString().slice(0, 10);
const avg = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

export class AnalyticsService {
  private readonly now: () => Date;

  constructor(private readonly deps: AnalyticsServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private get db() {
    return this.deps.db;
  }

  /** AutoGPT's ExecutionAnalyticsConfig: the models summaries may use and the default prompts. */
  config() {
    const available_models = Object.entries(MODELS)
      .map(([value, info]) => ({
        value,
        label: `${info.providerName}: ${info.displayName}${value === RECOMMENDED_MODEL ? " (Recommended)" : ""}`,
        provider: info.provider,
      }))
      .sort((a, b) => a.provider.localeCompare(b.provider) || a.label.localeCompare(b.label));
    return {
      available_models,
      default_system_prompt: DEFAULT_SYSTEM_PROMPT,
      default_user_prompt: DEFAULT_USER_PROMPT,
      recommended_model: RECOMMENDED_MODEL,
    };
  }

  /**
   * AutoGPT's accuracy trends: per day (UTC) with finished runs of the graph, the mean correctness score (x100),
   * its 3-, 7- and 14-day moving averages over those days, and an alert when the 3-day average dropped at least
   * `dropThreshold` percent below the 7-day one.
   */
  async accuracyTrends(q: {
    graphId: string;
    userId?: string | null;
    daysBack: number;
    dropThreshold: number;
    includeHistorical: boolean;
  }) {
    const since = new Date(this.now().getTime() - q.daysBack * DAY_MS);
    const where: SQL[] = [
      eq(graphExecutions.graphId, q.graphId),
      eq(graphExecutions.isDeleted, false),
      gte(graphExecutions.createdAt, since),
      inArray(graphExecutions.status, [...FINISHED]),
    ];
    if (q.userId) where.push(eq(graphExecutions.userId, q.userId));
    const rows = await this.db
      .select({ createdAt: graphExecutions.createdAt, stats: graphExecutions.stats })
      .from(graphExecutions)
      .where(and(...where));
    const byDay = new Map<string, number[]>();
    for (const row of rows) {
      const scores = byDay.get(dayOf(row.createdAt)) ?? [];
      byDay.set(dayOf(row.createdAt), scores);
      const score = (row.stats as Stats | null)?.correctness_score;
      if (typeof score === "number") scores.push(score * 100);
    }
    const days = [...byDay.keys()].sort();
    const daily = days.map((d) => avg(byDay.get(d) ?? []));
    // SQL's AVG over a window skips nulls; a window of only nulls is null.
    const window = (i: number, size: number) =>
      avg(daily.slice(Math.max(0, i - size + 1), i + 1).filter((v): v is number => v !== null));
    const points = days.map((date, i) => ({
      date: new Date(`${date}T00:00:00.000Z`).toISOString(),
      daily_score: daily[i] ?? null,
      three_day_avg: window(i, 3),
      seven_day_avg: window(i, 7),
      fourteen_day_avg: window(i, 14),
    }));
    points.reverse(); // newest first, as AutoGPT orders them
    const latest = points[0] ?? {
      date: this.now().toISOString(),
      daily_score: null,
      three_day_avg: null,
      seven_day_avg: null,
      fourteen_day_avg: null,
    };
    let alert = null;
    const { three_day_avg: three, seven_day_avg: seven } = latest;
    if (three !== null && seven !== null && seven > 0) {
      const drop = ((seven - three) / seven) * 100;
      if (drop >= q.dropThreshold) {
        alert = {
          graph_id: q.graphId,
          user_id: q.userId ?? null,
          drop_percent: drop,
          three_day_avg: three,
          seven_day_avg: seven,
          detected_at: this.now().toISOString(),
        };
      }
    }
    return { latest_data: latest, alert, historical_data: q.includeHistorical ? points : null };
  }

  /**
   * AutoGPT's execution analytics: for the graph's finished runs, an AI activity summary and correctness score for
   * those that lack one (or all, without `skip_existing`), stored in the run's stats; the others are reported
   * skipped.
   */
  async generate(request: ExecutionAnalyticsRequest) {
    const where: SQL[] = [
      eq(graphExecutions.graphId, request.graph_id),
      eq(graphExecutions.isDeleted, false),
      inArray(graphExecutions.status, [...FINISHED]),
    ];
    if (request.graph_version != null) where.push(eq(graphExecutions.graphVersion, request.graph_version));
    if (request.user_id) where.push(eq(graphExecutions.userId, request.user_id));
    if (request.created_after) where.push(gte(graphExecutions.createdAt, new Date(request.created_after)));
    const runs = await this.db
      .select()
      .from(graphExecutions)
      .where(and(...where))
      .orderBy(desc(graphExecutions.createdAt));
    const skipExisting = request.skip_existing ?? true;
    const has = (s: Stats | null) => Boolean(s?.activity_status) && typeof s?.correctness_score === "number";
    const todo = runs.filter((r) => !(skipExisting && has(r.stats as Stats | null)));
    if (todo.length > 0 && !this.deps.openai?.apiKey) {
      throw new ApiError("INTERNAL_ERROR", 500, "OpenAI API key not configured");
    }
    const base = (r: (typeof runs)[number]) => ({
      agent_id: r.graphId,
      version_id: r.graphVersion,
      user_id: r.userId,
      exec_id: r.id,
      started_at: r.startedAt?.toISOString() ?? null,
      ended_at: r.endedAt?.toISOString() ?? null,
    });
    const results: ExecutionAnalyticsResult[] = [];
    let succeeded = 0;
    let failed = 0;
    const batch = request.batch_size ?? 10;
    for (let i = 0; i < todo.length; i += batch) {
      const done = await Promise.all(
        todo.slice(i, i + batch).map(async (run): Promise<ExecutionAnalyticsResult> => {
          try {
            const answer = await this.summarize(run, request);
            const stats = { ...((run.stats as object | null) ?? {}), ...answer };
            await this.db
              .update(graphExecutions)
              .set({ stats, updatedAt: new Date() })
              .where(eq(graphExecutions.id, run.id));
            succeeded++;
            return {
              ...base(run),
              summary_text: answer.activity_status,
              score: answer.correctness_score,
              status: "success",
              error_message: null,
            };
          } catch (err) {
            failed++;
            const message = err instanceof Error ? err.message : String(err);
            return { ...base(run), summary_text: null, score: null, status: "failed", error_message: message };
          }
        }),
      );
      results.push(...done);
    }
    for (const run of runs) {
      if (todo.includes(run)) continue;
      const stats = run.stats as Stats | null;
      results.push({
        ...base(run),
        summary_text: stats?.activity_status ?? null,
        score: stats?.correctness_score ?? null,
        status: "skipped",
        error_message: null,
      });
    }
    return {
      total_executions: runs.length,
      processed_executions: todo.length,
      successful_analytics: succeeded,
      failed_analytics: failed,
      skipped_executions: runs.length - todo.length,
      results,
    };
  }

  /** Asks the model for one run's activity summary and score (JSON mode), from what its nodes did. */
  private async summarize(run: typeof graphExecutions.$inferSelect, request: ExecutionAnalyticsRequest) {
    const [graph] = await this.db
      .select({ name: agentGraphs.name, description: agentGraphs.description })
      .from(agentGraphs)
      .where(and(eq(agentGraphs.id, run.graphId), eq(agentGraphs.version, run.graphVersion)))
      .limit(1);
    const nodes = await this.db
      .select()
      .from(nodeExecutions)
      .where(eq(nodeExecutions.graphExecutionId, run.id))
      .orderBy(nodeExecutions.seq)
      .limit(200);
    const name = graph?.name ?? `Graph ${run.graphId}`;
    const data = {
      graph_info: { name, description: graph?.description ?? "" },
      nodes: nodes.map((n) => ({
        block_name: getBlock(n.blockId)?.name ?? n.blockId,
        status: n.status,
        input: truncate(n.inputData),
        output: truncate(n.outputData),
      })),
      overall_status: {
        status: run.status,
        graph_error: (run.stats as Stats | null)?.error ?? null,
        total_executions: nodes.length,
      },
    };
    const user = (request.user_prompt || DEFAULT_USER_PROMPT)
      .replace("{{GRAPH_NAME}}", name)
      .replace("{{EXECUTION_DATA}}", JSON.stringify(data, null, 2));
    const system =
      `${request.system_prompt || DEFAULT_SYSTEM_PROMPT}\n\nReturn a JSON object with exactly these two keys:\n` +
      "  - activity_status: string (1-3 sentences)\n  - correctness_score: number between 0.0 and 1.0\n";
    const openai = this.deps.openai ?? {};
    const api = this.deps.http.forProvider("openai", openai.baseUrl ?? "https://api.openai.com/v1");
    const res = await api.request({
      url: "chat/completions",
      method: "POST",
      headers: { authorization: `Bearer ${openai.apiKey}` },
      json: {
        model: request.model_name ?? RECOMMENDED_MODEL,
        messages: [
          { role: "system", content: system },
          { role: "user", content: user },
        ],
        response_format: { type: "json_object" },
        max_tokens: 150,
      },
      timeoutMs: 60_000,
      retry: 3,
    });
    if (!res.ok) throw new Error(`OpenAI answered ${res.status}`);
    const content = res.json<{ choices?: Array<{ message?: { content?: string } }> }>().choices?.[0]?.message?.content;
    const parsed = JSON.parse(content ?? "") as { activity_status?: unknown; correctness_score?: unknown };
    if (typeof parsed.activity_status !== "string" || parsed.correctness_score === undefined) {
      throw new Error("The model's answer lacks activity_status or correctness_score");
    }
    const score = Math.max(0, Math.min(1, Number(parsed.correctness_score)));
    if (!Number.isFinite(score)) throw new Error("The model's correctness_score is not a number");
    return { activity_status: parsed.activity_status, correctness_score: score };
  }

  // ---------------------------------------------------------------------------------------------
  // The seed's /api/admin/analytics figures, over runs created in the last `days` days.

  private since(days: number) {
    return new Date(this.now().getTime() - days * DAY_MS);
  }

  /** Runs per UTC day by status, and the success rate of the finished ones. */
  async executionsPerDay(days: number) {
    const day = sql<string>`to_char(${graphExecutions.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
    const rows = await this.db
      .select({ day, status: graphExecutions.status, n: count() })
      .from(graphExecutions)
      .where(and(eq(graphExecutions.isDeleted, false), gte(graphExecutions.createdAt, this.since(days))))
      .groupBy(day, graphExecutions.status);
    const byDay = new Map<string, Record<string, number>>();
    for (const row of rows) {
      const entry = byDay.get(row.day) ?? {};
      entry[row.status] = Number(row.n);
      byDay.set(row.day, entry);
    }
    const perDay = [...byDay.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([date, by]) => {
        const total = Object.values(by).reduce((a, b) => a + b, 0);
        const completed = by.COMPLETED ?? 0;
        const failed = by.FAILED ?? 0;
        const finished = completed + failed + (by.TERMINATED ?? 0);
        return {
          date,
          total,
          completed,
          failed,
          terminated: by.TERMINATED ?? 0,
          success_rate: finished === 0 ? null : round(completed / finished),
        };
      });
    const sumOf = (k: "total" | "completed" | "failed" | "terminated") => perDay.reduce((a, d) => a + d[k], 0);
    const finished = sumOf("completed") + sumOf("failed") + sumOf("terminated");
    return {
      days: perDay,
      total_executions: sumOf("total"),
      success_rate: finished === 0 ? null : round(sumOf("completed") / finished),
    };
  }

  /** The graphs run most, with their success rate and credits spent. */
  async topAgents(days: number, limit: number) {
    const completed = sql<number>`count(*) filter (where ${graphExecutions.status} = 'COMPLETED')`;
    const finished = sql<number>`count(*) filter (where ${graphExecutions.status} in ('COMPLETED', 'FAILED', 'TERMINATED'))`;
    const cost = sql<number>`coalesce(sum((${graphExecutions.stats}->>'cost')::float), 0)`;
    const runs = count();
    const rows = await this.db
      .select({ graphId: graphExecutions.graphId, runs, completed, finished, cost })
      .from(graphExecutions)
      .where(and(eq(graphExecutions.isDeleted, false), gte(graphExecutions.createdAt, this.since(days))))
      .groupBy(graphExecutions.graphId)
      .orderBy(desc(runs), graphExecutions.graphId)
      .limit(limit);
    const names = await this.graphNames(rows.map((r) => r.graphId));
    return {
      agents: rows.map((r) => ({
        graph_id: r.graphId,
        name: names.get(r.graphId) ?? null,
        executions: Number(r.runs),
        completed: Number(r.completed),
        success_rate: Number(r.finished) === 0 ? null : round(Number(r.completed) / Number(r.finished)),
        cost: Number(r.cost),
      })),
    };
  }

  /** Per block: node executions, how many failed, and the rate. */
  async nodeErrorRates(days: number, limit: number) {
    const failed = sql<number>`count(*) filter (where ${nodeExecutions.status} = 'FAILED')`;
    const total = count();
    const rows = await this.db
      .select({ blockId: nodeExecutions.blockId, total, failed })
      .from(nodeExecutions)
      .innerJoin(graphExecutions, eq(graphExecutions.id, nodeExecutions.graphExecutionId))
      .where(and(eq(graphExecutions.isDeleted, false), gte(graphExecutions.createdAt, this.since(days))))
      .groupBy(nodeExecutions.blockId)
      .orderBy(desc(failed), desc(total), nodeExecutions.blockId)
      .limit(limit);
    return {
      blocks: rows.map((r) => ({
        block_id: r.blockId,
        block_name: getBlock(r.blockId)?.name ?? null,
        executions: Number(r.total),
        errors: Number(r.failed),
        error_rate: Number(r.total) === 0 ? 0 : round(Number(r.failed) / Number(r.total)),
      })),
    };
  }

  /** Per user: runs, node executions and credits spent, most active first. */
  async usageByUser(days: number, limit: number) {
    const nodesRun = sql<number>`coalesce(sum((${graphExecutions.stats}->>'node_exec_count')::int), 0)`;
    const cost = sql<number>`coalesce(sum((${graphExecutions.stats}->>'cost')::float), 0)`;
    const completed = sql<number>`count(*) filter (where ${graphExecutions.status} = 'COMPLETED')`;
    const runs = count();
    const rows = await this.db
      .select({ userId: graphExecutions.userId, email: users.email, runs, completed, nodesRun, cost })
      .from(graphExecutions)
      .innerJoin(users, eq(users.id, graphExecutions.userId))
      .where(and(eq(graphExecutions.isDeleted, false), gte(graphExecutions.createdAt, this.since(days))))
      .groupBy(graphExecutions.userId, users.email)
      .orderBy(desc(runs), graphExecutions.userId)
      .limit(limit);
    return {
      users: rows.map((r) => ({
        user_id: r.userId,
        email: r.email,
        executions: Number(r.runs),
        completed: Number(r.completed),
        node_executions: Number(r.nodesRun),
        cost: Number(r.cost),
      })),
    };
  }

  private async graphNames(ids: string[]): Promise<Map<string, string | null>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectDistinctOn([agentGraphs.id], { id: agentGraphs.id, name: agentGraphs.name })
      .from(agentGraphs)
      .where(inArray(agentGraphs.id, ids))
      .orderBy(agentGraphs.id, desc(agentGraphs.version));
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}

/** A value as at most `max` characters of JSON (what a prompt shows of a node's data). */
function truncate(value: unknown, max = 200): string {
  const text = JSON.stringify(value) ?? "";
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
