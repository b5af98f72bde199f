// /api/auth: sign up, log in, refresh, log out, and the signed-in user (AutoGPT's get-or-create, email, notification
// preferences and timezone).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { UserRow } from "../../auth/service.js";
import { ApiError } from "../../core/errors.js";
import { NOTIFICATION_TYPES, type NotificationPreferences } from "../../services/users.js";
import { principalOf, requireScope, requireSession, requireUser } from "../auth-hooks.js";
import { noStore } from "../oauth/common.js";
import { anyCredentials, DateTime, errors, Nullable } from "../schemas.js";

export const User = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    email_verified: Type.Boolean(),
    name: Nullable(Type.String()),
    role: Type.Union([Type.Literal("user"), Type.Literal("admin")]),
    timezone: Type.String(),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { $id: "User", title: "User" },
);

export function userJSON(user: UserRow) {
  return {
    id: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name,
    role: user.role,
    timezone: user.timezone,
    metadata: (user.metadata ?? {}) as Record<string, unknown>,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

/** AutoGPT's User model (`backend/data/model.py`), what its `POST /auth/user` answers. */
const AutoGPTUser = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    email_verified: Type.Boolean(),
    name: Nullable(Type.String()),
    created_at: DateTime,
    updated_at: DateTime,
    metadata: Type.Record(Type.String(), Type.Unknown()),
    integrations: Type.String({ description: "AutoGPT's encrypted integrations blob; always empty here" }),
    stripe_customer_id: Nullable(Type.String()),
    top_up_config: Nullable(Type.Record(Type.String(), Type.Unknown())),
    max_emails_per_day: Type.Integer(),
    notify_on_agent_run: Type.Boolean(),
    notify_on_zero_balance: Type.Boolean(),
    notify_on_low_balance: Type.Boolean(),
    notify_on_block_execution_failed: Type.Boolean(),
    notify_on_continuous_agent_error: Type.Boolean(),
    notify_on_daily_summary: Type.Boolean(),
    notify_on_weekly_summary: Type.Boolean(),
    notify_on_monthly_summary: Type.Boolean(),
    timezone: Type.String({ description: "An IANA timezone, or 'not-set'" }),
  },
  { title: "UserModel" },
);

function autogptUserJSON(user: UserRow, prefs: NotificationPreferences) {
  const p = prefs.preferences;
  return {
    id: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
    metadata: (user.metadata ?? {}) as Record<string, unknown>,
    integrations: "",
    stripe_customer_id: null,
    top_up_config: null,
    max_emails_per_day: prefs.dailyLimit,
    notify_on_agent_run: p.AGENT_RUN,
    notify_on_zero_balance: p.ZERO_BALANCE,
    notify_on_low_balance: p.LOW_BALANCE,
    notify_on_block_execution_failed: p.BLOCK_EXECUTION_FAILED,
    notify_on_continuous_agent_error: p.CONTINUOUS_AGENT_ERROR,
    notify_on_daily_summary: p.DAILY_SUMMARY,
    notify_on_weekly_summary: p.WEEKLY_SUMMARY,
    notify_on_monthly_summary: p.MONTHLY_SUMMARY,
    timezone: user.timezone,
  };
}

const NotificationType = Type.Union(
  NOTIFICATION_TYPES.map((t) => Type.Literal(t)),
  { title: "NotificationType" },
);
const preferenceFields = Object.fromEntries(NOTIFICATION_TYPES.map((t) => [t, Type.Boolean()]));

const NotificationPreference = Type.Object(
  {
    user_id: Type.String(),
    email: Type.String({ format: "email" }),
    preferences: Type.Object(preferenceFields, { description: "Which notifications the user wants" }),
    daily_limit: Type.Integer({ default: 10 }),
    emails_sent_today: Type.Integer({ default: 0 }),
    last_reset_date: DateTime,
  },
  { title: "NotificationPreference" },
);

const NotificationPreferenceDTO = Type.Object(
  {
    email: Type.String({ format: "email", maxLength: 254, description: "User's email address" }),
    preferences: Type.Partial(Type.Object(preferenceFields), {
      description: "Which notifications the user wants",
      additionalProperties: false,
      propertyNames: NotificationType,
    }),
    daily_limit: Type.Integer({ minimum: 0, maximum: 10_000, description: "Max emails per day" }),
  },
  { title: "NotificationPreferenceDTO" },
);

function preferencesJSON(prefs: NotificationPreferences): typeof NotificationPreference.static {
  return {
    user_id: prefs.userId,
    email: prefs.email,
    preferences: prefs.preferences,
    daily_limit: prefs.dailyLimit,
    emails_sent_today: prefs.emailsSentToday,
    last_reset_date: prefs.lastResetDate.toISOString(),
  };
}

const TimezoneResponse = Type.Object({ timezone: Type.String() }, { title: "TimezoneResponse" });
const UpdateTimezoneRequest = Type.Object(
  { timezone: Type.String({ minLength: 1, maxLength: 100, description: "An IANA timezone identifier" }) },
  { title: "UpdateTimezoneRequest" },
);

const Email = Type.String({ format: "email", maxLength: 254 });
const Password = Type.String({ minLength: 8, maxLength: 256 });

const TokenResponse = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal("bearer"),
  expires_in: Type.Integer({ description: "Seconds until the access token expires" }),
});
const SessionResponse = Type.Composite([TokenResponse, Type.Object({ user: Type.Ref("User") })]);

export const authRoutes: FastifyPluginAsyncTypebox<{ signupEnabled: boolean }> = async (app, opts) => {
  const { auth, users } = app.platform;
  const tags = ["auth"];

  app.post(
    "/signup",
    {
      schema: {
        tags,
        summary: "Create an account with email and password",
        body: Type.Object({
          email: Email,
          password: Password,
          name: Type.Optional(Type.String({ maxLength: 200 })),
          setup_token: Type.Optional(
            Type.String({
              maxLength: 200,
              description: "The one the server prints at start while it has no admin: this account becomes the admin",
            }),
          ),
        }),
        response: { 201: SessionResponse, ...errors(403, 409, 422, 429) },
      },
    },
    async (request, reply) => {
      if (!opts.signupEnabled) throw ApiError.forbidden("Sign-up is disabled on this instance");
      const { setup_token, ...account } = request.body;
      const { user, ...tokens } = await auth.signup({ ...account, setupToken: setup_token });
      noStore(reply);
      return reply.status(201).send({ ...tokens, user: userJSON(user) });
    },
  );

  app.post(
    "/login",
    {
      schema: {
        tags,
        summary: "Log in with email and password",
        body: Type.Object({ email: Email, password: Type.String({ maxLength: 256 }) }),
        response: { 200: SessionResponse, ...errors(401, 422, 429) },
      },
    },
    async (request, reply) => {
      const { user, ...tokens } = await auth.login(request.body.email, request.body.password);
      noStore(reply);
      return { ...tokens, user: userJSON(user) };
    },
  );

  app.post(
    "/refresh",
    {
      schema: {
        tags,
        summary: "Exchange a refresh token for a new access token (the refresh token rotates)",
        body: Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 512 }) }),
        response: { 200: TokenResponse, ...errors(401, 422, 429) },
      },
    },
    async (request, reply) => {
      const tokens = await auth.refresh(request.body.refresh_token);
      noStore(reply);
      return tokens;
    },
  );

  app.post(
    "/logout",
    {
      preHandler: requireUser,
      schema: {
        tags,
        summary: "End the current session",
        security: [{ bearer: [] }],
        response: { 204: Type.Null(), ...errors(401) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (!principal.sessionId) throw ApiError.badRequest("Only a session token can be logged out");
      await auth.logout(principal.sessionId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    "/user",
    {
      preHandler: requireScope("IDENTITY"),
      schema: {
        tags,
        summary: "The signed-in user (API keys need the IDENTITY scope)",
        security: [{ bearer: [] }, { apiKey: [] }],
        response: { 200: Type.Ref("User"), ...errors(401, 403) },
      },
    },
    async (request) => userJSON(principalOf(request).user),
  );

  const signedIn = { tags, security: anyCredentials };
  /** Changing the account is for the signed-in user, not for an API key or an application acting for them. */
  const sessionOnly = { tags, security: [{ bearer: [] as string[] }] };

  app.post(
    "/user",
    {
      preHandler: requireScope("IDENTITY"),
      schema: {
        ...signedIn,
        summary: "Get or create user (AutoGPT's User model)",
        response: { 200: AutoGPTUser, ...errors(401, 403) },
      },
    },
    async (request) => {
      const user = await users.getOrCreate(principalOf(request).user);
      return autogptUserJSON(user, users.preferencesOf(user));
    },
  );

  app.post(
    "/user/email",
    {
      preHandler: requireSession,
      schema: {
        ...sessionOnly,
        summary: "Update user email",
        body: Type.String({ format: "email", maxLength: 254, title: "Email" }),
        response: { 200: Type.Record(Type.String(), Type.String()), ...errors(401, 403, 409, 422) },
      },
    },
    async (request) => {
      const user = await users.updateEmail(principalOf(request).user.id, request.body);
      return { email: user.email };
    },
  );

  app.get(
    "/user/preferences",
    {
      preHandler: requireScope("IDENTITY"),
      schema: {
        ...signedIn,
        summary: "Get notification preferences",
        response: { 200: NotificationPreference, ...errors(401, 403) },
      },
    },
    async (request) => preferencesJSON(await users.preferences(principalOf(request).user.id)),
  );

  app.post(
    "/user/preferences",
    {
      preHandler: requireSession,
      schema: {
        ...sessionOnly,
        summary: "Update notification preferences",
        description: "Sets the given notification types (the others keep theirs), the daily email limit and the email.",
        body: NotificationPreferenceDTO,
        response: { 200: NotificationPreference, ...errors(401, 403, 409, 422) },
      },
    },
    async (request) => {
      const { email, preferences, daily_limit } = request.body;
      const prefs = await users.updatePreferences(principalOf(request).user.id, {
        email,
        preferences,
        dailyLimit: daily_limit,
      });
      return preferencesJSON(prefs);
    },
  );

  app.get(
    "/user/timezone",
    {
      preHandler: requireScope("IDENTITY"),
      schema: {
        ...signedIn,
        summary: "Get user timezone",
        description: "The user's IANA timezone, or 'not-set'.",
        response: { 200: TimezoneResponse, ...errors(401, 403) },
      },
    },
    async (request) => ({ timezone: await users.timezone(principalOf(request).user.id) }),
  );

  app.post(
    "/user/timezone",
    {
      preHandler: requireSession,
      schema: {
        ...sessionOnly,
        summary: "Update user timezone",
        description: "The timezone must be a valid IANA timezone identifier.",
        body: UpdateTimezoneRequest,
        response: { 200: TimezoneResponse, ...errors(401, 403, 422) },
      },
    },
    async (request) => ({ timezone: await users.setTimezone(principalOf(request).user.id, request.body.timezone) }),
  );
};
