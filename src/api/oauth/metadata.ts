// /.well-known/oauth-authorization-server: the RFC 8414 metadata OAuth client libraries discover the endpoints from.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ALL_SCOPES } from "../../auth/scopes.js";
import { issuerOf } from "./common.js";

const AUTH_METHODS = ["client_secret_basic", "client_secret_post"];

const Metadata = Type.Object(
  {
    issuer: Type.String(),
    authorization_endpoint: Type.String(),
    token_endpoint: Type.String(),
    revocation_endpoint: Type.String(),
    introspection_endpoint: Type.String(),
    response_types_supported: Type.Array(Type.String()),
    response_modes_supported: Type.Array(Type.String()),
    grant_types_supported: Type.Array(Type.String()),
    code_challenge_methods_supported: Type.Array(Type.String()),
    scopes_supported: Type.Array(Type.String()),
    token_endpoint_auth_methods_supported: Type.Array(Type.String()),
    revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
    introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
    authorization_response_iss_parameter_supported: Type.Boolean(),
    service_documentation: Type.String(),
  },
  { title: "OAuthAuthorizationServerMetadata" },
);

export const oauthMetadataRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.platform;

  app.get(
    "/.well-known/oauth-authorization-server",
    {
      schema: {
        tags: ["oauth"],
        summary: "OAuth 2.0 Authorization Server Metadata (RFC 8414)",
        response: { 200: Metadata },
      },
    },
    async (request, reply) => {
      const issuer = issuerOf(request, config);
      reply.header("cache-control", "public, max-age=300");
      return {
        issuer,
        authorization_endpoint: `${issuer}/api/oauth/authorize`,
        token_endpoint: `${issuer}/api/oauth/token`,
        revocation_endpoint: `${issuer}/api/oauth/revoke`,
        introspection_endpoint: `${issuer}/api/oauth/introspect`,
        response_types_supported: ["code"],
        response_modes_supported: ["query"],
        grant_types_supported: ["authorization_code", "refresh_token"],
        code_challenge_methods_supported: ["S256"],
        scopes_supported: [...ALL_SCOPES],
        token_endpoint_auth_methods_supported: AUTH_METHODS,
        revocation_endpoint_auth_methods_supported: AUTH_METHODS,
        introspection_endpoint_auth_methods_supported: AUTH_METHODS,
        authorization_response_iss_parameter_supported: true,
        service_documentation: `${issuer}/docs`,
      };
    },
  );
};
