// External API v1: GET /integrations and AutoGPT's /integrations/* credential routes.
//
// Agentry stores no third-party credentials yet and none of its blocks needs a provider's credentials, so these
// routes answer from that real state: no providers, no credentials, and nothing to create, delete or connect.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ApiError } from "../../../core/errors.js";
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

/** Providers whose credentials Agentry can hold: none yet (no built-in block takes a provider's credentials). */
const PROVIDERS: Array<typeof ProviderInfo.static> = [];

const providerNotFound = (provider: string) => ApiError.notFound(`Provider '${provider}'`, { provider });

export const integrationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ["integrations"];
  const noCredentials = async () => [];

  app.get(
    "/integrations",
    scoped(["READ_INTEGRATIONS"], {
      tags,
      summary: "List the caller's integration credentials",
      description:
        "Metadata of the caller's stored third-party credentials (never their secrets); the same list as " +
        "`GET /integrations/credentials`. Agentry does not store third-party credentials yet, so it is empty.",
      response: { 200: Type.Array(CredentialsMetaResponse), ...errors(401, 403) },
    }),
    noCredentials,
  );

  app.get(
    "/integrations/credentials",
    scoped(["READ_INTEGRATIONS"], {
      tags,
      summary: "List all credentials",
      description: "Metadata of the caller's stored credentials. Always empty: Agentry stores none yet.",
      response: { 200: Type.Array(CredentialsMetaResponse), ...errors(401, 403) },
    }),
    noCredentials,
  );

  app.get(
    "/integrations/providers",
    scoped(["READ_INTEGRATIONS"], {
      tags,
      summary: "List integration providers",
      description:
        "Providers whose credentials can be stored, with the credential types each supports. Empty: no built-in " +
        "block of Agentry uses a third-party provider's credentials yet.",
      response: { 200: Type.Array(ProviderInfo), ...errors(401, 403) },
    }),
    async () => PROVIDERS,
  );

  app.get(
    "/integrations/:provider/credentials",
    scoped(["READ_INTEGRATIONS"], {
      tags,
      summary: "List credentials for a provider",
      params: Type.Object({ provider: Provider }),
      response: { 200: Type.Array(CredentialsMetaResponse), ...errors(401, 403, 422) },
    }),
    noCredentials,
  );

  app.post(
    "/integrations/:provider/credentials",
    scoped(["MANAGE_INTEGRATIONS"], {
      tags,
      summary: "Create credentials",
      description:
        "Stores API key, username/password or host-scoped credentials for a known provider. No provider is " +
        "known yet, so every request is 404 (as AutoGPT answers for an unknown provider).",
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
    async (request) => {
      throw providerNotFound(request.params.provider);
    },
  );

  app.delete(
    "/integrations/:provider/credentials/:cred_id",
    scoped(["DELETE_INTEGRATIONS"], {
      tags,
      summary: "Delete a credential",
      description: "Deletes one of the caller's credentials. There are none stored, so it is always 404.",
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
      throw ApiError.notFound("Credentials", { credentials_id: request.params.cred_id });
    },
  );

  app.post(
    "/integrations/:provider/oauth/initiate",
    scoped(["MANAGE_INTEGRATIONS"], {
      tags,
      summary: "Initiate OAuth flow",
      description:
        "Starts a provider's OAuth flow with the caller's callback URL. No provider supports OAuth here yet: 404.",
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
        ...errors(400, 401, 403, 404, 422),
      },
    }),
    async (request) => {
      const { provider } = request.params;
      throw ApiError.notFound(`OAuth provider '${provider}'`, { provider });
    },
  );

  app.post(
    "/integrations/:provider/oauth/complete",
    scoped(["MANAGE_INTEGRATIONS"], {
      tags,
      summary: "Complete OAuth flow",
      description:
        "Exchanges an authorization code for tokens, given the state token of an initiated flow. No flow can be " +
        "initiated yet, so every state token is unknown: 400, as AutoGPT answers an invalid state.",
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
        ...errors(400, 401, 403, 422),
      },
    }),
    async () => {
      throw ApiError.badRequest("Invalid or expired state token");
    },
  );
};
