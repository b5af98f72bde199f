// Integrations: the third-party credentials a user holds, the providers they can be held for, and what a graph's
// credentials inputs require.
//
// Credentials are stored per user with their secret part (API key, password, tokens, headers) sealed under
// ENCRYPTION_KEY; every read answers metadata only. The engine reads secrets through `secretFor` (the engine's
// StoredCredentials port), and nothing else does. Providers are those the registered blocks take credentials for.

import { randomUUID } from "node:crypto";
import { keyId, open, type SealedBox, seal } from "../auth/secret-box.js";
import { type Credentials, toCredentials } from "../blocks/credentials.js";
import { allBlocks } from "../blocks/index.js";
import { ApiError } from "../core/errors.js";
import type { JsonSchemaObject } from "../core/graph-types.js";
import { isSystemCredentialId, type SystemKeys, systemCredentialsMeta } from "../engine/credentials.js";
import type { Db } from "../infra/db/index.js";
import {
  type CredentialRow,
  deleteCredential,
  findCredential,
  insertCredential,
  listCredentials,
} from "../infra/db/repos/credentials.js";

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
  createdAt: Date;
}

/** A credential to store (AutoGPT's APIKeyCredentials, UserPasswordCredentials, HostScopedCredentials, OAuth2Credentials). */
export type NewCredential =
  | { type: "api_key"; title?: string | null; api_key: string; expires_at?: number | null }
  | { type: "user_password"; title?: string | null; username: string; password: string }
  | { type: "host_scoped"; title?: string | null; host: string; headers?: Record<string, string> }
  | {
      type: "oauth2";
      title?: string | null;
      username?: string | null;
      access_token: string;
      access_token_expires_at?: number | null;
      refresh_token?: string | null;
      refresh_token_expires_at?: number | null;
      scopes?: string[];
      metadata?: Record<string, unknown>;
    };

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

const fromUnix = (seconds: number | null | undefined) =>
  typeof seconds === "number" ? new Date(seconds * 1000) : null;

function metaOfRow(row: CredentialRow): CredentialMeta {
  return {
    id: row.id,
    provider: row.provider,
    type: row.type,
    title: row.title,
    username: row.username,
    scopes: row.scopes,
    host: row.host,
    expiresAt: row.expiresAt,
    isManaged: false,
    createdAt: row.createdAt,
  };
}

/** The secret part of a new credential (sealed), and the metadata kept in clear. */
function split(input: NewCredential) {
  switch (input.type) {
    case "api_key":
      return { secret: { api_key: input.api_key }, expiresAt: fromUnix(input.expires_at) };
    case "user_password":
      return { secret: { password: input.password }, username: input.username };
    case "host_scoped":
      return { secret: { headers: input.headers ?? {} }, host: input.host };
    case "oauth2":
      return {
        secret: {
          access_token: input.access_token,
          refresh_token: input.refresh_token ?? null,
          refresh_token_expires_at: input.refresh_token_expires_at ?? null,
          metadata: input.metadata ?? {},
        },
        username: input.username ?? null,
        scopes: input.scopes ?? [],
        expiresAt: fromUnix(input.access_token_expires_at),
      };
  }
}

/** Providers the registered blocks take credentials for, with the credential types they accept. */
function blockProviders(): ProviderInfo[] {
  const found = new Map<string, { types: Set<string>; scopes: Set<string> }>();
  for (const block of allBlocks) {
    for (const pin of Object.values(block.input.properties) as Record<string, unknown>[]) {
      for (const name of strings(pin.credentials_provider)) {
        const entry = found.get(name) ?? { types: new Set(), scopes: new Set() };
        for (const t of strings(pin.credentials_types)) entry.types.add(t);
        for (const s of strings(pin.credentials_scopes)) entry.scopes.add(s);
        found.set(name, entry);
      }
    }
  }
  return [...found.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, { types, scopes }]) => ({
      name,
      supportsOAuth: types.has("oauth2"),
      supportsApiKey: types.has("api_key"),
      supportsUserPassword: types.has("user_password"),
      supportsHostScoped: types.has("host_scoped"),
      defaultScopes: [...scopes],
    }));
}

export class IntegrationsService {
  private readonly db: Db;
  private readonly keys: readonly Buffer[];
  private readonly system: SystemKeys;

  /**
   * `encryptionKey` seals new secrets; `retiredKeys` still open older ones (during a rotation); `system` holds the
   * operator's keys (config.systemCredentials), which the engine reads through its own source, never this service.
   */
  constructor(deps: { db: Db; encryptionKey: Buffer; retiredKeys?: readonly Buffer[]; system?: SystemKeys }) {
    this.db = deps.db;
    this.keys = [deps.encryptionKey, ...(deps.retiredKeys ?? [])];
    this.system = deps.system ?? {};
  }

  /** Providers the operator configured a system credential for (`/api/integrations/providers/system`). */
  systemProviders(): string[] {
    return systemCredentialsMeta(this.system).map((m) => m.provider);
  }

  /**
   * The user's credentials, optionally of one provider (case-insensitive), followed by the operator's system
   * credentials the operator configured (as AutoGPT's get_all_creds appends them; metadata only, `isManaged`).
   */
  async listCredentials(userId: string, provider?: string): Promise<CredentialMeta[]> {
    const all = [...(await listCredentials(this.db, userId)).map(metaOfRow), ...this.systemMetas()];
    return provider ? all.filter((c) => sameProvider(c.provider, provider)) : all;
  }

  /** The configured system credentials as stored-credential metadata. */
  private systemMetas(): CredentialMeta[] {
    return systemCredentialsMeta(this.system).map((m) => ({
      id: m.id,
      provider: m.provider,
      type: "api_key" as const,
      title: m.title ?? null,
      username: null,
      scopes: [],
      host: null,
      expiresAt: null,
      isManaged: true,
      createdAt: new Date(0),
    }));
  }

  /**
   * One of the user's credentials (metadata), or a configured system credential, of `provider` when given; 404
   * for another user's or an unknown id.
   */
  async getCredential(userId: string, credentialId: string, provider?: string): Promise<CredentialMeta> {
    const row = await findCredential(this.db, userId, credentialId);
    const found = row ? metaOfRow(row) : this.systemMetas().find((m) => m.id === credentialId);
    if (!found || (provider !== undefined && !sameProvider(found.provider, provider))) {
      throw ApiError.notFound("Credentials", { credentials_id: credentialId });
    }
    return found;
  }

  /** The header names (not values) of a host-scoped credential, for the masked view; none for other types. */
  async headerNames(userId: string, meta: CredentialMeta): Promise<string[]> {
    if (meta.type !== "host_scoped") return [];
    const credentials = await this.secretFor(userId, meta.id, meta.provider);
    return credentials?.type === "host_scoped" ? Object.keys(credentials.headers) : [];
  }

  /** Providers whose credentials Agentry can hold: those its blocks take credentials for. */
  async providers(): Promise<ProviderInfo[]> {
    return blockProviders();
  }

  /**
   * The decrypted credential, for the engine only (the StoredCredentials port): undefined when the user holds no
   * credential with that id and provider.
   */
  async secretFor(userId: string, credentialId: string, provider: string): Promise<Credentials | undefined> {
    const row = await findCredential(this.db, userId, credentialId);
    if (!row || !sameProvider(row.provider, provider)) return undefined;
    const secret = JSON.parse(open(this.keys, row.secret as SealedBox)) as Record<string, unknown>;
    return toCredentials({
      ...secret,
      id: row.id,
      provider: row.provider,
      type: row.type,
      title: row.title,
      username: row.username,
      host: row.host,
      scopes: row.scopes,
      expires_at: row.type === "api_key" && row.expiresAt ? Math.floor(row.expiresAt.getTime() / 1000) : null,
      access_token_expires_at:
        row.type === "oauth2" && row.expiresAt ? Math.floor(row.expiresAt.getTime() / 1000) : null,
    });
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

  /** Stores credentials for a known provider (an unknown one is 404, as AutoGPT answers); returns the metadata. */
  async createCredential(userId: string, provider: string, input: NewCredential): Promise<CredentialMeta> {
    const known = blockProviders().find((p) => sameProvider(p.name, provider));
    if (!known) throw ApiError.notFound(`Provider '${provider}'`, { provider });
    const { secret, ...meta } = split(input);
    const key = this.keys[0] as Buffer;
    const row = await insertCredential(this.db, {
      id: randomUUID(),
      userId,
      provider: known.name,
      type: input.type,
      title: input.title ?? null,
      secret: seal(key, JSON.stringify(secret)),
      keyId: keyId(key),
      ...meta,
    });
    return metaOfRow(row);
  }

  /**
   * Deletes one of the user's credentials (of `provider` when given); 404 for another user's or an unknown id, 403
   * for a system credential's id (as AutoGPT answers).
   */
  async deleteCredential(userId: string, provider: string | undefined, credentialId: string): Promise<void> {
    if (isSystemCredentialId(credentialId)) {
      throw ApiError.forbidden("System-managed credentials cannot be deleted", { credentials_id: credentialId });
    }
    await this.getCredential(userId, credentialId, provider);
    await deleteCredential(this.db, userId, credentialId);
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
