// Credits: a user's balance (the sum of their active ledger transactions) and their history, newest first.
//
// Agentry does not charge runs and has no top-up yet, so rows come only from whoever writes the ledger (an
// operator, for now), and there are no subscription transactions.
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/credits.js";

export type CreditTransactionType = repo.CreditTransactionType;
/** What a history can be filtered by: the ledger's types, and AutoGPT's SUBSCRIPTION, which the ledger never holds. */
export type HistoryFilter = CreditTransactionType | "SUBSCRIPTION";
/** Where a history page stopped (a keyset: rows added meanwhile neither shift nor repeat items). */
export type HistoryPosition = repo.HistoryPosition;

export interface CreditTransaction {
  key: string;
  /** In cents, positive or negative. */
  amount: number;
  type: CreditTransactionType;
  time: Date;
  description: string | null;
  /** The graph and run that caused it, when one did. */
  origin: { graphId: string | null; runId: string | null } | null;
}

const str = (v: unknown) => (typeof v === "string" && v ? v : null);

function toTransaction(row: repo.CreditTransactionRow): CreditTransaction {
  const metadata = (row.metadata ?? {}) as Record<string, unknown>;
  const graphId = str(metadata.graph_id);
  const runId = str(metadata.graph_exec_id) ?? str(metadata.run_id);
  return {
    key: row.transactionKey,
    amount: row.amount,
    type: row.type,
    time: row.createdAt,
    description: str(metadata.reason) ?? str(metadata.description),
    origin: graphId || runId ? { graphId, runId } : null,
  };
}

export class CreditsService {
  constructor(private readonly deps: { db: Db }) {}

  balance(userId: string): Promise<number> {
    return repo.getBalance(this.deps.db, userId);
  }

  /** Up to `limit` transactions older than `before`, and where the next page starts when there may be more. */
  async history(
    userId: string,
    options: { limit: number; before?: HistoryPosition; type?: HistoryFilter },
  ): Promise<{ items: CreditTransaction[]; next: HistoryPosition | null }> {
    const { type, ...rest } = options;
    if (type === "SUBSCRIPTION") return { items: [], next: null };
    const { rows, next } = await repo.listTransactions(this.deps.db, userId, { ...rest, type });
    return { items: rows.map(toTransaction), next };
  }
}
