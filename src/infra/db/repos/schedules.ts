// Cron schedules of graph runs: the user's CRUD, and the scheduler's due-list and per-tick claim.
import { randomUUID } from "node:crypto";
import { and, asc, count, eq, inArray, isNotNull, lte, type SQL } from "drizzle-orm";
import type { Db } from "../index.js";
import { agentGraphs, schedules } from "../schema.js";

export type ScheduleRow = typeof schedules.$inferSelect;

export interface NewSchedule {
  graphId: string;
  graphVersion: number;
  name: string;
  cron: string;
  timezone: string;
  inputs: Record<string, unknown>;
  credentials: Record<string, unknown>;
  nextRunAt: Date | null;
}

export async function createSchedule(db: Db, userId: string, schedule: NewSchedule): Promise<ScheduleRow> {
  const [row] = await db
    .insert(schedules)
    .values({ id: randomUUID(), userId, ...schedule })
    .returning();
  return row as ScheduleRow;
}

/** The user's schedules, soonest next run first (those that will not run again last). */
export async function listSchedules(
  db: Db,
  userId: string,
  filter: { graphId?: string; offset: number; limit: number },
): Promise<{ rows: ScheduleRow[]; total: number }> {
  const conditions: SQL[] = [eq(schedules.userId, userId)];
  if (filter.graphId) conditions.push(eq(schedules.graphId, filter.graphId));
  const where = and(...conditions);
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(schedules)
      .where(where)
      .orderBy(asc(schedules.nextRunAt), asc(schedules.createdAt), asc(schedules.id))
      .limit(filter.limit)
      .offset(filter.offset),
    db.select({ n: count() }).from(schedules).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

/** The names of the graph versions the schedules run (AutoGPT's agent_name), by `${graphId}/${graphVersion}`. */
export async function graphNamesOf(db: Db, userId: string, rows: ScheduleRow[]): Promise<Map<string, string | null>> {
  const ids = [...new Set(rows.map((r) => r.graphId))];
  if (ids.length === 0) return new Map();
  const graphs = await db
    .select({ id: agentGraphs.id, version: agentGraphs.version, name: agentGraphs.name })
    .from(agentGraphs)
    .where(and(eq(agentGraphs.userId, userId), inArray(agentGraphs.id, ids)));
  return new Map(graphs.map((g) => [`${g.id}/${g.version}`, g.name]));
}

/** Deletes one of the user's schedules; false when the user has no such schedule. */
export async function deleteSchedule(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(schedules)
    .where(and(eq(schedules.id, id), eq(schedules.userId, userId)))
    .returning({ id: schedules.id });
  return rows.length === 1;
}

/** Schedules whose next run is at or before `now`, oldest tick first. */
export async function findDueSchedules(db: Db, now: Date, limit: number): Promise<ScheduleRow[]> {
  return db
    .select()
    .from(schedules)
    .where(and(isNotNull(schedules.nextRunAt), lte(schedules.nextRunAt, now)))
    .orderBy(asc(schedules.nextRunAt), asc(schedules.id))
    .limit(limit);
}

/**
 * Claims the tick `due` of a schedule and moves it on to `next` (null: it will not run again). Only the process
 * whose UPDATE still sees `next_run_at = due` gets the row back, so a tick fires once however many processes race.
 */
export async function claimTick(db: Db, id: string, due: Date, next: Date | null): Promise<ScheduleRow | undefined> {
  const [row] = await db
    .update(schedules)
    .set({ lastFiredFor: due, nextRunAt: next })
    .where(and(eq(schedules.id, id), eq(schedules.nextRunAt, due)))
    .returning();
  return row;
}
