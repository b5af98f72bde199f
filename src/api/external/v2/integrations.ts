// External API v2: GET /integrations/credentials.
//
// IntegrationsService answers (v1's /integrations too); this file maps to v2's shapes and pages. AutoGPT's other credential routes (create, delete) need the legacy MANAGE_/DELETE_INTEGRATIONS scopes, which v2
// does not accept here, so they are not served.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { JsonSchemaObject } from "../../../core/graph-types.js";
import type { CredentialMeta, IntegrationsService } from "../../../services/integrations.js";
import { principalOf } from "../../auth-hooks.js";
import { DateTime, Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";

const CredentialType = Type.Union([
  Type.Literal("api_key"),
  Type.Literal("oauth2"),
  Type.Literal("user_password"),
  Type.Literal("host_scoped"),
]);

export const CredentialInfo = Type.Object(
  {
    id: Type.String(),
    type: CredentialType,
    provider: Type.String({ description: "Integration provider name" }),
    title: Nullable(Type.String({ description: "User-assigned title for this credential" })),
    username: Nullable(Type.String({ description: "Third-party service username (OAuth2 credentials only)" })),
    scopes: Type.Array(Type.String(), { description: "Permission scopes granted to this credential" }),
    expires_at: Nullable(DateTime),
    is_managed: Type.Boolean({ description: "Provided by the platform; cannot be updated or deleted" }),
  },
  { title: "CredentialInfo" },
);

export const CredentialRequirement = Type.Object(
  {
    field_name: Type.String({ description: "Key to supply this credential under in `credentials_inputs`" }),
    provider: Type.String({ description: "Required provider name" }),
    supported_types: Type.Array(CredentialType, { description: "Credential types this requirement accepts" }),
    required_scopes: Type.Array(Type.String(), {
      description: "Scopes an OAuth credential must carry to satisfy this",
    }),
    matching_credentials: Type.Array(CredentialInfo, {
      description: "User's credentials that match this requirement",
    }),
  },
  { title: "CredentialRequirement" },
);

type Credential = typeof CredentialInfo.static;
type Requirement = typeof CredentialRequirement.static;

function credentialJSON(c: CredentialMeta): Credential {
  return {
    id: c.id,
    type: c.type,
    provider: c.provider,
    title: c.title,
    username: c.username,
    scopes: c.scopes,
    expires_at: c.expiresAt?.toISOString() ?? null,
    is_managed: c.isManaged,
  };
}

/** One requirement per provider of each credentials field of a graph, with the user's matching credentials. */
export async function credentialRequirements(
  integrations: IntegrationsService,
  schema: JsonSchemaObject,
  userId: string,
): Promise<Requirement[]> {
  return (await integrations.requirements(schema, userId)).map((r) => ({
    field_name: r.fieldName,
    provider: r.provider,
    supported_types: r.supportedTypes,
    required_scopes: r.requiredScopes,
    matching_credentials: r.matching.map(credentialJSON),
  }));
}

export const integrationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { integrations } = app.platform;
  const tags = ["integrations"];

  app.get(
    "/integrations/credentials",
    scoped(["READ_INTEGRATIONS"], {
      tags,
      summary: "List integration credentials",
      operationId: "listIntegrationCredentials",
      description: "The caller's integration credentials (metadata, never secrets), optionally for one provider.",
      querystring: Type.Composite([
        Type.Object({
          provider: Type.Optional(
            Type.String({ maxLength: 100, description: "Filter by provider name (e.g., 'github', 'google')" }),
          ),
        }),
        PageQuery,
      ]),
      response: { 200: Page(CredentialInfo), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => {
      const { provider, limit, cursor } = request.query;
      const page = new PageRequest(limit, cursor);
      const found = await integrations.listCredentials(principalOf(request).user.id, provider);
      return page.slice(found.map(credentialJSON));
    },
  );
};
