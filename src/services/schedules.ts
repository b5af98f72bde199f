// Cron schedules of graph runs: list, create (the run it will start is checked now, by the start-run rules, so a
// schedule does not fail on every tick) and delete. The engine's Scheduler fires them through RunService.start.
import { ApiError } from "../core/errors.js";
import { sealCredentials } from "../engine/credentials.js";
import { nextRunTime, ScheduleSpecError } from "../engine/scheduler.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/schedules.js";
import { findUserById } from "../infra/db/repos/users.js";
import type { RunService } from "./runs.js";

export type ScheduleRow = repo.ScheduleRow;

export interface NewScheduleRequest {
  name: string;
  cron: string;
  inputs?: Record<string, unknown>;
  credentials_inputs?: Record<string, unknown>;
  /** Default: the graph's active version. */
  graphVersion?: number | null;
  /** Default: the user's timezone, else UTC. */
  timezone?: string | null;
}

export interface ScheduleServiceOptions {
  db: Db;
  runs: RunService;
  /** ENCRYPTION_KEY: schedules' credential inputs are stored sealed with it. */
  encryptionKey: Buffer;
  /** The clock the first tick is computed from (tests inject one). */
  now?: () => Date;
}

export class ScheduleService {
  constructor(private readonly options: ScheduleServiceOptions) {}

  private get db() {
    return this.options.db;
  }

  async list(userId: string, filter: { graphId?: string; offset: number; limit: number }) {
    return repo.listSchedules(this.db, userId, filter);
  }

  /**
   * Every schedule of the user (of one graph, with `graphId`), soonest first, each with the name of the graph
   * version it runs: AutoGPT's plain lists of GraphExecutionJobInfo.
   */
  async listAll(userId: string, graphId?: string): Promise<Array<ScheduleRow & { agentName: string | null }>> {
    const rows: ScheduleRow[] = [];
    for (;;) {
      const page = await repo.listSchedules(this.db, userId, { graphId, offset: rows.length, limit: 500 });
      rows.push(...page.rows);
      if (page.rows.length < 500) break;
    }
    return this.withNames(userId, rows);
  }

  /** The schedules with the name of the graph version each runs (AutoGPT's agent_name). */
  async withNames(userId: string, rows: ScheduleRow[]): Promise<Array<ScheduleRow & { agentName: string | null }>> {
    const names = await repo.graphNamesOf(this.db, userId, rows);
    return rows.map((row) => ({ ...row, agentName: names.get(`${row.graphId}/${row.graphVersion}`) ?? null }));
  }

  /**
   * Schedules runs of the user's graph: 404 for a graph the user cannot run, 422 for a cron expression or timezone
   * that cannot be scheduled and for a run request the start-run rules refuse.
   */
  async create(userId: string, graphId: string, request: NewScheduleRequest): Promise<ScheduleRow> {
    const { runs } = this.options;
    const graph = await runs.graphToRun(userId, graphId, request.graphVersion ?? undefined);
    let timezone = request.timezone;
    if (!timezone) {
      const user = await findUserById(this.db, userId);
      timezone = user && user.timezone !== "not-set" ? user.timezone : "UTC";
    }
    let next: Date | null;
    try {
      next = nextRunTime(request.cron, timezone, this.options.now?.() ?? new Date());
    } catch (err) {
      if (!(err instanceof ScheduleSpecError)) throw err;
      const field = request.timezone && err.message.startsWith("Unknown timezone") ? "body.timezone" : "body.cron";
      throw ApiError.validation(err.message, [{ field, message: err.message }]);
    }
    const inputs = request.inputs ?? {};
    runs.checkRequest(graph, { inputs, credentials_inputs: request.credentials_inputs });
    return repo.createSchedule(this.db, userId, {
      graphId: graph.id,
      graphVersion: graph.version,
      name: request.name,
      cron: request.cron.trim(),
      timezone,
      inputs,
      credentials: sealCredentials(this.options.encryptionKey, request.credentials_inputs),
      nextRunAt: next,
    });
  }

  async delete(userId: string, scheduleId: string): Promise<void> {
    if (!(await repo.deleteSchedule(this.db, userId, scheduleId))) {
      throw ApiError.notFound(`Schedule #${scheduleId}`);
    }
  }
}
