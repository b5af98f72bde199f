// /api/oauth/token, /revoke, /introspect: the client-authenticated endpoints, speaking OAuth's own error JSON.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { OAuthError } from "../../auth/oauth-provider.js";
import { noStore, OAuthErrorBody } from "./common.js";

const FORM = "application/x-www-form-urlencoded";

const Str = (description?: string) => Type.Optional(Type.String({ maxLength: 4096, description }));
const ClientAuthFields = {
  client_id: Str("client_secret_post: the client id (or send HTTP Basic credentials)"),
  client_secret: Str("client_secret_post: the client secret"),
};

const TokenRequest = Type.Object(
  {
    grant_type: Str("`authorization_code` or `refresh_token`"),
    code: Str("authorization_code: the code from the redirect"),
    redirect_uri: Str("authorization_code: the redirect URI of the authorization request"),
    code_verifier: Str("authorization_code: the PKCE code verifier"),
    refresh_token: Str("refresh_token: the refresh token (it is rotated)"),
    scope: Str("refresh_token: optionally fewer scopes for the new access token"),
    ...ClientAuthFields,
  },
  { title: "OAuthTokenRequest" },
);

const TokenResponse = Type.Object(
  {
    access_token: Type.String({ description: "`agpt_xt_…`; send as `Authorization: Bearer`" }),
    token_type: Type.Literal("Bearer"),
    expires_in: Type.Integer({ description: "Seconds until the access token expires" }),
    refresh_token: Type.Optional(Type.String({ description: "`agpt_rt_…`; single use, rotated on refresh" })),
    scope: Type.String({ description: "Space-separated granted scopes" }),
    access_token_expires_at: Type.String({ format: "date-time" }),
    refresh_token_expires_at: Type.Optional(Type.String({ format: "date-time" })),
    scopes: Type.Array(Type.String()),
  },
  { title: "OAuthTokenResponse" },
);

const TokenOnly = Type.Object(
  {
    token: Str("The token"),
    token_type_hint: Str("`access_token` or `refresh_token`"),
    ...ClientAuthFields,
  },
  { title: "OAuthTokenReference" },
);

const Introspection = Type.Object(
  {
    active: Type.Boolean(),
    scope: Type.Optional(Type.String()),
    scopes: Type.Optional(Type.Array(Type.String())),
    client_id: Type.Optional(Type.String()),
    user_id: Type.Optional(Type.String()),
    sub: Type.Optional(Type.String()),
    exp: Type.Optional(Type.Integer()),
    iat: Type.Optional(Type.Integer()),
    token_type: Type.Optional(Type.Union([Type.Literal("access_token"), Type.Literal("refresh_token")])),
  },
  { title: "OAuthIntrospection" },
);

const oauthErrors = { 400: OAuthErrorBody, 401: OAuthErrorBody };

type Fields = Record<string, string | undefined>;

/** Form bodies as flat string maps; a parameter sent twice is refused (RFC 6749 §3.2). */
function parseForm(
  _request: FastifyRequest,
  body: string | Buffer,
  done: (err: Error | null, value?: unknown) => void,
) {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body.toString())) {
    if (key in out) return done(new OAuthError("invalid_request", `Parameter ${key} was sent more than once`));
    out[key] = value;
  }
  done(null, out);
}

/** client_secret_basic (RFC 6749 §2.3.1: form-encoded, then base64) or client_secret_post; never both. */
function clientCredentials(request: FastifyRequest, body: Fields) {
  const header = request.headers.authorization;
  const basic = header ? /^Basic\s+(\S+)\s*$/i.exec(header) : null;
  if (!basic) return { clientId: body.client_id, clientSecret: body.client_secret };
  const decoded = Buffer.from(basic[1] as string, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) throw new OAuthError("invalid_client", "Malformed Basic credentials");
  const unform = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      throw new OAuthError("invalid_client", "Malformed Basic credentials");
    }
  };
  const clientId = unform(decoded.slice(0, colon));
  if (body.client_secret !== undefined) {
    throw new OAuthError("invalid_request", "Use one client authentication method, not Basic and client_secret");
  }
  if (body.client_id !== undefined && body.client_id !== clientId) {
    throw new OAuthError("invalid_request", "client_id does not match the Basic credentials");
  }
  return { clientId, clientSecret: unform(decoded.slice(colon + 1)) };
}

function sendOAuthError(request: FastifyRequest, reply: FastifyReply, err: OAuthError) {
  noStore(reply);
  if (err.status === 401 && /^Basic\s/i.test(request.headers.authorization ?? "")) {
    reply.header("www-authenticate", 'Basic realm="agentry", charset="UTF-8"');
  }
  request.log.info({ oauth_error: err.error }, err.description);
  return reply.status(err.status).send(err.toJSON());
}

export const oauthTokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // AuthService passes over `Basic` credentials (they are the client's, read here), so no caller is resolved from them.
  const provider = app.platform.oauth;
  const tags = ["oauth"];

  if (!app.hasContentTypeParser(FORM)) app.addContentTypeParser(FORM, { parseAs: "string" }, parseForm);

  app.setErrorHandler((err: FastifyError | OAuthError, request, reply) => {
    if (err instanceof OAuthError) return sendOAuthError(request, reply, err);
    const code = (err as FastifyError).code ?? "";
    if ((err as FastifyError).validation) {
      return sendOAuthError(request, reply, new OAuthError("invalid_request", `Invalid request: ${err.message}`));
    }
    if (
      code === "FST_ERR_CTP_INVALID_JSON_BODY" ||
      code === "FST_ERR_CTP_EMPTY_JSON_BODY" ||
      code === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
    ) {
      return sendOAuthError(
        request,
        reply,
        new OAuthError("invalid_request", `Send the parameters as ${FORM} (or JSON)`),
      );
    }
    throw err;
  });

  const authenticated = async (request: FastifyRequest, body: Fields) => {
    const { clientId, clientSecret } = clientCredentials(request, body);
    return provider.authenticateClient(clientId, clientSecret);
  };

  app.post(
    "/token",
    {
      schema: {
        tags,
        summary: "Token endpoint: exchange an authorization code (with PKCE) or a refresh token for tokens",
        description:
          `Form (\`${FORM}\`) or JSON. Client authentication by HTTP Basic (client_secret_basic) or ` +
          "client_id + client_secret in the body (client_secret_post). Codes are single-use: a replayed code fails " +
          "and revokes the tokens issued from it. Refresh tokens rotate: a used one fails, and revokes its family.",
        consumes: [FORM, "application/json"],
        body: TokenRequest,
        response: { 200: TokenResponse, ...oauthErrors },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const body = (request.body ?? {}) as Fields;
      if (!body.grant_type) throw new OAuthError("invalid_request", "grant_type is required");
      const client = await authenticated(request, body);
      if (body.grant_type === "authorization_code") return provider.exchangeCode(client, body);
      if (body.grant_type === "refresh_token") return provider.refresh(client, body);
      throw new OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token");
    },
  );

  app.post(
    "/revoke",
    {
      schema: {
        tags,
        summary: "Revoke an access or refresh token (RFC 7009)",
        description:
          "Client-authenticated. Answers 200 whether or not the token was known (RFC 7009 §2.2). Revoking a " +
          "refresh token also revokes the access tokens of its grant.",
        consumes: [FORM, "application/json"],
        body: TokenOnly,
        response: { 200: Type.Object({ status: Type.Literal("ok") }), ...oauthErrors },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const body = (request.body ?? {}) as Fields;
      const client = await authenticated(request, body);
      if (!body.token) throw new OAuthError("invalid_request", "token is required");
      await provider.revoke(client, body.token, body.token_type_hint);
      return { status: "ok" as const };
    },
  );

  app.post(
    "/introspect",
    {
      schema: {
        tags,
        summary: "Introspect a token (RFC 7662)",
        description:
          "Client-authenticated. An unknown, expired or revoked token, or another client's token, answers " +
          "`{active: false}`.",
        consumes: [FORM, "application/json"],
        body: TokenOnly,
        response: { 200: Introspection, ...oauthErrors },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const body = (request.body ?? {}) as Fields;
      const client = await authenticated(request, body);
      if (!body.token) throw new OAuthError("invalid_request", "token is required");
      return provider.introspect(client, body.token, body.token_type_hint);
    },
  );
};
