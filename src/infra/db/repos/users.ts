// Users: created by signup, by the CLI, or on first sight of an external identity provider's token.
import { asc, count, eq, sql } from "drizzle-orm";
import type { Db } from "../index.js";
import { users } from "../schema.js";

export type UserRow = typeof users.$inferSelect;

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, email.toLowerCase())).limit(1);
  return row;
}

export async function insertUser(
  db: Db,
  values: { id: string; email: string; name?: string | null; passwordHash?: string | null; role?: "user" | "admin" },
): Promise<UserRow | undefined> {
  const [row] = await db
    .insert(users)
    .values({ ...values, email: values.email.toLowerCase() })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** Makes `id` an admin if the instance has none yet: the first-admin setup. */
export async function promoteIfNoAdmin(db: Db, id: string): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ role: "admin", updatedAt: new Date() })
    .where(sql`${users.id} = ${id} and not exists (select 1 from ${users} where ${users.role} = 'admin')`)
    .returning({ id: users.id });
  return rows.length === 1;
}

export async function countAdmins(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users).where(eq(users.role, "admin"));
  return Number(row?.n ?? 0);
}

export async function setUserRole(db: Db, id: string, role: "user" | "admin"): Promise<UserRow | undefined> {
  const [row] = await db.update(users).set({ role, updatedAt: new Date() }).where(eq(users.id, id)).returning();
  return row;
}

export async function setPassword(db: Db, id: string, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, id));
}

export async function listUsers(db: Db, page: number, pageSize: number) {
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(users)
      .orderBy(asc(users.createdAt), asc(users.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(users),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return Number(row?.n ?? 0);
}

export type UserUpdate = Partial<
  Pick<UserRow, "email" | "emailVerified" | "name" | "timezone" | "notificationPreferences" | "maxEmailsPerDay">
>;

export async function updateUser(db: Db, id: string, values: UserUpdate): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(users.id, id))
    .returning();
  return row;
}

/** Whether a failed write broke a unique constraint (e.g. another user took the email meanwhile). */
export function isUniqueViolation(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === "23505") return true;
  }
  return false;
}
