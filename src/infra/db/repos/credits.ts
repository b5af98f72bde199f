// The credits ledger: a user's balance (the sum of their active transactions), the one write that changes it (under
// a lock on the user's row), histories, auto top-up settings and refund requests.
import { randomUUID } from "node:crypto";
import { and, count, desc, eq, ilike, inArray, lt, or, sql } from "drizzle-orm";
import type { Db } from "../index.js";
import { creditAutoTopUp, creditRefundRequests, creditTransactions, creditTransactionType, users } from "../schema.js";

export type CreditTransactionRow = typeof creditTransactions.$inferSelect;
export type CreditTransactionType = (typeof creditTransactionType.enumValues)[number];

export const CREDIT_TRANSACTION_TYPES = creditTransactionType.enumValues;

export async function getBalance(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ total: sql<string | number | null>`coalesce(sum(${creditTransactions.amount}), 0)` })
    .from(creditTransactions)
    .where(and(eq(creditTransactions.userId, userId), eq(creditTransactions.isActive, true)));
  return Number(row?.total ?? 0);
}

/**
 * Where the previous page stopped: the last transaction's time, as PostgreSQL's text (microseconds, which a JS
 * Date would round away), and its key (keys break ties in time).
 */
export interface HistoryPosition {
  time: string;
  key: string;
}

/**
 * Up to `limit` active transactions of the user older than `before`, newest first, and the position to continue
 * from when there may be more.
 */
export async function listTransactions(
  db: Db,
  userId: string,
  options: { limit: number; before?: HistoryPosition; type?: CreditTransactionType },
): Promise<{ rows: CreditTransactionRow[]; next: HistoryPosition | null }> {
  const { before } = options;
  const rows = await db
    .select({ row: creditTransactions, time: sql<string>`${creditTransactions.createdAt}::text` })
    .from(creditTransactions)
    .where(
      and(
        eq(creditTransactions.userId, userId),
        eq(creditTransactions.isActive, true),
        options.type ? eq(creditTransactions.type, options.type) : undefined,
        before
          ? or(
              sql`${creditTransactions.createdAt} < ${before.time}::timestamptz`,
              and(
                sql`${creditTransactions.createdAt} = ${before.time}::timestamptz`,
                lt(creditTransactions.transactionKey, before.key),
              ),
            )
          : undefined,
      ),
    )
    .orderBy(desc(creditTransactions.createdAt), desc(creditTransactions.transactionKey))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return {
    rows: page.map((r) => r.row),
    next: rows.length > options.limit && last ? { time: last.time, key: last.row.transactionKey } : null,
  };
}

/** What one ledger write did: the balance after it and the key it holds, or why nothing was written. */
export type LedgerWrite =
  | { ok: true; balance: number; key: string; amount: number }
  | { ok: false; reason: "insufficient" | "duplicate"; balance: number };

/**
 * Adds one active transaction under a lock on the user's row, so writes of one user (in any process) are serialized
 * and each sees the balance the previous one left: a debit the balance cannot cover is refused (or, `partial`,
 * shrunk to what is left), so the balance never goes below zero. A key the user already holds writes nothing.
 * Undefined when the user does not exist.
 */
export async function addTransaction(
  db: Db,
  values: {
    userId: string;
    amount: number;
    type: CreditTransactionType;
    key?: string;
    metadata?: Record<string, unknown>;
    /** A debit larger than the balance takes the balance to zero instead of being refused (AutoGPT's fail_insufficient_credits=False). */
    partial?: boolean;
  },
): Promise<LedgerWrite | undefined> {
  return db.transaction(async (tx) => {
    const locked = await tx.execute(sql`select id from ${users} where ${users.id} = ${values.userId} for update`);
    if (rowsOf(locked).length === 0) return undefined;
    const balance = await getBalance(tx as unknown as Db, values.userId);
    let amount = values.amount;
    if (amount < 0 && balance + amount < 0) {
      if (!values.partial) return { ok: false, reason: "insufficient", balance };
      amount = -balance;
    }
    const key = values.key ?? randomUUID();
    const inserted = await tx
      .insert(creditTransactions)
      .values({
        transactionKey: key,
        userId: values.userId,
        amount,
        type: values.type,
        runningBalance: balance + amount,
        metadata: values.metadata ?? {},
        // The clock at the write, not the transaction's start: the lock may have been waited for.
        createdAt: sql`clock_timestamp()` as unknown as Date,
      })
      .onConflictDoNothing()
      .returning({ key: creditTransactions.transactionKey });
    if (inserted.length === 0) return { ok: false, reason: "duplicate", balance };
    return { ok: true, balance: balance + amount, key, amount };
  });
}

function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  return ((result as { rows?: unknown[] }).rows ?? []) as unknown[];
}

/** One of the user's active transactions by key. */
export async function findTransaction(db: Db, userId: string, key: string): Promise<CreditTransactionRow | undefined> {
  const [row] = await db
    .select()
    .from(creditTransactions)
    .where(
      and(
        eq(creditTransactions.userId, userId),
        eq(creditTransactions.transactionKey, key),
        eq(creditTransactions.isActive, true),
      ),
    )
    .limit(1);
  return row;
}

export interface AdminHistoryRow {
  row: CreditTransactionRow;
  email: string;
}

/** Every user's active transactions, newest first, one page, searched by user id, email or name, with the total. */
export async function listAllTransactions(
  db: Db,
  options: { page: number; pageSize: number; search?: string; type?: CreditTransactionType },
): Promise<{ rows: AdminHistoryRow[]; total: number }> {
  const pattern = options.search ? `%${options.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
  const where = and(
    eq(creditTransactions.isActive, true),
    options.type ? eq(creditTransactions.type, options.type) : undefined,
    pattern
      ? or(ilike(creditTransactions.userId, pattern), ilike(users.email, pattern), ilike(users.name, pattern))
      : undefined,
  );
  const [rows, [counted]] = await Promise.all([
    db
      .select({ row: creditTransactions, email: users.email })
      .from(creditTransactions)
      .innerJoin(users, eq(users.id, creditTransactions.userId))
      .where(where)
      .orderBy(desc(creditTransactions.createdAt), desc(creditTransactions.transactionKey))
      .limit(options.pageSize)
      .offset((options.page - 1) * options.pageSize),
    db
      .select({ n: count() })
      .from(creditTransactions)
      .innerJoin(users, eq(users.id, creditTransactions.userId))
      .where(where),
  ]);
  return { rows, total: Number(counted?.n ?? 0) };
}

/** The balances of these users, by id (users without transactions are absent). */
export async function getBalances(db: Db, userIds: string[]): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .select({
      userId: creditTransactions.userId,
      total: sql<string | number | null>`coalesce(sum(${creditTransactions.amount}), 0)`,
    })
    .from(creditTransactions)
    .where(and(inArray(creditTransactions.userId, userIds), eq(creditTransactions.isActive, true)))
    .groupBy(creditTransactions.userId);
  return new Map(rows.map((r) => [r.userId, Number(r.total ?? 0)]));
}

/** Emails of these users, by id. */
export async function getEmails(db: Db, userIds: string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, userIds));
  return new Map(rows.map((r) => [r.id, r.email]));
}

export type AutoTopUpRow = typeof creditAutoTopUp.$inferSelect;

export async function getAutoTopUp(db: Db, userId: string): Promise<AutoTopUpRow | undefined> {
  const [row] = await db.select().from(creditAutoTopUp).where(eq(creditAutoTopUp.userId, userId)).limit(1);
  return row;
}

export async function setAutoTopUp(db: Db, userId: string, threshold: number, amount: number): Promise<void> {
  await db
    .insert(creditAutoTopUp)
    .values({ userId, threshold, amount })
    .onConflictDoUpdate({ target: creditAutoTopUp.userId, set: { threshold, amount, updatedAt: new Date() } });
}

export type RefundRequestRow = typeof creditRefundRequests.$inferSelect;

/** Records a refund request; undefined when one for this transaction exists already. */
export async function insertRefundRequest(
  db: Db,
  values: { id: string; userId: string; transactionKey: string; amount: number; reason: string; result: string },
): Promise<RefundRequestRow | undefined> {
  const [row] = await db
    .insert(creditRefundRequests)
    .values({ ...values, status: "PENDING" })
    .onConflictDoNothing()
    .returning();
  return row;
}

export async function listRefundRequests(db: Db, userId: string, limit: number): Promise<RefundRequestRow[]> {
  return db
    .select()
    .from(creditRefundRequests)
    .where(eq(creditRefundRequests.userId, userId))
    .orderBy(desc(creditRefundRequests.createdAt))
    .limit(limit);
}
