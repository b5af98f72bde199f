// /api/integrations: AutoGPT's credential routes (v0.6.44): list, create, read and delete a user's third-party
// credentials, and the providers they can be stored for. Every answer is metadata: a secret field is AutoGPT's
// masked SecretStr ("**********"), never the stored value.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import type { CredentialMeta, NewCredential } from "../../services/integrations.js";
import { principalOf, requireScope } from "../auth-hooks.js";
import { anyCredentials, errors, Nullable } from "../schemas.js";

/** How AutoGPT serializes a pydantic SecretStr. */
const MASK = "**********";

const CredentialType = Type.Union(
  [Type.Literal("api_key"), Type.Literal("oauth2"), Type.Literal("user_password"), Type.Literal("host_scoped")],
  { title: "Type" },
);

/** AutoGPT's CredentialsMetaResponse. */
const CredentialsMetaResponse = Type.Object(
  {
    id: Type.String(),
    provider: Type.String(),
    type: CredentialType,
    title: Nullable(Type.String()),
    scopes: Nullable(Type.Array(Type.String())),
    username: Nullable(Type.String()),
    host: Nullable(Type.String({ description: "Host pattern for host-scoped credentials" })),
  },
  { title: "CredentialsMetaResponse" },
);

const Title = Type.Optional(Nullable(Type.String({ maxLength: 500 })));
const Secret = Type.String({ minLength: 1, maxLength: 10_000 });
/** AutoGPT's bodies repeat `id` and `provider`; the path's provider wins and ids are assigned here. */
const Echoed = { id: Type.Optional(Type.String()), provider: Type.Optional(Type.String()) };
const UnixSeconds = Type.Optional(Nullable(Type.Integer({ minimum: 0 })));

/** AutoGPT's POST body: OAuth2Credentials | APIKeyCredentials | UserPasswordCredentials | HostScopedCredentials. */
const CreateBody = Type.Union(
  [
    Type.Object(
      { ...Echoed, type: Type.Literal("api_key"), title: Title, api_key: Secret, expires_at: UnixSeconds },
      { title: "APIKeyCredentials" },
    ),
    Type.Object(
      {
        ...Echoed,
        type: Type.Literal("user_password"),
        title: Title,
        username: Type.String({ maxLength: 500 }),
        password: Secret,
      },
      { title: "UserPasswordCredentials" },
    ),
    Type.Object(
      {
        ...Echoed,
        type: Type.Literal("host_scoped"),
        title: Title,
        host: Type.String({ minLength: 1, maxLength: 500 }),
        headers: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 10_000 }), { maxProperties: 50 })),
      },
      { title: "HostScopedCredentials" },
    ),
    Type.Object(
      {
        ...Echoed,
        type: Type.Literal("oauth2"),
        title: Title,
        username: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
        access_token: Secret,
        access_token_expires_at: UnixSeconds,
        refresh_token: Type.Optional(Nullable(Secret)),
        refresh_token_expires_at: UnixSeconds,
        scopes: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 100 }),
        metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      { title: "OAuth2Credentials" },
    ),
  ],
  { title: "CredentialsInput" },
);

/** A stored credential in AutoGPT's Credentials union shape, its secrets masked. */
const MaskedCredentials = Type.Object(
  {
    id: Type.String(),
    provider: Type.String(),
    type: CredentialType,
    title: Nullable(Type.String()),
    api_key: Type.Optional(Type.String()),
    expires_at: Type.Optional(Nullable(Type.Integer())),
    username: Type.Optional(Nullable(Type.String())),
    password: Type.Optional(Type.String()),
    host: Type.Optional(Type.String()),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    access_token: Type.Optional(Type.String()),
    access_token_expires_at: Type.Optional(Nullable(Type.Integer())),
    refresh_token: Type.Optional(Nullable(Type.String())),
    refresh_token_expires_at: Type.Optional(Nullable(Type.Integer())),
    scopes: Type.Optional(Type.Array(Type.String())),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { title: "Credentials", description: "The credential with every secret masked as AutoGPT masks a SecretStr" },
);

const ProviderParam = Type.String({ minLength: 1, maxLength: 100, title: "The provider" });
const CredIdParam = Type.String({ minLength: 1, maxLength: 200, title: "The ID of the credentials" });

const DeletionResponse = Type.Object(
  { deleted: Type.Literal(true), revoked: Nullable(Type.Boolean()) },
  { title: "CredentialsDeletionResponse" },
);

const unix = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);

function metaJSON(c: CredentialMeta): typeof CredentialsMetaResponse.static {
  return {
    id: c.id,
    provider: c.provider,
    type: c.type,
    title: c.title,
    scopes: c.type === "oauth2" ? c.scopes : null,
    username: c.username,
    host: c.host,
  };
}

function maskedJSON(c: CredentialMeta, headerNames: string[] = []): typeof MaskedCredentials.static {
  const base = { id: c.id, provider: c.provider, type: c.type, title: c.title };
  switch (c.type) {
    case "api_key":
      return { ...base, api_key: MASK, expires_at: unix(c.expiresAt) };
    case "user_password":
      return { ...base, username: c.username ?? "", password: MASK };
    case "host_scoped":
      return { ...base, host: c.host ?? "", headers: Object.fromEntries(headerNames.map((h) => [h, MASK])) };
    case "oauth2":
      return {
        ...base,
        username: c.username,
        access_token: MASK,
        access_token_expires_at: unix(c.expiresAt),
        refresh_token: null,
        refresh_token_expires_at: null,
        scopes: c.scopes,
        metadata: {},
      };
  }
}

export const integrationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { integrations, webhooks } = app.platform;
  const common = { tags: ["integrations"], security: anyCredentials };
  // Scopes are checked before the body is validated: a caller without them learns nothing from a 422.
  const read = requireScope("READ_INTEGRATIONS");
  const manage = requireScope("MANAGE_INTEGRATIONS");
  const remove = requireScope("DELETE_INTEGRATIONS");
  const userOf = (request: FastifyRequest) => principalOf(request).user.id;
  const listAll = async (request: FastifyRequest) =>
    (await integrations.listCredentials(userOf(request))).map(metaJSON);
  const providerNames = async () => (await integrations.providers()).map((p) => p.name);
  /** Stores a credential from a create body (its `id` and `provider` fields are not the caller's to choose). */
  const create = async (userId: string, provider: string, body: typeof CreateBody.static) => {
    const { id: _id, provider: _provider, ...input } = body as typeof CreateBody.static & { provider?: string };
    const created = await integrations.createCredential(userId, provider, input as NewCredential);
    return maskedJSON(created, input.type === "host_scoped" ? Object.keys(input.headers ?? {}) : []);
  };

  // The seed's paths, on the same store: list, add (the provider in the body) and remove by id.
  app.get(
    "",
    {
      schema: {
        ...common,
        summary: "List the caller's integrations (credentials metadata, as GET /credentials)",
        response: { 200: Type.Array(CredentialsMetaResponse), ...errors(401, 403) },
      },
      preValidation: read,
    },
    listAll,
  );

  app.post(
    "",
    {
      schema: {
        ...common,
        summary: "Add an integration: a credential for the body's `provider`, as POST /{provider}/credentials",
        body: Type.Intersect([Type.Object({ provider: ProviderParam }), CreateBody]),
        response: { 201: MaskedCredentials, ...errors(401, 403, 404, 422) },
      },
      preValidation: manage,
    },
    async (request, reply) => {
      reply.code(201);
      return create(userOf(request), request.body.provider, request.body);
    },
  );

  app.delete(
    "/:cred_id",
    {
      schema: {
        ...common,
        summary: "Remove an integration (one of the caller's credentials) by id",
        params: Type.Object({ cred_id: CredIdParam }),
        response: {
          200: DeletionResponse,
          ...errors(401, 403, 404, 422),
        },
      },
      preValidation: remove,
    },
    async (request) => {
      const revoked = await integrations.deleteCredential(userOf(request), undefined, request.params.cred_id);
      return { deleted: true as const, revoked };
    },
  );

  app.get(
    "/credentials",
    {
      schema: {
        ...common,
        summary: "List the caller's credentials, of every provider (metadata only)",
        response: { 200: Type.Array(CredentialsMetaResponse), ...errors(401, 403) },
      },
      preValidation: read,
    },
    listAll,
  );

  app.get(
    "/providers",
    {
      schema: {
        ...common,
        summary: "The providers credentials can be stored for (those Agentry's blocks take credentials for)",
        response: { 200: Type.Array(Type.String()), ...errors(401, 403) },
      },
      preValidation: read,
    },
    providerNames,
  );

  app.get(
    "/providers/names",
    {
      schema: {
        ...common,
        summary: "The provider names, as AutoGPT's ProviderNamesResponse",
        response: {
          200: Type.Object({ providers: Type.Array(Type.String()) }, { title: "ProviderNamesResponse" }),
          ...errors(401, 403),
        },
      },
      preValidation: read,
    },
    async () => ({ providers: await providerNames() }),
  );

  app.get(
    "/providers/constants",
    {
      schema: {
        ...common,
        summary: "The provider names as a constant mapping (AutoGPT's ProviderConstants)",
        response: {
          200: Type.Object(
            { PROVIDER_NAMES: Type.Record(Type.String(), Type.String()) },
            { title: "ProviderConstants" },
          ),
          ...errors(401, 403),
        },
      },
      preValidation: read,
    },
    async () => {
      const names = await providerNames();
      return { PROVIDER_NAMES: Object.fromEntries(names.map((n) => [n.toUpperCase().replace(/[^A-Z0-9]+/g, "_"), n])) };
    },
  );

  app.get(
    "/providers/system",
    {
      schema: {
        ...common,
        summary: "Providers the operator holds credentials for, usable by every user's runs",
        description: "Those whose key the operator set in the environment (OPENAI_API_KEY…); never the keys.",
        response: { 200: Type.Array(Type.String()), ...errors(401, 403) },
      },
      preValidation: read,
    },
    async () => integrations.systemProviders(),
  );

  app.get(
    "/:provider/credentials",
    {
      schema: {
        ...common,
        summary: "List the caller's credentials of one provider (metadata only)",
        params: Type.Object({ provider: ProviderParam }),
        response: { 200: Type.Array(CredentialsMetaResponse), ...errors(401, 403, 422) },
      },
      preValidation: read,
    },
    async (request) => (await integrations.listCredentials(userOf(request), request.params.provider)).map(metaJSON),
  );

  app.post(
    "/:provider/credentials",
    {
      schema: {
        ...common,
        summary: "Store a credential (API key, username and password, host-scoped headers or OAuth2 tokens)",
        description:
          "The secret part is encrypted at rest and never answered again: the response masks it as AutoGPT " +
          "masks a SecretStr. An unknown provider is 404.",
        params: Type.Object({ provider: ProviderParam }),
        body: CreateBody,
        response: { 201: MaskedCredentials, ...errors(401, 403, 404, 422) },
      },
      preValidation: manage,
    },
    async (request, reply) => {
      reply.code(201);
      return create(userOf(request), request.params.provider, request.body);
    },
  );

  app.get(
    "/:provider/login",
    {
      schema: {
        ...common,
        summary: "Initiate OAuth flow",
        description:
          "Starts the provider's OAuth2 flow: a state token (single use, valid 10 minutes) and the provider's login " +
          "URL (with an S256 PKCE challenge where the provider supports it). The provider redirects to the " +
          "frontend's `/auth/integrations/oauth_callback`, which posts the code to `/{provider}/callback`. 404 for a " +
          "provider without OAuth, 501 for one whose client id and secret the operator has not set.",
        params: Type.Object({ provider: ProviderParam }),
        querystring: Type.Object({
          scopes: Type.String({
            default: "",
            maxLength: 10_000,
            title: "Comma-separated list of authorization scopes",
          }),
        }),
        response: {
          200: Type.Object({ login_url: Type.String(), state_token: Type.String() }, { title: "LoginResponse" }),
          ...errors(401, 403, 404, 422, 501),
        },
      },
      preValidation: manage,
    },
    async (request) => {
      const scopes = request.query.scopes ? request.query.scopes.split(",") : [];
      const flow = await integrations.initiateOAuth(userOf(request), request.params.provider, scopes);
      return { login_url: flow.loginUrl, state_token: flow.stateToken };
    },
  );

  app.post(
    "/:provider/callback",
    {
      schema: {
        ...common,
        summary: "Exchange OAuth code for tokens",
        description:
          "Completes a flow the caller started: 400 for an unknown, expired, already used or another provider's " +
          "state token, or when the provider refuses the code. The tokens are stored encrypted; the answer is " +
          "the new credentials' metadata.",
        params: Type.Object({ provider: ProviderParam }),
        body: Type.Object(
          {
            code: Type.String({ minLength: 1, maxLength: 10_000, title: "Authorization code acquired by user login" }),
            state_token: Type.String({ minLength: 1, maxLength: 500, title: "Anti-CSRF nonce" }),
          },
          { title: "Body_postV1Exchange oauth code for tokens" },
        ),
        response: { 200: CredentialsMetaResponse, ...errors(400, 401, 403, 404, 422, 501) },
      },
      preValidation: manage,
    },
    async (request) =>
      metaJSON(
        await integrations.completeOAuth(userOf(request), request.params.provider, {
          code: request.body.code,
          stateToken: request.body.state_token,
        }),
      ),
  );

  // No caller authentication: the webhook's URL (and its X-Webhook-Secret, when the trigger sets one) is the
  // credential, as in AutoGPT, where the provider's webhook manager validates the request.
  app.post(
    "/:provider/webhooks/:webhook_id/ingress",
    {
      schema: {
        tags: ["integrations"],
        summary: "Webhook Ingress Generic",
        description:
          "Receives a webhook's event: a JSON object, handed as `payload` to every trigger node attached to the " +
          "webhook, each starting a run of its graph. 404 for an unknown webhook, 403 for a wrong or missing " +
          "`X-Webhook-Secret` when the trigger sets a secret token, 400 for a payload that is not a JSON object.",
        params: Type.Object({
          provider: Type.String({ minLength: 1, maxLength: 100, title: "Provider where the webhook was registered" }),
          webhook_id: Type.String({ minLength: 1, maxLength: 200, title: "Our ID for the webhook" }),
        }),
        body: Type.Unknown(),
        response: { 200: Type.Null(), ...errors(400, 403, 404, 415, 422) },
      },
    },
    async (request) => {
      const { provider, webhook_id } = request.params;
      await webhooks.ingress(provider, webhook_id, request.body, request.headers);
      return null;
    },
  );

  app.post(
    "/webhooks/:webhook_id/ping",
    {
      schema: {
        ...common,
        summary: "Webhook Ping",
        description:
          "Asks the webhook's provider to send a ping event and waits for it. The generic provider has no way to be " +
          "asked, so the answer is `false`, as AutoGPT answers for webhooks whose manager cannot ping.",
        params: Type.Object({
          webhook_id: Type.String({ minLength: 1, maxLength: 200, title: "Our ID for the webhook" }),
        }),
        response: { 200: Type.Boolean(), ...errors(401, 403, 404, 422) },
      },
      preValidation: read,
    },
    async (request) => webhooks.ping(userOf(request), request.params.webhook_id),
  );

  app.get(
    "/:provider/credentials/:cred_id",
    {
      schema: {
        ...common,
        summary: "One of the caller's credentials, its secrets masked",
        params: Type.Object({ provider: ProviderParam, cred_id: CredIdParam }),
        response: { 200: MaskedCredentials, ...errors(401, 403, 404, 422) },
      },
      preValidation: read,
    },
    async (request) => {
      const { provider, cred_id } = request.params;
      const found = await integrations.getCredential(userOf(request), cred_id, provider);
      return maskedJSON(found, await integrations.headerNames(userOf(request), found));
    },
  );

  app.delete(
    "/:provider/credentials/:cred_id",
    {
      schema: {
        ...common,
        summary: "Delete one of the caller's credentials",
        description:
          "OAuth2 tokens are revoked at their provider (`revoked` says whether that worked); `revoked` is null for " +
          "API keys, passwords and headers, which their provider cannot revoke.",
        params: Type.Object({ provider: ProviderParam, cred_id: CredIdParam }),
        querystring: Type.Object({ force: Type.Boolean({ default: false }) }),
        response: {
          200: DeletionResponse,
          ...errors(401, 403, 404, 422),
        },
      },
      preValidation: remove,
    },
    async (request) => {
      const { provider, cred_id } = request.params;
      const revoked = await integrations.deleteCredential(userOf(request), provider, cred_id);
      return { deleted: true as const, revoked };
    },
  );
};
