// /api/auth: sign up, log in, refresh, log out, and the signed-in user.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { UserRow } from "../../auth/service.js";
import { ApiError } from "../../core/errors.js";
import { principalOf, requireScope, requireUser } from "../auth-hooks.js";
import { noStore } from "../oauth/common.js";
import { DateTime, errors, Nullable } from "../schemas.js";

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
  const { auth } = app.platform;
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
};
