// /api/credits: AutoGPT's credit routes — the balance, top-up and checkout (answered honestly without a payment
// provider), refund requests, auto top-up settings and the history; /api/credits/admin/* (and the seed's
// /api/admin/credits/*) for admins: grants and every user's history. The rules are CreditsService's.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ApiError } from "../../core/errors.js";
import type { AdminHistoryLine, HistoryLine } from "../../services/credits.js";
import { principalOf, requireAdmin, requireScope, requireSession, requireUser } from "../auth-hooks.js";
import { anyCredentials, DateTime, errors, Nullable, Pagination, pagination } from "../schemas.js";

/** Balance as Python's datetime.max-ish default AutoGPT's UserTransaction gives a line that is no run's usage. */
const NO_USAGE_START = "9999-12-31T23:59:59.999999Z";

const CreditTransactionType = Type.Union(
  [
    Type.Literal("TOP_UP"),
    Type.Literal("USAGE"),
    Type.Literal("GRANT"),
    Type.Literal("REFUND"),
    Type.Literal("CARD_CHECK"),
  ],
  { title: "CreditTransactionType" },
);

/** AutoGPT's UserTransaction: one line of a history (a transaction, or one run's usage added up). */
const UserTransaction = Type.Object(
  {
    transaction_key: Type.String(),
    transaction_time: DateTime,
    transaction_type: CreditTransactionType,
    amount: Type.Integer(),
    running_balance: Type.Integer(),
    current_balance: Type.Integer(),
    description: Nullable(Type.String()),
    usage_graph_id: Nullable(Type.String()),
    usage_execution_id: Nullable(Type.String()),
    usage_node_count: Type.Integer(),
    usage_start_time: DateTime,
    user_id: Type.String(),
    user_email: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    admin_email: Nullable(Type.String()),
    extra_data: Nullable(Type.String()),
  },
  { title: "UserTransaction" },
);

const TransactionHistory = Type.Object(
  { transactions: Type.Array(UserTransaction), next_transaction_time: Nullable(DateTime) },
  { title: "TransactionHistory" },
);

const AutoTopUpConfig = Type.Object(
  { amount: Type.Integer(), threshold: Type.Integer() },
  { title: "AutoTopUpConfig" },
);

const RefundRequest = Type.Object(
  {
    id: Type.String(),
    user_id: Type.String(),
    transaction_key: Type.String(),
    amount: Type.Integer(),
    reason: Type.String(),
    result: Nullable(Type.String()),
    status: Type.String(),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { title: "RefundRequest" },
);

const UserHistoryResponse = Type.Object(
  { history: Type.Array(UserTransaction), pagination: Pagination },
  { title: "UserHistoryResponse" },
);

function userLine(line: HistoryLine, userId: string, balance: number): typeof UserTransaction.static {
  return {
    transaction_key: line.transactionKey,
    transaction_time: line.time.toISOString(),
    transaction_type: line.type,
    amount: line.amount,
    running_balance: line.runningBalance,
    current_balance: balance,
    description: line.description,
    usage_graph_id: line.graphId,
    usage_execution_id: line.runId,
    usage_node_count: line.nodeCount,
    usage_start_time: line.startTime?.toISOString() ?? NO_USAGE_START,
    user_id: userId,
    user_email: null,
    reason: null,
    admin_email: null,
    extra_data: null,
  };
}

function adminLine(line: AdminHistoryLine): typeof UserTransaction.static {
  return {
    transaction_key: line.transactionKey,
    transaction_time: line.time.toISOString(),
    transaction_type: line.type,
    amount: line.amount,
    running_balance: line.runningBalance,
    current_balance: line.currentBalance,
    description: null,
    usage_graph_id: null,
    usage_execution_id: null,
    usage_node_count: 0,
    usage_start_time: NO_USAGE_START,
    user_id: line.userId,
    user_email: line.userEmail,
    reason: line.reason,
    admin_email: line.adminEmail,
    extra_data: line.extraData,
  };
}

export const creditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { credits } = app.platform;
  const common = { tags: ["credits"], security: anyCredentials };
  const session = { tags: ["credits"], security: [{ bearer: [] }] };
  const read = requireScope("READ_CREDITS");
  // Money moves only for a signed-in user, never for an API key or an OAuth app.
  const write = [requireUser, requireSession];
  const userOf = (request: Parameters<typeof principalOf>[0]) => principalOf(request).user.id;

  app.get(
    "",
    {
      schema: {
        ...common,
        summary: "Get user credits",
        description: "The caller's balance: the sum of their credit transactions.",
        response: { 200: Type.Object({ credits: Type.Integer() }), ...errors(401, 403) },
      },
      preValidation: read,
    },
    async (request) => ({ credits: await credits.shownBalance(userOf(request)) }),
  );

  app.post(
    "",
    {
      schema: {
        ...session,
        summary: "Request credit top up",
        description:
          "Starts a top-up through the payment provider's checkout (at least 500 credits, a multiple of 100). With " +
          "credits off the checkout URL is empty, as AutoGPT's; with credits on and no payment provider (Agentry " +
          "ships none) the answer is 501.",
        body: Type.Object({ credit_amount: Type.Integer() }, { title: "RequestTopUp" }),
        response: { 200: Type.Object({ checkout_url: Type.String() }), ...errors(400, 401, 403, 422, 501) },
      },
      preValidation: write,
    },
    async (request) => ({ checkout_url: await credits.topUpIntent(userOf(request), request.body.credit_amount) }),
  );

  app.patch(
    "",
    {
      schema: {
        ...session,
        summary: "Fulfill checkout session",
        description: "Completes the caller's latest paid checkout, if one is pending; answers 200 either way.",
        response: { 200: Type.Null(), ...errors(401, 403) },
      },
      preValidation: write,
    },
    async (request, reply) => {
      await credits.fulfilCheckout(userOf(request));
      reply.code(200).send(undefined as never);
    },
  );

  app.post(
    "/:transaction_key/refund",
    {
      schema: {
        ...session,
        summary: "Refund credit transaction",
        description:
          "Asks for one of the caller's top-ups to be refunded (the body's `reason` is kept). The request waits for " +
          "review; the answer is the amount refunded at once: 0.",
        params: Type.Object({ transaction_key: Type.String({ minLength: 1, maxLength: 500 }) }),
        body: Type.Record(Type.String(), Type.String({ maxLength: 10_000 }), { title: "Metadata", maxProperties: 50 }),
        response: { 200: Type.Integer(), ...errors(400, 401, 403, 404, 422) },
      },
      preValidation: write,
    },
    async (request) => credits.requestRefund(userOf(request), request.params.transaction_key, request.body),
  );

  app.get(
    "/auto-top-up",
    {
      schema: {
        ...common,
        summary: "Get auto top up",
        response: { 200: AutoTopUpConfig, ...errors(401, 403) },
      },
      preValidation: read,
    },
    async (request) => credits.autoTopUp(userOf(request)),
  );

  app.post(
    "/auto-top-up",
    {
      schema: {
        ...session,
        summary: "Configure auto top up",
        description:
          "Tops up `amount` whenever the balance falls below `threshold` (AutoGPT's checks: amount 0, or at least 500 " +
          "and at least the threshold). `amount: 0` turns it off; turning it on needs a payment provider (501 " +
          "without one, while credits are on).",
        body: AutoTopUpConfig,
        response: { 200: Type.String(), ...errors(401, 403, 422, 501) },
      },
      preValidation: write,
    },
    async (request) => {
      await credits.setAutoTopUp(userOf(request), request.body);
      return "Auto top-up settings updated";
    },
  );

  app.post(
    "/stripe_webhook",
    {
      schema: {
        tags: ["credits"],
        summary: "Handle Stripe webhooks",
        description: "The payment provider's event ingress; 501 while no payment provider is configured.",
        response: { ...errors(501) },
      },
    },
    async () => {
      throw new ApiError("NOT_IMPLEMENTED", 501, "No payment provider is configured on this instance");
    },
  );

  app.get(
    "/manage",
    {
      schema: {
        ...session,
        summary: "Manage payment methods",
        description: "The payment provider's portal URL; 501 while no payment provider is configured.",
        response: { 200: Type.Object({ url: Type.String() }), ...errors(401, 403, 501) },
      },
      preValidation: write,
    },
    async (request) => ({ url: await credits.paymentPortal(userOf(request)) }),
  );

  app.get(
    "/transactions",
    {
      schema: {
        ...common,
        summary: "Get credit history",
        description:
          "The caller's transactions older than `transaction_time`, newest first; a run's usage charges are one line. " +
          "Pass `next_transaction_time` back as `transaction_time` for the next page (null: no more).",
        querystring: Type.Object({
          transaction_time: Type.Optional(DateTime),
          // An empty value is no filter, as AutoGPT's falsy check.
          transaction_type: Type.Optional(Type.Union([CreditTransactionType, Type.Literal("")])),
          transaction_count_limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: TransactionHistory, ...errors(401, 403, 422) },
      },
      preValidation: read,
    },
    async (request) => {
      const userId = userOf(request);
      const { transaction_time, transaction_type, transaction_count_limit } = request.query;
      const [{ lines, nextTime }, balance] = await Promise.all([
        credits.transactionHistory(userId, {
          limit: transaction_count_limit,
          ceiling: transaction_time,
          type: transaction_type || undefined,
        }),
        credits.balance(userId),
      ]);
      return { transactions: lines.map((l) => userLine(l, userId, balance)), next_transaction_time: nextTime };
    },
  );

  app.get(
    "/refunds",
    {
      schema: {
        ...common,
        summary: "Get refund requests",
        response: { 200: Type.Array(RefundRequest), ...errors(401, 403) },
      },
      preValidation: read,
    },
    async (request) =>
      (await credits.refundRequests(userOf(request))).map((r) => ({
        id: r.id,
        user_id: r.userId,
        transaction_key: r.transactionKey,
        amount: r.amount,
        reason: r.reason,
        result: r.result,
        status: r.status,
        created_at: r.createdAt.toISOString(),
        updated_at: r.updatedAt.toISOString(),
      })),
  );
};

/** Admin credit management, at AutoGPT's /api/credits/admin and the seed's /api/admin/credits. */
export const adminCreditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { credits } = app.platform;
  const common = { tags: ["credits", "admin"], security: [{ bearer: [] }] };
  app.addHook("preValidation", requireAdmin);

  app.post(
    "/add_credits",
    {
      schema: {
        ...common,
        summary: "Add Credits to User",
        description: "Grants (or, negative, takes) credits; taking more than the user has is refused with 402.",
        body: Type.Object(
          { user_id: Type.String({ minLength: 1 }), amount: Type.Integer(), comments: Type.String() },
          { title: "Body_postV2Add credits to user" },
        ),
        response: {
          200: Type.Object({ new_balance: Type.Integer(), transaction_key: Type.String() }),
          ...errors(401, 402, 403, 404, 422),
        },
      },
    },
    async (request) => {
      const { user_id, amount, comments } = request.body;
      const result = await credits.adminGrant(principalOf(request).user.id, { userId: user_id, amount, comments });
      return { new_balance: result.balance, transaction_key: result.key };
    },
  );

  app.get(
    "/users_history",
    {
      schema: {
        ...common,
        summary: "Get All Users History",
        description: "Every user's transactions, newest first, searched by user id, email or name.",
        querystring: Type.Object({
          search: Type.Optional(Type.String({ maxLength: 500 })),
          page: Type.Integer({ minimum: 1, default: 1 }),
          page_size: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
          transaction_filter: Type.Optional(Type.Union([CreditTransactionType, Type.Literal("")])),
        }),
        response: { 200: UserHistoryResponse, ...errors(401, 403, 422) },
      },
    },
    async (request) => {
      const { search, page, page_size, transaction_filter } = request.query;
      const { lines, total } = await credits.adminHistory({
        page,
        pageSize: page_size,
        search: search || undefined,
        type: transaction_filter || undefined,
      });
      return { history: lines.map(adminLine), pagination: pagination(total, page, page_size) };
    },
  );
};
