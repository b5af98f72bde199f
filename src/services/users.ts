// Users: the current user read afresh, get-or-create, email, timezone and notification preferences, and the
// admin's view (list, role changes). Every API that shows "who am I" reads the user through here.
import type { AuthService, UserRow } from "../auth/service.js";
import { ApiError } from "../core/errors.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/users.js";

export type User = UserRow;
export type Role = User["role"];

/** AutoGPT's NotificationType, in its order. */
export const NOTIFICATION_TYPES = [
  "AGENT_RUN",
  "ZERO_BALANCE",
  "LOW_BALANCE",
  "BLOCK_EXECUTION_FAILED",
  "CONTINUOUS_AGENT_ERROR",
  "DAILY_SUMMARY",
  "WEEKLY_SUMMARY",
  "MONTHLY_SUMMARY",
  "REFUND_REQUEST",
  "REFUND_PROCESSED",
  "AGENT_APPROVED",
  "AGENT_REJECTED",
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** The timezone of a user who never chose one (AutoGPT's value). */
export const TIMEZONE_NOT_SET = "not-set";

export interface NotificationPreferences {
  userId: string;
  email: string;
  /** Every notification type, wanted or not (a type never set is wanted, as AutoGPT's defaults). */
  preferences: Record<NotificationType, boolean>;
  dailyLimit: number;
  /** Agentry sends no notification emails yet. */
  emailsSentToday: number;
  lastResetDate: Date;
}

/** True for an IANA timezone name (or alias) the runtime knows. */
export function isTimezone(name: string): boolean {
  if (!name || name === TIMEZONE_NOT_SET) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function startOfDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export class UsersService {
  constructor(private readonly deps: { db: Db; auth: AuthService }) {}

  private get db() {
    return this.deps.db;
  }

  /**
   * The caller as stored now. Authentication caches a principal for a few seconds, and name, email or timezone can
   * change meanwhile; the cached row answers only if the user is gone.
   */
  async current(user: User): Promise<User> {
    return (await repo.findUserById(this.db, user.id)) ?? user;
  }

  /**
   * AutoGPT's get-or-create of the signed-in user. Authentication already created the user on first sight of an
   * external identity provider's token, so here the user exists: it is answered as stored.
   */
  async getOrCreate(user: User): Promise<User> {
    return this.current(user);
  }

  async exists(id: string): Promise<boolean> {
    return (await repo.findUserById(this.db, id)) !== undefined;
  }

  private async mustFind(id: string): Promise<User> {
    const user = await repo.findUserById(this.db, id);
    if (!user) throw ApiError.notFound("User");
    return user;
  }

  private async save(id: string, values: repo.UserUpdate): Promise<User> {
    const row = await repo.updateUser(this.db, id, values);
    if (!row) throw ApiError.notFound("User");
    this.deps.auth.refreshUser(id);
    return row;
  }

  /**
   * Changes the user's email; one that another user holds is a conflict. The new address counts as unverified
   * (Agentry sends no verification mail), so an identity provider's sign-in with it is not linked to this account.
   */
  async updateEmail(id: string, email: string): Promise<User> {
    const holder = await repo.findUserByEmail(this.db, email);
    if (holder && holder.id !== id)
      throw ApiError.conflict("A user with this email already exists", { field: "email" });
    try {
      // Nobody has verified the new address: an identity provider's sign-in must not be linked to it by email.
      const lower = email.toLowerCase();
      const current = await this.mustFind(id);
      if (current.email === lower) return current;
      return await this.save(id, { email: lower, emailVerified: false });
    } catch (err) {
      // Another user took it between the check and the write.
      if (repo.isUniqueViolation(err))
        throw ApiError.conflict("A user with this email already exists", { field: "email" });
      throw err;
    }
  }

  async timezone(id: string): Promise<string> {
    return (await this.mustFind(id)).timezone;
  }

  /** Sets an IANA timezone; anything else is refused field by field (422). */
  async setTimezone(id: string, timezone: string): Promise<string> {
    if (!isTimezone(timezone)) {
      throw ApiError.validation("Unknown timezone", [
        { field: "body.timezone", message: "must be an IANA timezone identifier", location: "body" },
      ]);
    }
    return (await this.save(id, { timezone })).timezone;
  }

  /** The notification preferences: AutoGPT's User `notify_on_*` flags and daily email limit. */
  preferencesOf(user: User, now = new Date()): NotificationPreferences {
    const stored = user.notificationPreferences ?? {};
    const preferences = Object.fromEntries(NOTIFICATION_TYPES.map((t) => [t, stored[t] !== false])) as Record<
      NotificationType,
      boolean
    >;
    return {
      userId: user.id,
      email: user.email,
      preferences,
      dailyLimit: user.maxEmailsPerDay,
      emailsSentToday: 0,
      lastResetDate: startOfDay(now),
    };
  }

  async preferences(id: string): Promise<NotificationPreferences> {
    return this.preferencesOf(await this.mustFind(id));
  }

  /** Replaces the given preferences (others keep theirs), the daily limit and, as AutoGPT does, the email. */
  async updatePreferences(
    id: string,
    input: { email?: string; preferences: Partial<Record<NotificationType, boolean>>; dailyLimit: number },
  ): Promise<NotificationPreferences> {
    const user = input.email ? await this.updateEmail(id, input.email) : await this.mustFind(id);
    const merged = { ...(user.notificationPreferences ?? {}), ...input.preferences };
    return this.preferencesOf(
      await this.save(id, { notificationPreferences: merged, maxEmailsPerDay: input.dailyLimit }),
    );
  }

  // ---- admin ----

  list(page: number, pageSize: number): Promise<{ rows: User[]; total: number }> {
    return repo.listUsers(this.db, page, pageSize);
  }

  /** Changes a user's role; the credentials this process trusts for them are re-read. */
  async setRole(id: string, role: Role): Promise<User> {
    const row = await repo.setUserRole(this.db, id, role);
    if (!row) throw ApiError.notFound("User");
    this.deps.auth.forgetUser(row.id);
    return row;
  }
}
