// /api/admin/oauth/apps: registering OAuth applications (client secret shown once), for admins only.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyReply } from "fastify";
import { GRANT_TYPES, isValidRedirectUri, type OAuthAppRow } from "../../auth/oauth-provider.js";
import { ALL_SCOPES } from "../../auth/scopes.js";
import { ApiError } from "../../core/errors.js";
import { principalOf, requireAdmin, requireUser } from "../auth-hooks.js";
import { noStore } from "../oauth/common.js";
import { DateTime, errors, IdParam, Nullable } from "../schemas.js";

const Scope = Type.Union(
  ALL_SCOPES.map((s) => Type.Literal(s)),
  { title: "APIKeyPermission" },
);
const GrantType = Type.Union(GRANT_TYPES.map((g) => Type.Literal(g)));

const OAuthApplicationInfo = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    logo_url: Nullable(Type.String()),
    client_id: Type.String(),
    redirect_uris: Type.Array(Type.String()),
    grant_types: Type.Array(Type.String()),
    scopes: Type.Array(Type.String()),
    owner_id: Type.String(),
    is_active: Type.Boolean(),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { title: "OAuthApplicationInfo" },
);

const RedirectUris = Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { minItems: 1, maxItems: 50 });
const Scopes = Type.Array(Scope, { minItems: 1, maxItems: ALL_SCOPES.length * 2 });
const Text = (max: number) => Type.String({ maxLength: max });

const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Nullable(Text(2000))),
    logo_url: Type.Optional(Nullable(Text(2048))),
    redirect_uris: RedirectUris,
    scopes: Scopes,
    grant_types: Type.Optional(Type.Array(GrantType, { minItems: 1, maxItems: 2 })),
    owner_id: Type.Optional(Type.String({ description: "The owning user; default: the admin creating it" })),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Nullable(Text(2000))),
    logo_url: Type.Optional(Nullable(Text(2048))),
    redirect_uris: Type.Optional(RedirectUris),
    scopes: Type.Optional(Scopes),
    grant_types: Type.Optional(Type.Array(GrantType, { minItems: 1, maxItems: 2 })),
    is_active: Type.Optional(Type.Boolean({ description: "A disabled application's tokens stop working at once" })),
  },
  { additionalProperties: false },
);

export function appJSON(row: OAuthAppRow): Static<typeof OAuthApplicationInfo> {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    logo_url: row.logoUrl,
    client_id: row.clientId,
    redirect_uris: row.redirectUris,
    grant_types: row.grantTypes,
    scopes: row.scopes,
    owner_id: row.ownerId,
    is_active: row.isActive,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function checkRedirectUris(uris: string[] | undefined): void {
  const bad = (uris ?? [])
    .map((uri, i) => ({ uri, i }))
    .filter(({ uri }) => !isValidRedirectUri(uri))
    .map(({ i }) => ({
      field: `body.redirect_uris.${i}`,
      message: "must be an absolute URL without a fragment",
      location: "body",
    }));
  if (bad.length > 0) throw ApiError.validation("Invalid redirect URI", bad);
}

export const adminOauthAppRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users, oauth: provider } = app.platform;
  const common = { tags: ["admin", "oauth"], security: [{ bearer: [] }] };
  app.addHook("preHandler", requireUser);
  app.addHook("preHandler", requireAdmin);

  app.post(
    "",
    {
      schema: {
        ...common,
        summary: "Register an OAuth application; the client secret is in this response only",
        body: CreateBody,
        response: {
          201: Type.Object({
            application: OAuthApplicationInfo,
            client_secret_plaintext: Type.String({ description: "Shown once; stored only as a hash" }),
          }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      checkRedirectUris(body.redirect_uris);
      const ownerId = body.owner_id ?? principalOf(request).user.id;
      if (!(await users.exists(ownerId))) {
        throw ApiError.validation("Unknown owner", [
          { field: "body.owner_id", message: "no such user", location: "body" },
        ]);
      }
      const { app: row, clientSecret } = await provider.createApp({
        name: body.name,
        description: body.description,
        logoUrl: body.logo_url,
        redirectUris: body.redirect_uris,
        scopes: body.scopes,
        grantTypes: body.grant_types,
        ownerId,
      });
      request.log.info({ app_id: row.id, client_id: row.clientId }, "oauth application registered");
      noStore(reply);
      return reply.status(201).send({ application: appJSON(row), client_secret_plaintext: clientSecret });
    },
  );

  app.get(
    "",
    {
      schema: {
        ...common,
        summary: "List OAuth applications",
        querystring: Type.Object({
          page: Type.Integer({ minimum: 1, default: 1 }),
          page_size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          search: Type.Optional(Type.String({ maxLength: 200, description: "In name, client id or description" })),
        }),
        response: {
          200: Type.Object({
            applications: Type.Array(OAuthApplicationInfo),
            total: Type.Integer(),
            page: Type.Integer(),
            page_size: Type.Integer(),
            total_pages: Type.Integer(),
          }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request) => {
      const { page, page_size, search } = request.query;
      const { rows, total } = await provider.listApps(page, page_size, search);
      return {
        applications: rows.map(appJSON),
        total,
        page,
        page_size,
        total_pages: Math.ceil(total / page_size),
      };
    },
  );

  app.get(
    "/:id",
    {
      schema: {
        ...common,
        summary: "Get an OAuth application",
        params: IdParam,
        response: { 200: OAuthApplicationInfo, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const row = await provider.getApp(request.params.id);
      if (!row) throw ApiError.notFound("OAuth application");
      return appJSON(row);
    },
  );

  const update = {
    schema: {
      ...common,
      summary: "Update an OAuth application (name, description, redirect URIs, scopes, grant types, active flag)",
      params: IdParam,
      body: UpdateBody,
      response: { 200: OAuthApplicationInfo, ...errors(401, 403, 404, 422) },
    },
  };
  const handleUpdate = async (request: { params: { id: string }; body: Static<typeof UpdateBody> }) => {
    const body = request.body;
    checkRedirectUris(body.redirect_uris);
    const row = await provider.updateApp(request.params.id, {
      name: body.name,
      description: body.description,
      logoUrl: body.logo_url,
      redirectUris: body.redirect_uris,
      scopes: body.scopes,
      grantTypes: body.grant_types,
      isActive: body.is_active,
    });
    if (!row) throw ApiError.notFound("OAuth application");
    return appJSON(row);
  };
  app.patch("/:id", update, handleUpdate);
  app.put("/:id", update, handleUpdate);

  app.delete(
    "/:id",
    {
      schema: {
        ...common,
        summary: "Delete an OAuth application with all its codes and tokens",
        params: IdParam,
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!(await provider.deleteApp(request.params.id))) throw ApiError.notFound("OAuth application");
      request.log.info({ app_id: request.params.id }, "oauth application deleted");
      return reply.status(204).send(null);
    },
  );

  const rotate = {
    schema: {
      ...common,
      summary: "Replace the client secret; the new one is in this response only and the old one stops working",
      params: IdParam,
      response: {
        200: Type.Object({ client_secret: Type.String({ description: "Shown once; stored only as a hash" }) }),
        ...errors(401, 403, 404),
      },
    },
  };
  const handleRotate = async (
    request: { params: { id: string }; log: { info: (o: object, m: string) => void } },
    reply: FastifyReply,
  ) => {
    const clientSecret = await provider.rotateSecret(request.params.id);
    if (!clientSecret) throw ApiError.notFound("OAuth application");
    request.log.info({ app_id: request.params.id }, "oauth client secret rotated");
    noStore(reply);
    return { client_secret: clientSecret };
  };
  app.post("/:id/rotate-secret", rotate, handleRotate);
  // AutoGPT's name for the same action.
  app.post("/:id/regenerate-secret", rotate, handleRotate);
};
