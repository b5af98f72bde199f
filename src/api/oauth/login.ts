// /api/oauth/{provider}/login and /callback: sign in through an external OpenID Connect provider.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { LoginFailed, safeRedirectPath } from "../../auth/oidc-login.js";
import { userJSON } from "../auth/routes.js";
import { errors } from "../schemas.js";
import { issuerOf, noStore } from "./common.js";

const ProviderParam = Type.Object({
  provider: Type.String({ minLength: 1, maxLength: 64, description: "A provider name from OIDC_PROVIDERS" }),
});

const SessionResponse = Type.Object(
  {
    access_token: Type.String(),
    refresh_token: Type.String(),
    token_type: Type.Literal("bearer"),
    expires_in: Type.Integer(),
    user: Type.Ref("User"),
  },
  { title: "OidcLoginSession" },
);

/** Values for a URL fragment: the browser keeps them out of server logs and Referer headers. */
const fragment = (values: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(values).map(([k, v]) => [k, String(v)])).toString();

export const oidcLoginRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, oidcLogin: login } = app.platform;
  const tags = ["oauth"];
  const callbackUrl = (base: string, provider: string) => `${base}/api/oauth/${encodeURIComponent(provider)}/callback`;

  app.get(
    "/:provider/login",
    {
      schema: {
        tags,
        summary: "Start signing in with an external OpenID Connect provider (redirects to it)",
        description:
          "Redirects (302) to the provider. After the provider's callback the browser is sent to `redirect_to` with " +
          "the session tokens in the URL fragment, or, without `redirect_to`, the callback answers them as JSON.",
        params: ProviderParam,
        querystring: Type.Object({
          redirect_to: Type.Optional(
            Type.String({ maxLength: 2048, description: "A path on this server to return to, e.g. `/app`" }),
          ),
        }),
        response: { 302: Type.Null(), ...errors(404, 422, 503) },
      },
    },
    async (request, reply) => {
      const redirectTo = safeRedirectPath(request.query.redirect_to);
      const base = issuerOf(request, config);
      const url = await login.start(request.params.provider, {
        callbackUrl: callbackUrl(base, request.params.provider),
        redirectTo,
      });
      noStore(reply);
      return reply.redirect(url.toString(), 302);
    },
  );

  app.get(
    "/:provider/callback",
    {
      schema: {
        tags,
        summary: "The provider's redirect back: verifies the login and starts a session",
        description:
          "Finds the user by the provider's subject; on first sign-in links an existing account only when the " +
          "provider says the email is verified, else creates one. Redirects to `redirect_to` with " +
          "`#access_token=…&refresh_token=…`, or answers the tokens as JSON.",
        params: ProviderParam,
        querystring: Type.Object(
          {
            code: Type.Optional(Type.String({ maxLength: 4096 })),
            state: Type.Optional(Type.String({ maxLength: 1024 })),
            error: Type.Optional(Type.String({ maxLength: 1024 })),
          },
          { additionalProperties: true },
        ),
        response: { 200: SessionResponse, 302: Type.Null(), ...errors(401, 404, 503) },
      },
    },
    async (request, reply) => {
      const { provider } = request.params;
      const base = issuerOf(request, config);
      const query = request.url.includes("?") ? request.url.slice(request.url.indexOf("?")) : "";
      noStore(reply);
      reply.header("referrer-policy", "no-referrer");
      try {
        const { user, tokens, redirectTo, created } = await login.finish(
          provider,
          new URL(callbackUrl(base, provider) + query),
        );
        request.log.info({ provider, user_id: user.id, created }, "external sign-in");
        if (redirectTo) return reply.redirect(`${base}${redirectTo}#${fragment({ ...tokens })}`, 302);
        return { ...tokens, user: userJSON(user) };
      } catch (err) {
        if (err instanceof LoginFailed && err.redirectTo) {
          request.log.info({ provider, reason: err.reason }, "external sign-in failed");
          const values = { error: err.reason, error_description: err.message };
          return reply.redirect(`${base}${err.redirectTo}#${fragment(values)}`, 302);
        }
        throw err;
      }
    },
  );
};
