// External API v2: /credits (balance) and /credits/transactions (history, newest first, keyset-paginated).
//
// The rules are CreditsService's. AutoGPT's Stripe-backed /credits/subscription and /credits/invoices and its
// /credits/cost-summary are not served.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ApiError } from "../../../core/errors.js";
import type { HistoryPosition, CreditTransaction as Transaction } from "../../../services/credits.js";
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

function toTransaction(t: Transaction): typeof CreditTransaction.static {
  return {
    transaction_key: t.key,
    amount_cents: t.amount,
    type: t.type,
    transaction_time: t.time.toISOString(),
    description: t.description,
    origin: t.origin ? { graph_id: t.origin.graphId, run_id: t.origin.runId } : null,
  };
}

// The cursor carries the position after which the next page starts (a keyset, so rows added meanwhile neither
// shift nor repeat items): `{"t": "<time>|<key>"}`, base64url, opaque to clients.
const TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/;
const malformed = () => ApiError.badRequest("Malformed cursor. Pass back the `next_cursor` of a previous response.");

function encodePosition(position: HistoryPosition): string {
  return Buffer.from(JSON.stringify({ t: `${position.time}|${position.key}` })).toString("base64url");
}

function decodePosition(cursor: string | undefined): HistoryPosition | undefined {
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
  const { credits } = app.platform;
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
    async (request) => ({ balance_cents: await credits.balance(principalOf(request).user.id) }),
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
      const { items, next } = await credits.history(principalOf(request).user.id, {
        limit,
        before: decodePosition(cursor),
        type: transaction_type,
      });
      return { items: items.map(toTransaction), next_cursor: next ? encodePosition(next) : null, total_count: null };
    },
  );
};
