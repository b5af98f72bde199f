// /api/oauth: Agentry as an OAuth 2.0 provider (authorize, token, revoke, introspect, authorized apps) and
// sign-in through external OpenID Connect providers.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { oauthAuthorizeRoutes } from "./authorize.js";
import { authorizedAppRoutes } from "./authorized-apps.js";
import { oidcLoginRoutes } from "./login.js";
import { oauthTokenRoutes } from "./token.js";

export { oauthMetadataRoutes } from "./metadata.js";

export const oauthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.register(oauthAuthorizeRoutes);
  app.register(oauthTokenRoutes);
  app.register(authorizedAppRoutes, { prefix: "/authorized-apps" });
  app.register(oidcLoginRoutes);
};
