// Integrations: the third-party credentials a user holds, the providers they can be held for, and what a graph's
// credentials inputs require.
//
// Agentry stores no third-party credentials yet and none of its blocks needs a provider's credentials, so every
// answer comes from that real state: no providers, no credentials, nothing to create, delete or connect.

import { ApiError } from "../core/errors.js";
import type { JsonSchemaObject } from "../core/graph-types.js";

export const CREDENTIAL_TYPES = ["api_key", "oauth2", "user_password", "host_scoped"] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

/** A stored credential without its secret. */
export interface CredentialMeta {
  id: string;
  provider: string;
  type: CredentialType;
  title: string | null;
  username: string | null;
  scopes: string[];
  host: string | null;
  expiresAt: Date | null;
  isManaged: boolean;
}

export interface ProviderInfo {
  name: string;
  supportsOAuth: boolean;
  supportsApiKey: boolean;
  supportsUserPassword: boolean;
  supportsHostScoped: boolean;
  defaultScopes: string[];
}

export interface CredentialRequirement {
  fieldName: string;
  provider: string;
  supportedTypes: CredentialType[];
  requiredScopes: string[];
  matching: CredentialMeta[];
}

const KNOWN_TYPES = new Set<string>(CREDENTIAL_TYPES);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);
const sameProvider = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export class IntegrationsService {
  /** The user's credentials, optionally of one provider (case-insensitive). */
  async listCredentials(_userId: string, provider?: string): Promise<CredentialMeta[]> {
    const all: CredentialMeta[] = [];
    return provider ? all.filter((c) => sameProvider(c.provider, provider)) : all;
  }

  /** Providers whose credentials Agentry can hold: none yet. */
  async providers(): Promise<ProviderInfo[]> {
    return [];
  }

  /** One requirement per provider of each credentials field of a graph, with the user's matching credentials. */
  async requirements(schema: JsonSchemaObject, userId: string): Promise<CredentialRequirement[]> {
    const credentials = await this.listCredentials(userId);
    const out: CredentialRequirement[] = [];
    for (const [fieldName, field] of Object.entries(schema.properties ?? {})) {
      for (const provider of strings(field.credentials_provider)) {
        out.push({
          fieldName,
          provider,
          supportedTypes: strings(field.credentials_types).filter((t): t is CredentialType => KNOWN_TYPES.has(t)),
          requiredScopes: strings(field.credentials_scopes),
          matching: credentials.filter((c) => sameProvider(c.provider, provider)),
        });
      }
    }
    return out;
  }

  /** Stores credentials for a known provider: no provider is known yet (AutoGPT answers an unknown one 404). */
  async createCredential(_userId: string, provider: string, _input: unknown): Promise<CredentialMeta> {
    throw ApiError.notFound(`Provider '${provider}'`, { provider });
  }

  async deleteCredential(_userId: string, _provider: string, credentialId: string): Promise<void> {
    throw ApiError.notFound("Credentials", { credentials_id: credentialId });
  }

  /** Starts a provider's OAuth flow: no provider supports OAuth here yet. */
  async initiateOAuth(
    _userId: string,
    provider: string,
  ): Promise<{ loginUrl: string; stateToken: string; expiresAt: number }> {
    throw ApiError.notFound(`OAuth provider '${provider}'`, { provider });
  }

  /** Completes a flow by its state token: none can be initiated yet, so every state is unknown (AutoGPT: 400). */
  async completeOAuth(
    _userId: string,
    _provider: string,
    _input: { code: string; stateToken: string },
  ): Promise<never> {
    throw ApiError.badRequest("Invalid or expired state token");
  }
}
