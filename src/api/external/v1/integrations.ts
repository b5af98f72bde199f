// External API v1: GET /integrations and AutoGPT's /integrations/* credential routes.
//
// IntegrationsService answers (v2's /integrations too); this file maps to v1's shapes (AutoGPT's
// CredentialsMetaResponse, ProviderInfo).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import type { CredentialMeta, ProviderInfo as StoredProvider } from "../../../services/integrations.js";
import { principalOf } from "../../auth-hooks.js";
import { errors, Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { Json, StringEnum } from "./schemas.js";

/** AutoGPT's CredentialsMetaResponse: a stored credential without its secret. */
const CredentialsMetaResponse = Type.Object(
  {
    id: Type.String(),
    provider: Type.String(),
    type: StringEnum(["api_key", "oauth2", "user_password", "host_scoped"] as const),
    title: Nullable(Type.String()),
    scopes: Nullable(Type.Array(Type.String())),
    username: Nullable(Type.String()),
    host: Type.Optional(Nullable(Type.String())),
    is_managed: Type.Optional(Type.Boolean()),
  },
  { title: "CredentialsMetaResponse" },
);

const ProviderInfo = Type.Object(
  {
    name: Type.String(),
    supports_oauth: Type.Boolean(),
    supports_api_key: Type.Boolean(),
    supports_user_password: Type.Boolean(),
    supports_host_scoped: Type.Boolean(),
    default_scopes: Type.Array(Type.String()),
  },
  { title: "ProviderInfo" },
);

const Provider = Type.String({ minLength: 1, maxLength: 100, title: "The provider" });

const CreateCredentialRequest = Type.Union(
  [
    Type.Object({
      type: Type.Literal("api_key"),
      api_key: Type.String(),
      title: Type.String(),
      expires_at: Type.Optional(Nullable(Type.Integer())),
    }),
    Type.Object({
      type: Type.Literal("user_password"),
      username: Type.String(),
      password: Type.String(),
      title: Type.String(),
    }),
    Type.Object({
      type: Type.Literal("host_scoped"),
      host: Type.String(),
      headers: Type.Record(Type.String(), Type.String()),
      title: Type.String(),
    }),
  ],
  { title: "CreateCredentialRequest" },
);

function credentialJSON(c: CredentialMeta): typeof CredentialsMetaResponse.static {
  return {
    id: c.id,
    provider: c.provider,
    type: c.type,
    title: c.title,
    scopes: c.scopes,
    username: c.username,
    host: c.host,
    is_managed: c.isManaged,
  };
}

function providerJSON(p: StoredProvider): typeof ProviderInfo.static {
  return {
    name: p.name,
    supports_oauth: p.supportsOAuth,
    supports_api_key: p.supportsApiKey,
    supports_user_password: p.supportsUserPassword,
    supports_host_scoped: p.supportsHostScoped,
    default_scopes: p.defaultScopes,
  };
}

export const integrationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { integrations } = app.platform;
  const tags = ["integrations"];
  /** The caller's credentials, of the route's `:provider` where it has one. */
  const credentials = async (request: FastifyRequest) => {
    const { provider } = request.params as { provider?: string };
    return (await integrations.listCredentials(principalOf(request).user.id, provider)).map(credentialJSON);
  };

  app.get(
    "/integrations",
    scoped(["READ_INTEGRATIONS"], {
      tags,
      summary: "List the caller's integration credentials",
      description:
        "Metadata of the caller's stored third-party credentials (never their secrets); the same list as " +
        "`GET /integrations/credentials`.",
      response: { 200: Type.Array(CredentialsMetaResponse), ...errors(401, 403) },
    }),
    credentials,
  );

  app.get(
    "/integrations/credentials",
    scoped(["READ_INTEGRATIONS"], {
      tags,
      summary: "List all credentials",
      description: "Metadata of the caller's stored credentials (never their secrets).",
      response: { 200: Type.Array(CredentialsMetaResponse), ...errors(401, 403) },
    }),
    credentials,
  );

  app.get(
    "/integrations/providers",
    scoped(["READ_INTEGRATIONS"], {
      tags,
      summary: "List integration providers",
      description:
        "Providers whose credentials can be stored (those Agentry's blocks take credentials for), with the " +
        "credential types each supports.",
      response: { 200: Type.Array(ProviderInfo), ...errors(401, 403) },
    }),
    async () => (await integrations.providers()).map(providerJSON),
  );

  app.get(
    "/integrations/:provider/credentials",
    scoped(["READ_INTEGRATIONS"], {
      tags,
      summary: "List credentials for a provider",
      params: Type.Object({ provider: Provider }),
      response: { 200: Type.Array(CredentialsMetaResponse), ...errors(401, 403, 422) },
    }),
    credentials,
  );

  app.post(
    "/integrations/:provider/credentials",
    scoped(["MANAGE_INTEGRATIONS"], {
      tags,
      summary: "Create credentials",
      description:
        "Stores API key, username/password or host-scoped credentials for a known provider, the secret encrypted " +
        "at rest; an unknown provider is 404, as AutoGPT answers.",
      params: Type.Object({ provider: Provider }),
      body: CreateCredentialRequest,
      response: {
        201: Type.Object(
          {
            id: Type.String(),
            provider: Type.String(),
            type: Type.String(),
            title: Nullable(Type.String()),
          },
          { title: "CreateCredentialResponse" },
        ),
        ...errors(401, 403, 404, 422),
      },
    }),
    async (request, reply) => {
      reply.code(201);
      const created = await integrations.createCredential(
        principalOf(request).user.id,
        request.params.provider,
        request.body,
      );
      return { id: created.id, provider: created.provider, type: created.type, title: created.title };
    },
  );

  app.delete(
    "/integrations/:provider/credentials/:cred_id",
    scoped(["DELETE_INTEGRATIONS"], {
      tags,
      summary: "Delete a credential",
      description: "Deletes one of the caller's credentials; 404 for an unknown id or another user's.",
      params: Type.Object({ provider: Provider, cred_id: Type.String({ minLength: 1, maxLength: 200 }) }),
      response: {
        200: Type.Object(
          { deleted: Type.Boolean(), credentials_id: Type.String() },
          { title: "DeleteCredentialResponse" },
        ),
        ...errors(401, 403, 404),
      },
    }),
    async (request) => {
      const { provider, cred_id } = request.params;
      await integrations.deleteCredential(principalOf(request).user.id, provider, cred_id);
      return { deleted: true, credentials_id: cred_id };
    },
  );

  app.post(
    "/integrations/:provider/oauth/initiate",
    scoped(["MANAGE_INTEGRATIONS"], {
      tags,
      summary: "Initiate OAuth flow",
      description:
        "Starts a provider's OAuth2 flow (the state token is valid 10 minutes, once); the provider redirects to the " +
        "frontend's `/auth/integrations/oauth_callback`. 404 for a provider without OAuth, 501 for one not configured.",
      params: Type.Object({ provider: Provider }),
      body: Type.Object({
        callback_url: Type.String({ description: "The external app's callback URL for OAuth redirect" }),
        scopes: Type.Optional(Type.Array(Type.String())),
        state_metadata: Type.Optional(Json),
      }),
      response: {
        200: Type.Object(
          { login_url: Type.String(), state_token: Type.String(), expires_at: Type.Integer() },
          { title: "OAuthInitiateResponse" },
        ),
        ...errors(400, 401, 403, 404, 422, 501),
      },
    }),
    async (request) => {
      const flow = await integrations.initiateOAuth(
        principalOf(request).user.id,
        request.params.provider,
        request.body.scopes ?? [],
      );
      return { login_url: flow.loginUrl, state_token: flow.stateToken, expires_at: flow.expiresAt };
    },
  );

  app.post(
    "/integrations/:provider/oauth/complete",
    scoped(["MANAGE_INTEGRATIONS"], {
      tags,
      summary: "Complete OAuth flow",
      description:
        "Exchanges an authorization code for tokens, given the state token of an initiated flow (400 for an " +
        "unknown, expired or used one, as AutoGPT answers).",
      params: Type.Object({ provider: Provider }),
      body: Type.Object({ code: Type.String(), state_token: Type.String() }),
      response: {
        200: Type.Object(
          {
            credentials_id: Type.String(),
            provider: Type.String(),
            type: Type.String(),
            title: Nullable(Type.String()),
            scopes: Type.Array(Type.String()),
            username: Nullable(Type.String()),
            state_metadata: Json,
          },
          { title: "OAuthCompleteResponse" },
        ),
        ...errors(400, 401, 403, 404, 422, 501),
      },
    }),
    async (request) => {
      const c = await integrations.completeOAuth(principalOf(request).user.id, request.params.provider, {
        code: request.body.code,
        stateToken: request.body.state_token,
      });
      return {
        credentials_id: c.id,
        provider: c.provider,
        type: c.type,
        title: c.title,
        scopes: c.scopes,
        username: c.username,
        state_metadata: {},
      };
    },
  );
};
