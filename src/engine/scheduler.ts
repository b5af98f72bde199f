// Fires cron schedules: every few seconds, claims each due tick in the database (once, across processes) and starts
// the schedule's graph run. Also the cron arithmetic the schedule routes use (croner, 5-field crontab).
import { Cron } from "croner";
import type { FastifyBaseLogger } from "fastify";
import { openCredentials } from "./credentials.js";
import type { ScheduleRecord, ScheduleStore } from "./ports.js";

/** Thrown for a cron expression or timezone that cannot be scheduled. */
export class ScheduleSpecError extends Error {}

export function isTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first tick of `cron` (read in `timezone`) strictly after `after`, or null when there is none. As AutoGPT's
 * `CronTrigger.from_crontab`: exactly five fields, and day-of-month and day-of-week must both match.
 */
export function nextRunTime(cron: string, timezone: string, after: Date): Date | null {
  if (!isTimezone(timezone)) throw new ScheduleSpecError(`Unknown timezone '${timezone}'`);
  let pattern: Cron;
  try {
    pattern = new Cron(cron.trim(), { paused: true, timezone, mode: "5-part", domAndDow: true });
  } catch (err) {
    throw new ScheduleSpecError(`Invalid cron expression '${cron}': ${(err as Error).message}`);
  }
  return pattern.nextRun(after);
}

/** How a due schedule starts its run: the application's start-run use case (src/services/runs.ts). */
export interface ScheduledRunStarter {
  start(
    userId: string,
    graphId: string,
    version: number,
    request: { inputs: Record<string, unknown>; credentials_inputs: Record<string, unknown> },
    source: "schedule",
  ): Promise<unknown>;
}

export interface SchedulerOptions {
  schedules: ScheduleStore;
  runs: ScheduledRunStarter;
  log: Pick<FastifyBaseLogger, "info" | "warn" | "error">;
  /** ENCRYPTION_KEY, to open the schedules' sealed credential inputs. */
  encryptionKey: Buffer;
  /** Retired keys that still open older credentials (ENCRYPTION_KEYS_RETIRED). */
  retiredKeys?: readonly Buffer[];
  /** The clock (tests inject one). */
  now?: () => Date;
  /** How often `start()` looks for due schedules. */
  intervalMs?: number;
  /** Due schedules read per query. */
  batchSize?: number;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<number> | undefined;
  private readonly now: () => Date;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A slow tick (many due schedules) is not overlapped by the next one.
      if (this.inFlight) return;
      this.inFlight = this.tick()
        .catch((err) => {
          this.options.log.error({ err }, "scheduler tick failed");
          return 0;
        })
        .finally(() => {
          this.inFlight = undefined;
        });
    }, this.options.intervalMs ?? 5000);
    this.timer.unref();
  }

  /** Stops looking for due schedules; resolves once a tick in progress has finished. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /**
   * Fires every schedule due at the clock's now, once each: a schedule that missed several ticks (the process was
   * down) fires once and moves on to its next tick after now. Returns how many runs were started.
   */
  async tick(): Promise<number> {
    const { schedules, log } = this.options;
    const batchSize = this.options.batchSize ?? 100;
    const now = this.now();
    let fired = 0;
    // Every claimed or lost row leaves the due set (its next_run_at moves past now), so this ends.
    for (;;) {
      const due = await schedules.findDue(now, batchSize);
      for (const schedule of due) {
        if (await this.fire(schedule, now)) fired++;
      }
      if (due.length < batchSize) break;
    }
    if (fired > 0) log.info({ fired }, "scheduled runs started");
    return fired;
  }

  private async fire(schedule: ScheduleRecord, now: Date): Promise<boolean> {
    const { schedules, runs, log } = this.options;
    const due = schedule.nextRunAt as Date;
    let next: Date | null;
    try {
      next = nextRunTime(schedule.cron, schedule.timezone, now);
    } catch (err) {
      // Stored specs were checked when the schedule was made; one that no longer parses (e.g. a timezone the
      // runtime dropped) stops instead of firing on every tick.
      log.warn({ err, scheduleId: schedule.id }, "schedule cannot be computed; it will not run again");
      next = null;
    }
    if (!(await schedules.claimTick(schedule.id, due, next))) return false;
    try {
      await runs.start(
        schedule.userId,
        schedule.graphId,
        schedule.graphVersion,
        {
          inputs: schedule.inputs as Record<string, unknown>,
          credentials_inputs: openCredentials(
            [this.options.encryptionKey, ...(this.options.retiredKeys ?? [])],
            schedule.credentials,
          ),
        },
        "schedule",
      );
      return true;
    } catch (err) {
      // The graph may have been deleted or changed since; the schedule stays and tries again at its next tick.
      log.warn({ err, scheduleId: schedule.id, graphId: schedule.graphId }, "scheduled run could not start");
      return false;
    }
  }
}
