// /api/api-keys: a user's API keys: create (the key is shown once), list, get, revoke, suspend, re-scope.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ALL_SCOPES } from "../../auth/scopes.js";
import type { ApiKey } from "../../services/api-keys.js";
import { principalOf, requireSession } from "../auth-hooks.js";
import { noStore } from "../oauth/common.js";
import { DateTime, errors, IdParam, Nullable } from "../schemas.js";

const Permission = Type.Union(
  ALL_SCOPES.map((s) => Type.Literal(s)),
  { title: "APIKeyPermission" },
);

export const APIKeyInfo = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    head: Type.String({ description: "The first 8 characters of the key" }),
    tail: Type.String({ description: "The last 8 characters of the key" }),
    status: Type.Union([Type.Literal("ACTIVE"), Type.Literal("REVOKED"), Type.Literal("SUSPENDED")]),
    description: Nullable(Type.String()),
    type: Type.Literal("api_key"),
    user_id: Type.String(),
    scopes: Type.Array(Permission),
    created_at: DateTime,
    last_used_at: Nullable(DateTime),
    revoked_at: Nullable(DateTime),
  },
  { $id: "APIKeyInfo", title: "APIKeyInfo" },
);

function keyJSON(row: ApiKey) {
  return {
    id: row.id,
    name: row.name,
    head: row.head,
    tail: row.tail,
    status: row.status,
    description: row.description,
    type: "api_key" as const,
    user_id: row.userId,
    scopes: row.permissions as (typeof ALL_SCOPES)[number][],
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

const Permissions = Type.Array(Permission, { maxItems: ALL_SCOPES.length * 2 });

export const apiKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { apiKeys } = app.platform;
  const common = { tags: ["api-keys"], security: [{ bearer: [] }] };
  app.addHook("preHandler", requireSession);

  app.post(
    "",
    {
      schema: {
        ...common,
        summary: "Create an API key; the plain key is in this response only",
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          permissions: Permissions,
          description: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
        }),
        response: {
          200: Type.Object({ api_key: Type.Ref("APIKeyInfo"), plain_text_key: Type.String() }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request, reply) => {
      const { row, plainText } = await apiKeys.create(principalOf(request).user, request.body);
      noStore(reply);
      return { api_key: keyJSON(row), plain_text_key: plainText };
    },
  );

  app.get(
    "",
    {
      schema: {
        ...common,
        summary: "List API keys",
        response: { 200: Type.Array(Type.Ref("APIKeyInfo")), ...errors(401) },
      },
    },
    async (request) => (await apiKeys.list(principalOf(request).user.id)).map(keyJSON),
  );

  app.get(
    "/:id",
    {
      schema: {
        ...common,
        summary: "Get an API key",
        params: IdParam,
        response: { 200: Type.Ref("APIKeyInfo"), ...errors(401, 404) },
      },
    },
    async (request) => keyJSON(await apiKeys.get(principalOf(request).user.id, request.params.id)),
  );

  app.delete(
    "/:id",
    {
      schema: {
        ...common,
        summary: "Revoke an API key",
        params: IdParam,
        response: { 200: Type.Ref("APIKeyInfo"), ...errors(401, 404) },
      },
    },
    async (request) => keyJSON(await apiKeys.revoke(principalOf(request).user.id, request.params.id)),
  );

  app.post(
    "/:id/suspend",
    {
      schema: {
        ...common,
        summary: "Suspend an API key",
        params: IdParam,
        response: { 200: Type.Ref("APIKeyInfo"), ...errors(401, 404, 409) },
      },
    },
    async (request) => keyJSON(await apiKeys.suspend(principalOf(request).user.id, request.params.id)),
  );

  app.put(
    "/:id/permissions",
    {
      schema: {
        ...common,
        summary: "Replace an API key's permissions",
        params: IdParam,
        body: Type.Object({ permissions: Permissions }),
        response: { 200: Type.Ref("APIKeyInfo"), ...errors(401, 404, 422) },
      },
    },
    async (request) =>
      keyJSON(await apiKeys.setPermissions(principalOf(request).user.id, request.params.id, request.body.permissions)),
  );
};
