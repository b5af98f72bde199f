// The engine's ScheduleStore on the database, over the schedules repository.
import type { ScheduleRecord, ScheduleStore } from "../../../engine/ports.js";
import type { Db } from "../index.js";
import * as schedules from "../repos/schedules.js";

/** The engine's record is the row exactly. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const rowMatches: Same<ScheduleRecord, schedules.ScheduleRow> = true;
void rowMatches;

export class SqlScheduleStore implements ScheduleStore {
  constructor(private readonly db: Db) {}

  findDue(now: Date, limit: number): Promise<ScheduleRecord[]> {
    return schedules.findDueSchedules(this.db, now, limit);
  }

  claimTick(id: string, due: Date, next: Date | null): Promise<ScheduleRecord | undefined> {
    return schedules.claimTick(this.db, id, due, next);
  }
}
