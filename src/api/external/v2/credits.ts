// External API v2: /credits (balance) and /credits/transactions (history, newest first, keyset-paginated).
//
// The balance is the sum of the caller's active credit_transactions. Agentry does not charge runs and has no
// top-up yet, so rows come only from whoever writes the ledger (an operator, for now). AutoGPT's Stripe-backed
// /credits/subscription and /credits/invoices and its /credits/cost-summary are not served.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ApiError } from "../../../core/errors.js";
import * as repo from "../../../infra/db/repos/credits.js";
import { principalOf } from "../../auth-hooks.js";
import { DateTime, Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { Page, PageQuery, v2Errors } from "./common.js";

const CreditBalance = Type.Object(
  { balance_cents: Type.Integer({ description: "Current credit balance, in cents" }) },
  { title: "CreditBalance" },
);

const TransactionType = Type.Union([
  Type.Literal("TOP_UP"),
  Type.Literal("USAGE"),
  Type.Literal("GRANT"),
  Type.Literal("REFUND"),
  Type.Literal("CARD_CHECK"),
  Type.Literal("SUBSCRIPTION"),
]);

const CreditTransactionOrigin = Type.Object(
  {
    graph_id: Nullable(Type.String({ description: "ID of the graph that caused this transaction, if applicable" })),
    run_id: Nullable(Type.String({ description: "ID of the agent run that caused this transaction, if applicable" })),
  },
  { title: "CreditTransactionOrigin" },
);

const CreditTransaction = Type.Object(
  {
    transaction_key: Type.String(),
    amount_cents: Type.Integer({ description: "Transaction amount in cents (positive or negative)" }),
    type: TransactionType,
    transaction_time: DateTime,
    description: Nullable(Type.String()),
    origin: Nullable(CreditTransactionOrigin),
  },
  { title: "CreditTransaction" },
);

const TransactionsQuery = Type.Composite([
  Type.Object({ transaction_type: Type.Optional(TransactionType) }),
  PageQuery,
]);

const str = (v: unknown) => (typeof v === "string" && v ? v : null);

function toTransaction(row: repo.CreditTransactionRow): typeof CreditTransaction.static {
  const metadata = (row.metadata ?? {}) as Record<string, unknown>;
  const graphId = str(metadata.graph_id);
  const runId = str(metadata.graph_exec_id) ?? str(metadata.run_id);
  return {
    transaction_key: row.transactionKey,
    amount_cents: row.amount,
    type: row.type,
    transaction_time: row.createdAt.toISOString(),
    description: str(metadata.reason) ?? str(metadata.description),
    origin: graphId || runId ? { graph_id: graphId, run_id: runId } : null,
  };
}

// The cursor carries the position after which the next page starts (a keyset, so rows added meanwhile neither
// shift nor repeat items): `{"t": "<time>|<key>"}`, base64url, opaque to clients.
const TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/;
const malformed = () => ApiError.badRequest("Malformed cursor. Pass back the `next_cursor` of a previous response.");

function encodePosition(position: repo.HistoryPosition): string {
  return Buffer.from(JSON.stringify({ t: `${position.time}|${position.key}` })).toString("base64url");
}

function decodePosition(cursor: string | undefined): repo.HistoryPosition | undefined {
  if (!cursor) return undefined;
  let token: unknown;
  try {
    token = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))?.t;
  } catch {
    throw malformed();
  }
  if (typeof token !== "string") throw malformed();
  const bar = token.indexOf("|");
  const time = token.slice(0, bar);
  if (bar < 0 || !TIME.test(time)) throw malformed();
  return { time, key: token.slice(bar + 1) };
}

export const creditsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.platform.database.db;
  const tags = ["credits"];

  app.get(
    "/credits",
    scoped(["READ_CREDITS"], {
      tags,
      summary: "Get credit balance",
      operationId: "getCreditBalance",
      description: "The caller's balance: the sum of their active credit transactions, in cents.",
      response: { 200: CreditBalance, ...v2Errors(401, 403) },
    }),
    async (request) => ({ balance_cents: await repo.getBalance(db, principalOf(request).user.id) }),
  );

  app.get(
    "/credits/transactions",
    scoped(["READ_CREDITS"], {
      tags,
      summary: "Get credit transaction history",
      operationId: "listCreditTransactions",
      description:
        "The caller's credit transactions, newest first, optionally of one type. `total_count` is `null`, as " +
        "AutoGPT's: the history is paged by position, not counted.",
      querystring: TransactionsQuery,
      response: { 200: Page(CreditTransaction), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => {
      const { limit, cursor, transaction_type } = request.query;
      const before = decodePosition(cursor);
      // Agentry's ledger has no subscription transactions.
      if (transaction_type === "SUBSCRIPTION") return { items: [], next_cursor: null, total_count: null };
      const { rows, next } = await repo.listTransactions(db, principalOf(request).user.id, {
        limit,
        before,
        type: transaction_type,
      });
      return { items: rows.map(toTransaction), next_cursor: next ? encodePosition(next) : null, total_count: null };
    },
  );
};
