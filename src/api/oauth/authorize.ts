// /api/oauth/authorize: the consent step of the authorization-code flow (GET shows it, POST records the user's answer).
import { randomBytes } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyReply } from "fastify";
import {
  type AuthorizationRequest,
  AuthorizationRequestError,
  type ValidAuthorization,
} from "../../auth/oauth-provider.js";
import { ApiError } from "../../core/errors.js";
import { principalOf, requireSession } from "../auth-hooks.js";
import { errors, Nullable } from "../schemas.js";
import { issuerOf, noStore } from "./common.js";

const Param = (description: string) => Type.Optional(Type.String({ maxLength: 2048, description }));

const AuthorizeQuery = Type.Object({
  client_id: Param("The application's client id"),
  redirect_uri: Param("Exactly one of the application's registered redirect URIs"),
  response_type: Param("Must be `code`"),
  scope: Param("Space-separated scopes, each allowed for the application (e.g. `IDENTITY READ_GRAPH`)"),
  state: Param("Opaque value returned unchanged in the redirect"),
  code_challenge: Param("PKCE: BASE64URL(SHA256(code_verifier))"),
  code_challenge_method: Param("Must be `S256`"),
});

const AuthorizeBody = Type.Object(
  {
    client_id: Type.String({ maxLength: 2048 }),
    redirect_uri: Type.String({ maxLength: 2048 }),
    response_type: Type.String({ default: "code", maxLength: 64 }),
    scope: Param("Space-separated scopes"),
    scopes: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64, description: "Scopes as a list" }),
    ),
    state: Param("Opaque value returned unchanged in the redirect"),
    code_challenge: Param("PKCE: BASE64URL(SHA256(code_verifier))"),
    code_challenge_method: Type.String({ default: "S256", maxLength: 16 }),
    approve: Type.Boolean({ default: true, description: "The user's answer: false sends `error=access_denied`" }),
  },
  { description: "The parameters of the authorization request (others are ignored), and the user's answer" },
);

const ConsentInfo = Type.Object(
  {
    client_id: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    logo_url: Nullable(Type.String()),
    scopes: Type.Array(Type.String(), { description: "The scopes the application asks for" }),
    redirect_uri: Type.String(),
    state: Type.String(),
    response_type: Type.Literal("code"),
    code_challenge: Type.String(),
    code_challenge_method: Type.Literal("S256"),
    user: Type.Object({ id: Type.String(), email: Type.String() }),
  },
  { title: "OAuthConsentInfo" },
);

const RedirectAnswer = Type.Object(
  {
    redirect_url: Type.String({ description: "Where to send the user: the client's redirect URI with code or error" }),
  },
  { title: "OAuthAuthorizeResponse" },
);

/** The client's redirect URI with the answer in its query, plus `iss` (RFC 9207) so the client can check who answered. */
function redirectTo(uri: string, params: Record<string, string>, issuer: string): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  url.searchParams.set("iss", issuer);
  return url.toString();
}

function errorRedirect(grantUri: string, err: AuthorizationRequestError, state: string | undefined, issuer: string) {
  return redirectTo(
    grantUri,
    { error: err.error, error_description: err.description, ...(state ? { state } : {}) },
    issuer,
  );
}

export const oauthAuthorizeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, oauth: provider } = app.platform;
  const tags = ["oauth"];

  app.get(
    "/authorize",
    {
      schema: {
        tags,
        summary: "Authorization endpoint: the consent a signed-in user is asked for (JSON), or a consent page (HTML)",
        description:
          "With `Accept: text/html` this answers a small consent page that signs the user in and posts the answer. " +
          "Otherwise it answers the consent information as JSON for the signed-in caller; approve or deny with " +
          "`POST /api/oauth/authorize`.",
        security: [{ bearer: [] }],
        querystring: AuthorizeQuery,
        response: { 200: ConsentInfo, ...errors(400, 401, 422) },
      },
    },
    async (request, reply) => {
      const issuer = issuerOf(request, config);
      const wantsHtml = /\btext\/html\b/.test(request.headers.accept ?? "");
      let grant: ValidAuthorization;
      try {
        grant = await provider.validateAuthorization(request.query);
      } catch (err) {
        if (!(err instanceof AuthorizationRequestError)) throw err;
        const redirect = err.redirectable
          ? errorRedirect(request.query.redirect_uri as string, err, request.query.state, issuer)
          : undefined;
        if (wantsHtml) {
          if (redirect) return reply.redirect(redirect, 302);
          return sendHtml(reply, 400, errorPage(err.description));
        }
        throw new ApiError("BAD_REQUEST", 400, err.description, {
          error: err.error,
          ...(redirect ? { redirect_url: redirect } : {}),
        });
      }
      if (wantsHtml) return sendHtml(reply, 200, consentPage(grant, request.query as AuthorizationRequest));
      const user = principalOf(request).user;
      return {
        client_id: grant.app.clientId,
        name: grant.app.name,
        description: grant.app.description,
        logo_url: grant.app.logoUrl,
        scopes: grant.scopes,
        redirect_uri: grant.redirectUri,
        state: grant.state,
        response_type: "code" as const,
        code_challenge: grant.codeChallenge,
        code_challenge_method: "S256" as const,
        user: { id: user.id, email: user.email },
      };
    },
  );

  app.post(
    "/authorize",
    {
      preHandler: requireSession,
      schema: {
        tags,
        summary: "Record the signed-in user's consent: answers the redirect URL with `code` and `state`",
        description:
          "Needs a signed-in user session (not an API key or OAuth token). An unknown client or an unregistered " +
          "redirect URI is a 400; other problems, and a denial, come back as a redirect URL carrying `error`.",
        security: [{ bearer: [] }],
        body: AuthorizeBody,
        response: { 200: RedirectAnswer, ...errors(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const issuer = issuerOf(request, config);
      const { approve, ...params } = request.body;
      let grant: ValidAuthorization;
      try {
        grant = await provider.validateAuthorization(params);
      } catch (err) {
        if (!(err instanceof AuthorizationRequestError)) throw err;
        if (!err.redirectable) throw new ApiError("BAD_REQUEST", 400, err.description, { error: err.error });
        return { redirect_url: errorRedirect(params.redirect_uri, err, params.state, issuer) };
      }
      if (!approve) {
        const denied = new AuthorizationRequestError("access_denied", "The user denied access", true);
        return { redirect_url: errorRedirect(grant.redirectUri, denied, grant.state, issuer) };
      }
      const code = await provider.issueCode(grant, principalOf(request).user);
      request.log.info({ client_id: grant.app.clientId, scopes: grant.scopes }, "oauth authorization code issued");
      return { redirect_url: redirectTo(grant.redirectUri, { code, state: grant.state }, issuer) };
    },
  );
};

// ---- the minimal browser consent page ----

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

/** JSON inside a <script> block: `<` escaped so no value can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

function sendHtml(reply: FastifyReply, status: number, page: (nonce: string) => string) {
  const nonce = randomBytes(16).toString("base64");
  return reply
    .status(status)
    .header("content-type", "text/html; charset=utf-8")
    .header(
      "content-security-policy",
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; ` +
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    )
    .header("x-frame-options", "DENY")
    .header("referrer-policy", "no-referrer")
    .header("cache-control", "no-store")
    .send(page(nonce));
}

const STYLE = `body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem}ul{padding-left:1.2rem}code{background:#f3f3f3;padding:0 .2rem}button{font:inherit;padding:.5rem 1rem;margin-right:.5rem}
input{font:inherit;display:block;width:100%;margin:.3rem 0 .8rem;padding:.4rem;box-sizing:border-box}.error{color:#b00020}[hidden]{display:none}`;

function errorPage(message: string) {
  return (
    nonce: string,
  ) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error</title>
<style nonce="${nonce}">${STYLE}</style></head><body><h1>This authorization request cannot be completed</h1>
<p class="error">${escapeHtml(message)}</p></body></html>`;
}

function consentPage(grant: ValidAuthorization, query: AuthorizationRequest) {
  const params = {
    client_id: query.client_id,
    redirect_uri: query.redirect_uri,
    response_type: query.response_type,
    scope: grant.scopes.join(" "),
    state: query.state,
    code_challenge: query.code_challenge,
    code_challenge_method: query.code_challenge_method,
  };
  const name = escapeHtml(grant.app.name);
  return (nonce: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Authorize ${name}</title>
<style nonce="${nonce}">${STYLE}</style></head><body>
<h1><strong>${name}</strong> wants to access your Agentry account</h1>
${grant.app.description ? `<p>${escapeHtml(grant.app.description)}</p>` : ""}
<p>It asks for:</p><ul>${grant.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join("")}</ul>
<p>You will be sent back to <code>${escapeHtml(new URL(grant.redirectUri).origin)}</code>.</p>
<form id="login" hidden><p>Sign in to continue.</p>
<label>Email<input name="email" type="email" autocomplete="username" required></label>
<label>Password<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>
<div id="consent" hidden><button id="approve" type="button">Allow</button><button id="deny" type="button">Deny</button></div>
<p id="message" class="error"></p>
<script id="request" type="application/json">${scriptJson(params)}</script>
<script nonce="${nonce}">
(() => {
  const request = JSON.parse(document.getElementById("request").textContent);
  const KEY = "agentry_access_token";
  const $ = (id) => document.getElementById(id);
  const show = (signedIn) => { $("login").hidden = signedIn; $("consent").hidden = !signedIn; };
  show(Boolean(sessionStorage.getItem(KEY)));
  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const res = await fetch("../auth/login", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: form.get("email"), password: form.get("password") }) });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { $("message").textContent = body.error?.message ?? "Sign-in failed"; return; }
    sessionStorage.setItem(KEY, body.access_token);
    $("message").textContent = "";
    show(true);
  });
  const decide = async (approve) => {
    const res = await fetch("authorize", { method: "POST", headers: { "content-type": "application/json",
      authorization: "Bearer " + sessionStorage.getItem(KEY) }, body: JSON.stringify({ ...request, approve }) });
    const body = await res.json().catch(() => ({}));
    if (res.ok && body.redirect_url) { location.assign(body.redirect_url); return; }
    if (res.status === 401) { sessionStorage.removeItem(KEY); show(false); }
    $("message").textContent = body.error?.message ?? "Something went wrong";
  };
  $("approve").addEventListener("click", () => decide(true));
  $("deny").addEventListener("click", () => decide(false));
})();
</script></body></html>`;
}
