// The credits ledger read side: a user's balance (sum of active transactions) and their history, newest first.
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import type { Db } from "../index.js";
import { creditTransactions, creditTransactionType } from "../schema.js";

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
