// /api/oauth/authorized-apps: the applications a user has let in, and taking that back.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ApiError } from "../../core/errors.js";
import { principalOf, requireSession } from "../auth-hooks.js";
import { DateTime, errors, Nullable } from "../schemas.js";

const AuthorizedApp = Type.Object(
  {
    app_id: Type.String(),
    client_id: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    logo_url: Nullable(Type.String()),
    scopes: Type.Array(Type.String(), { description: "Scopes held by the application's live tokens" }),
    granted_at: { ...DateTime, description: "When the oldest live token was issued" },
    expires_at: { ...DateTime, description: "When the last live token expires unless refreshed" },
  },
  { title: "OAuthAuthorizedApp" },
);

export const authorizedAppRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const provider = app.platform.oauth;
  const common = { tags: ["oauth"], security: [{ bearer: [] }] };
  app.addHook("preHandler", requireSession);

  app.get(
    "",
    {
      schema: {
        ...common,
        summary: "List the applications the signed-in user has authorized, with the scopes they hold",
        response: { 200: Type.Array(AuthorizedApp), ...errors(401, 403) },
      },
    },
    async (request) => provider.listAuthorizedApps(principalOf(request).user.id),
  );

  app.delete(
    "/:app_id",
    {
      schema: {
        ...common,
        summary: "Revoke an application: every token the user granted it stops working at once",
        params: Type.Object({ app_id: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).user.id;
      if (!(await provider.revokeAuthorizedApp(userId, request.params.app_id))) {
        throw ApiError.notFound("OAuth application");
      }
      request.log.info({ app_id: request.params.app_id }, "oauth application revoked by user");
      return reply.status(204).send(null);
    },
  );
};
