// Credits: a user's balance (the sum of their active ledger transactions), the charges node executions pay before
// they run, admin grants, histories (AutoGPT's and External v2's), auto top-up settings and refund requests.
//
// No payment provider is built in (AutoGPT's is Stripe): a top-up, a payment-method portal or an automatic top-up
// answers that none is configured, and credits come from admins' grants and the starting grant.
import { ApiError } from "../core/errors.js";
import type { CreditLedger, NodeCharge } from "../engine/ports.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/credits.js";

export type CreditTransactionType = repo.CreditTransactionType;
export const CREDIT_TRANSACTION_TYPES = repo.CREDIT_TRANSACTION_TYPES;
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

/** One line of AutoGPT's history (UserTransaction): a transaction, or a run's usage charges added up. */
export interface HistoryLine {
  transactionKey: string;
  time: Date;
  type: CreditTransactionType;
  amount: number;
  runningBalance: number;
  description: string | null;
  graphId: string | null;
  runId: string | null;
  nodeCount: number;
  startTime: Date | null;
}

export interface AdminHistoryLine {
  transactionKey: string;
  time: Date;
  type: CreditTransactionType;
  amount: number;
  runningBalance: number;
  currentBalance: number;
  userId: string;
  userEmail: string;
  reason: string;
  adminEmail: string;
  extraData: string;
}

export interface RefundRequest {
  id: string;
  userId: string;
  transactionKey: string;
  amount: number;
  reason: string;
  result: string | null;
  status: string;
  createdAt: Date;
  updatedAt: Date;
}

/** AutoGPT's key of the starting grant: one per user. */
const SIGNUP_GRANT_KEY = "SIGNUP-GRANT";
/** Refund requests a user's list shows (AutoGPT's MAX_CREDIT_REFUND_REQUESTS_FETCH). */
const MAX_REFUND_REQUESTS = 100;

const str = (v: unknown) => (typeof v === "string" && v ? v : null);

/** Dollars as Python prints `cents / 100` (AutoGPT's messages): 5 → "0.05", 100 → "1.0". */
/** AutoGPT's DisabledUserCredit.get_credits(). */
export const DISABLED_CREDITS_BALANCE = 100;

function dollars(cents: number): string {
  const value = cents / 100;
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** AutoGPT's InsufficientBalanceError message. */
export function insufficientMessage(balance: number, cost: number): string {
  return `Insufficient balance of $${dollars(balance)}, where this will cost $${dollars(Math.abs(cost))}`;
}

const noProvider = (what: string) =>
  new ApiError(
    "NOT_IMPLEMENTED",
    501,
    `${what} needs a payment provider, and none is configured on this instance: an admin adds credits with ` +
      "POST /api/credits/admin/add_credits",
  );

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

export class CreditsService implements CreditLedger {
  /** Users whose starting grant this process has seen written (it is written once per user, ever). */
  private readonly granted = new Set<string>();

  constructor(
    private readonly deps: {
      db: Db;
      /** Whether runs are charged (CREDITS_ENABLED). */
      enabled: boolean;
      /** Credits each user is granted once (CREDITS_SIGNUP_GRANT). */
      signupGrant: number;
    },
  ) {}

  get enabled(): boolean {
    return this.deps.enabled;
  }

  /**
   * The starting grant, written on the first use of a user's credits (whichever way the user was created: signup,
   * the CLI, an external identity provider) and never twice: its key is the same for every attempt.
   */
  private async ensureGrant(userId: string): Promise<void> {
    const amount = this.deps.signupGrant;
    if (!this.deps.enabled || amount <= 0 || this.granted.has(userId)) return;
    const result = await repo.addTransaction(this.deps.db, {
      userId,
      amount,
      type: "GRANT",
      key: SIGNUP_GRANT_KEY,
      metadata: { reason: "Starting credits" },
    });
    if (result) this.granted.add(userId);
  }

  /**
   * What AutoGPT's `GET /api/credits` answers: the balance, or, with credits off, the 100 of its DisabledUserCredit
   * (so its clients, which look for a positive balance before running, do not ask to top up).
   */
  async shownBalance(userId: string): Promise<number> {
    return this.deps.enabled ? this.balance(userId) : DISABLED_CREDITS_BALANCE;
  }

  async balance(userId: string): Promise<number> {
    await this.ensureGrant(userId);
    return repo.getBalance(this.deps.db, userId);
  }

  /**
   * AutoGPT's check before a user starts a run: with credits on, a balance of 0 or less is refused with 402
   * (a run with some balance left may still fail later at a node it cannot pay).
   */
  async assertCanStart(userId: string): Promise<void> {
    if (!this.deps.enabled) return;
    const balance = await this.balance(userId);
    if (balance <= 0) {
      throw new ApiError(
        "INSUFFICIENT_BALANCE",
        402,
        "Insufficient balance to execute the agent. Please top up your account.",
        { balance },
      );
    }
  }

  /** Pays for one node execution (the engine's CreditLedger port). */
  async charge(charge: NodeCharge): Promise<string | undefined> {
    if (!this.deps.enabled) return undefined;
    await this.ensureGrant(charge.userId);
    const result = await repo.addTransaction(this.deps.db, {
      userId: charge.userId,
      amount: -charge.amount,
      type: "USAGE",
      partial: charge.partial,
      metadata: {
        graph_exec_id: charge.graphExecId,
        graph_id: charge.graphId,
        node_id: charge.nodeId,
        node_exec_id: charge.nodeExecId,
        block_id: charge.blockId,
        block: charge.blockName,
        reason: `Ran block ${charge.blockId} ${charge.blockName}`,
      },
    });
    if (!result) return `User ${charge.userId} not found`;
    if (!result.ok) return insufficientMessage(result.balance, charge.amount);
    return undefined;
  }

  /** An admin adds (or, negative, takes) credits; AutoGPT's add_credits. */
  async adminGrant(
    adminId: string,
    input: { userId: string; amount: number; comments: string },
  ): Promise<{ balance: number; key: string }> {
    const result = await repo.addTransaction(this.deps.db, {
      userId: input.userId,
      amount: input.amount,
      type: "GRANT",
      metadata: { admin_id: adminId, reason: input.comments },
    });
    if (!result) throw ApiError.notFound("User", { user_id: input.userId });
    if (!result.ok) {
      throw new ApiError("INSUFFICIENT_BALANCE", 402, insufficientMessage(result.balance, input.amount), {
        balance: result.balance,
        amount: input.amount,
      });
    }
    return { balance: result.balance, key: result.key };
  }

  /** Up to `limit` transactions older than `before`, and where the next page starts when there may be more (v2). */
  async history(
    userId: string,
    options: { limit: number; before?: HistoryPosition; type?: HistoryFilter },
  ): Promise<{ items: CreditTransaction[]; next: HistoryPosition | null }> {
    await this.ensureGrant(userId);
    const { type, ...rest } = options;
    if (type === "SUBSCRIPTION") return { items: [], next: null };
    const { rows, next } = await repo.listTransactions(this.deps.db, userId, { ...rest, type });
    return { items: rows.map(toTransaction), next };
  }

  /**
   * AutoGPT's history: up to `limit` transactions before `ceiling`, newest first, a run's usage charges added up
   * into one line, and the time to pass as the next ceiling when there may be more (with microseconds).
   */
  async transactionHistory(
    userId: string,
    options: { limit: number; ceiling?: string; type?: CreditTransactionType },
  ): Promise<{ lines: HistoryLine[]; nextTime: string | null }> {
    await this.ensureGrant(userId);
    const { rows, next } = await repo.listTransactions(this.deps.db, userId, {
      limit: options.limit,
      type: options.type,
      // No key sorts below "": only transactions strictly older than the ceiling, as AutoGPT's `lt`.
      before: options.ceiling ? { time: options.ceiling, key: "" } : undefined,
    });
    const lines = new Map<string, HistoryLine>();
    for (const row of rows) {
      const metadata = (row.metadata ?? {}) as Record<string, unknown>;
      const runId = row.type === "USAGE" ? str(metadata.graph_exec_id) : null;
      const id = runId ?? `tx:${row.transactionKey}`;
      let line = lines.get(id);
      if (!line) {
        line = {
          transactionKey: runId ? "" : row.transactionKey,
          time: row.createdAt,
          type: row.type,
          amount: 0,
          runningBalance: row.runningBalance ?? 0,
          description: `${row.type} Transaction`,
          graphId: null,
          runId: null,
          nodeCount: 0,
          startTime: null,
        };
        lines.set(id, line);
      }
      line.amount += row.amount;
      if (runId) {
        const graphId = str(metadata.graph_id);
        line.description = `Graph #${graphId ? graphId.slice(0, 8) : "UNKNOWN"} Execution`;
        line.graphId = graphId;
        line.runId = runId;
        line.nodeCount++;
        if (!line.startTime || row.createdAt < line.startTime) line.startTime = row.createdAt;
      }
    }
    return { lines: [...lines.values()], nextTime: next ? isoTime(next.time) : null };
  }

  /** Every user's transactions for admins, newest first, one page (AutoGPT's admin users_history). */
  async adminHistory(options: {
    page: number;
    pageSize: number;
    search?: string;
    type?: CreditTransactionType;
  }): Promise<{ lines: AdminHistoryLine[]; total: number }> {
    const { db } = this.deps;
    const { rows, total } = await repo.listAllTransactions(db, options);
    const userIds = [...new Set(rows.map((r) => r.row.userId))];
    const adminIds = [
      ...new Set(rows.map((r) => str((r.row.metadata as Record<string, unknown> | null)?.admin_id)).filter(Boolean)),
    ] as string[];
    const [balances, adminEmails] = await Promise.all([repo.getBalances(db, userIds), repo.getEmails(db, adminIds)]);
    const lines = rows.map(({ row, email }): AdminHistoryLine => {
      const metadata = (row.metadata ?? {}) as Record<string, unknown>;
      const adminId = str(metadata.admin_id);
      return {
        transactionKey: row.transactionKey,
        time: row.createdAt,
        type: row.type,
        amount: row.amount,
        runningBalance: row.runningBalance ?? 0,
        currentBalance: balances.get(row.userId) ?? 0,
        userId: row.userId,
        userEmail: email,
        reason: str(metadata.reason) ?? (Object.keys(metadata).length > 0 ? "No reason provided" : ""),
        adminEmail: adminId ? (adminEmails.get(adminId) ?? `Unknown Admin: ${adminId}`) : "",
        extraData: JSON.stringify(metadata),
      };
    });
    return { lines, total };
  }

  /** A top-up through the payment provider's checkout: the URL to send the user to. */
  async topUpIntent(_userId: string, amount: number): Promise<string> {
    if (amount < 500 || amount % 100 !== 0) {
      throw ApiError.badRequest(`Top up amount must be at least 500 credits and multiple of 100 but is ${amount}`);
    }
    // AutoGPT's disabled credit model answers an empty checkout URL.
    if (!this.deps.enabled) return "";
    throw noProvider("A top-up");
  }

  /** Completes the user's latest pending checkout; without a payment provider there is never one pending. */
  async fulfilCheckout(_userId: string): Promise<void> {}

  /** The payment provider's portal for the user's payment methods. */
  async paymentPortal(_userId: string): Promise<string> {
    throw noProvider("Managing payment methods");
  }

  async autoTopUp(userId: string): Promise<{ threshold: number; amount: number }> {
    const row = await repo.getAutoTopUp(this.deps.db, userId);
    return { threshold: row?.threshold ?? 0, amount: row?.amount ?? 0 };
  }

  /** AutoGPT's checks, then saves it; turning it on needs a payment provider to charge (when credits are on). */
  async setAutoTopUp(userId: string, config: { threshold: number; amount: number }): Promise<void> {
    // AutoGPT answers these with a plain 422 whose `detail` is the message.
    const invalid = (message: string) => new ApiError("VALIDATION_ERROR", 422, message);
    if (config.threshold < 0) throw invalid("Threshold must be greater than 0");
    if (config.amount < 500 && config.amount !== 0) throw invalid("Amount must be greater than or equal to 500");
    if (config.amount !== 0 && config.amount < config.threshold) {
      throw invalid("Amount must be greater than or equal to threshold");
    }
    if (this.deps.enabled && config.amount !== 0) throw noProvider("Automatic top-up");
    await repo.setAutoTopUp(this.deps.db, userId, config.threshold, config.amount);
  }

  /**
   * Asks for one of the user's top-ups to be refunded. Without a payment provider to refund through, the request
   * waits for review (AutoGPT's manual-approval path), and nothing is refunded yet: 0.
   */
  async requestRefund(userId: string, transactionKey: string, metadata: Record<string, string>): Promise<number> {
    const row = await repo.findTransaction(this.deps.db, userId, transactionKey);
    if (row?.type !== "TOP_UP") throw ApiError.notFound("Top-up transaction", { transaction_key: transactionKey });
    const created = await repo.insertRefundRequest(this.deps.db, {
      id: `${transactionKey}-${userId}`,
      userId,
      transactionKey,
      amount: row.amount,
      reason: metadata.reason ?? "",
      result: "The refund request is under review.",
    });
    if (!created) {
      throw ApiError.badRequest(
        "Unable to request a refund for this transaction: a request for it has already been made.",
      );
    }
    return 0;
  }

  async refundRequests(userId: string): Promise<RefundRequest[]> {
    const rows = await repo.listRefundRequests(this.deps.db, userId, MAX_REFUND_REQUESTS);
    return rows.map((r) => ({
      id: r.id,
      userId: r.userId,
      transactionKey: r.transactionKey,
      amount: r.amount,
      reason: r.reason,
      result: r.result,
      status: r.status,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    }));
  }
}

/** PostgreSQL's timestamptz text ("2026-01-02 03:04:05.123456+00") as ISO 8601, keeping the microseconds. */
function isoTime(pgText: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/.exec(pgText);
  if (!m) return new Date(pgText).toISOString();
  const [, date, time, hours, minutes] = m;
  return `${date}T${time}${hours === "+00" && !minutes ? "Z" : `${hours}:${minutes ?? "00"}`}`;
}
