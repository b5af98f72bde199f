// Integrations: the third-party credentials a user holds, the providers they can be held for, and what a graph's
// credentials inputs require.
//
// Credentials are stored per user with their secret part (API key, password, tokens, headers) sealed under
// ENCRYPTION_KEY; every read answers metadata only. The engine reads secrets through `secretFor` (the engine's
// StoredCredentials port), and nothing else does. Providers are those the registered blocks take credentials for.

import { createHash, randomBytes, randomUUID } from "node:crypto";
import { keyId, open, type SealedBox, seal } from "../auth/secret-box.js";
import { type Credentials, toCredentials } from "../blocks/credentials.js";
import { allBlocks } from "../blocks/index.js";
import type { OAuthClientConfig } from "../config.js";
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
  updateCredential,
} from "../infra/db/repos/credentials.js";
import { insertOAuthState, takeOAuthState } from "../infra/db/repos/oauth-states.js";
import type { Http } from "../infra/http/client.js";
import { type OAuthProviderSpec, oauthProvider } from "./oauth-providers.js";

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

/** How long a started OAuth2 flow may take (AutoGPT: 10 minutes). */
const STATE_TTL_MS = 10 * 60 * 1000;
/** Access tokens expiring within this are refreshed before a block gets them (AutoGPT's needs_refresh: 300 s). */
export const REFRESH_MARGIN_SECONDS = 300;

const base64url = (b: Buffer) => b.toString("base64url");
const sha256 = (text: string) => createHash("sha256").update(text).digest();

/** Tokens as a provider's token endpoint answers them (RFC 6749 section 5.1, plus Notion's and Linear's extras). */
interface TokenResponse {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
  refresh_token_expires_in?: unknown;
  scope?: unknown;
  error?: unknown;
  error_description?: unknown;
  [key: string]: unknown;
}

export interface IntegrationsDeps {
  db: Db;
  encryptionKey: Buffer;
  retiredKeys?: readonly Buffer[];
  system?: SystemKeys;
  /** The shared outgoing client: token exchanges and refreshes go through it. */
  http?: Http;
  /** OAuth2 clients by provider (config.oauth.providers). */
  oauthClients?: Record<string, OAuthClientConfig>;
  /** The frontend base URL whose `/auth/integrations/oauth_callback` providers redirect to. */
  frontendBaseUrl?: string;
  now?: () => number;
}

export class IntegrationsService {
  private readonly db: Db;
  private readonly keys: readonly Buffer[];
  private readonly system: SystemKeys;
  private readonly http: Http | undefined;
  private readonly oauthClients: Record<string, OAuthClientConfig>;
  private readonly redirectUri: string;
  private readonly now: () => number;
  /** Refreshes in flight, by credential id: concurrent nodes wait for the one refresh. */
  private readonly refreshing = new Map<string, Promise<Credentials>>();

  /**
   * `encryptionKey` seals new secrets; `retiredKeys` still open older ones (during a rotation); `system` holds the
   * operator's keys (config.systemCredentials), which the engine reads through its own source, never this service.
   */
  constructor(deps: IntegrationsDeps) {
    this.db = deps.db;
    this.keys = [deps.encryptionKey, ...(deps.retiredKeys ?? [])];
    this.system = deps.system ?? {};
    this.http = deps.http;
    this.oauthClients = deps.oauthClients ?? {};
    this.redirectUri = `${(deps.frontendBaseUrl ?? "http://localhost:3000").replace(/\/+$/, "")}/auth/integrations/oauth_callback`;
    this.now = deps.now ?? Date.now;
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
    const credentials = this.decrypt(row);
    if (credentials.type !== "oauth2" || !this.needsRefresh(credentials)) return credentials;
    const pending = this.refreshing.get(row.id);
    if (pending) return pending;
    const refresh = this.refresh(row, credentials).finally(() => this.refreshing.delete(row.id));
    this.refreshing.set(row.id, refresh);
    return refresh;
  }

  private decrypt(row: CredentialRow): Credentials {
    const secret = JSON.parse(open(this.keys, row.secret as SealedBox)) as Record<string, unknown>;
    const credentials = toCredentials({
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
    if (!credentials) throw new Error(`Stored credentials ${row.id} are damaged`);
    return credentials;
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
  async deleteCredential(userId: string, provider: string | undefined, credentialId: string): Promise<boolean | null> {
    if (isSystemCredentialId(credentialId)) {
      throw ApiError.forbidden("System-managed credentials cannot be deleted", { credentials_id: credentialId });
    }
    await this.getCredential(userId, credentialId, provider);
    const row = await findCredential(this.db, userId, credentialId);
    await deleteCredential(this.db, userId, credentialId);
    // OAuth2 tokens are revoked at their provider afterwards, as AutoGPT does; the answer says whether that worked.
    return row?.type === "oauth2" ? this.revoke(row) : null;
  }

  /** Revokes deleted OAuth2 credentials' access token at the provider; false when it cannot or refused. */
  private async revoke(row: CredentialRow): Promise<boolean | null> {
    const spec = oauthProvider(row.provider);
    if (!spec) return null;
    const how = spec.revoke;
    const client = this.oauthClients[spec.name];
    if (!how || !this.http || !client?.clientId || !client.clientSecret) return false;
    try {
      const credentials = this.decrypt(row);
      if (credentials.type !== "oauth2") return null;
      const token = credentials.access_token;
      const headers: Record<string, string> = { accept: "application/json" };
      if (how.auth === "basic") {
        headers.authorization = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`;
      } else if (how.auth === "bearer") {
        headers.authorization = `Bearer ${token}`;
      }
      const res = await this.http.forProvider(spec.name, how.baseUrl).request({
        url: how.path(client.clientId),
        method: how.method,
        headers: how.body === "form" ? { ...headers, "content-type": "application/x-www-form-urlencoded" } : headers,
        ...(how.body === "json" ? { json: { access_token: token } } : {}),
        ...(how.body === "form"
          ? { body: new URLSearchParams({ token, token_type_hint: "access_token" }).toString() }
          : {}),
        timeoutMs: 10_000,
      });
      return res.ok;
    } catch {
      return false;
    }
  }

  /**
   * The provider's OAuth2 handler as AutoGPT picks it: 404 for a provider without OAuth, 501 for one the operator
   * has not registered a client for.
   */
  private oauthHandler(provider: string): { spec: OAuthProviderSpec; client: Required<OAuthClientConfig> } {
    const spec = oauthProvider(provider);
    if (!spec) throw new ApiError("NOT_FOUND", 404, `Provider '${provider}' does not support OAuth`, { provider });
    const client = this.oauthClients[spec.name] ?? {};
    if (!client.clientId || !client.clientSecret) {
      throw new ApiError("NOT_IMPLEMENTED", 501, `Integration with provider '${spec.name}' is not configured.`, {
        provider: spec.name,
        hint: "Set client ID and secret in the application's deployment environment",
      });
    }
    return {
      spec,
      client: {
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        authorizeUrl: client.authorizeUrl ?? spec.authorizeUrl,
        tokenUrl: client.tokenUrl ?? spec.tokenUrl,
      },
    };
  }

  /**
   * Starts a provider's OAuth2 flow for the user: a single-use state token (kept as its hash, 10 minutes) with the
   * scopes asked for and a PKCE verifier, and the provider's login URL carrying the state (and S256 challenge).
   */
  async initiateOAuth(
    userId: string,
    provider: string,
    scopes: string[] = [],
  ): Promise<{ loginUrl: string; stateToken: string; expiresAt: number }> {
    const { spec, client } = this.oauthHandler(provider);
    const stateToken = base64url(randomBytes(32));
    const codeVerifier = base64url(randomBytes(96));
    const expiresAt = this.now() + STATE_TTL_MS;
    await insertOAuthState(this.db, {
      tokenHash: sha256(stateToken).toString("hex"),
      userId,
      provider: spec.name,
      scopes,
      codeVerifier,
      expiresAt: new Date(expiresAt),
    });
    const url = new URL(client.authorizeUrl);
    url.searchParams.set("client_id", client.clientId);
    url.searchParams.set("redirect_uri", this.redirectUri);
    for (const [k, v] of Object.entries(spec.authorizeParams ?? {})) url.searchParams.set(k, v);
    const loginScopes =
      spec.scopesInLogin === "defaults"
        ? spec.defaultScopes
        : spec.scopesInLogin === "requested+defaults"
          ? [...new Set([...scopes, ...spec.defaultScopes])]
          : spec.scopesInLogin === "requested"
            ? scopes.length > 0
              ? scopes
              : spec.defaultScopes
            : [];
    if (spec.scopesInLogin !== "none") url.searchParams.set("scope", loginScopes.join(spec.scopeSeparator));
    url.searchParams.set("state", stateToken);
    if (spec.pkce) {
      url.searchParams.set("code_challenge", base64url(sha256(codeVerifier)));
      url.searchParams.set("code_challenge_method", "S256");
    }
    return { loginUrl: url.toString(), stateToken, expiresAt: Math.floor(expiresAt / 1000) };
  }

  /**
   * Completes a flow: the state must be the user's, for this provider, unexpired and unused (else 400, as AutoGPT);
   * the code is exchanged for tokens at the provider's token endpoint and the tokens stored sealed.
   */
  async completeOAuth(
    userId: string,
    provider: string,
    input: { code: string; stateToken: string },
  ): Promise<CredentialMeta> {
    const { spec, client } = this.oauthHandler(provider);
    const hash = sha256(input.stateToken).toString("hex");
    // Looked up by the token's hash (nothing to time), and deleted on the way: a state is used once.
    const state = await takeOAuthState(this.db, userId, hash, spec.name);
    if (!state || state.expiresAt.getTime() <= this.now()) throw ApiError.badRequest("Invalid or expired state token");
    const scopes = state.scopes.length > 0 ? state.scopes : spec.defaultScopes;
    let tokens: TokenResponse;
    try {
      tokens = await this.tokenRequest(spec, client, {
        grant_type: "authorization_code",
        code: input.code,
        redirect_uri: this.redirectUri,
        ...(spec.pkce ? { code_verifier: state.codeVerifier } : {}),
      });
    } catch (err) {
      throw ApiError.badRequest(`OAuth2 callback failed to exchange code for tokens: ${(err as Error).message}`, {
        provider: spec.name,
      });
    }
    const issued = this.issued(spec, tokens, scopes);
    issued.username ??= await this.accountName(spec, tokens.access_token as string);
    const key = this.keys[0] as Buffer;
    const row = await insertCredential(this.db, {
      id: randomUUID(),
      userId,
      provider: spec.name,
      type: "oauth2",
      title: issued.title,
      secret: seal(key, JSON.stringify(issued.secret)),
      keyId: keyId(key),
      username: issued.username,
      scopes: issued.scopes,
      expiresAt: issued.expiresAt,
    });
    return metaOfRow(row);
  }

  private needsRefresh(c: Extract<Credentials, { type: "oauth2" }>): boolean {
    const expires = c.access_token_expires_at;
    return typeof expires === "number" && expires < Math.floor(this.now() / 1000) + REFRESH_MARGIN_SECONDS;
  }

  /**
   * New tokens for stored OAuth2 credentials from their refresh token, stored sealed in place of the old ones. A
   * provider without refresh, or credentials without a refresh token, keep their token until it has expired.
   */
  private async refresh(row: CredentialRow, current: Extract<Credentials, { type: "oauth2" }>): Promise<Credentials> {
    const spec = oauthProvider(row.provider);
    const expired = (current.access_token_expires_at ?? 0) <= Math.floor(this.now() / 1000);
    const refreshToken = current.refresh_token;
    if (!spec?.refreshes || !refreshToken) {
      if (!expired) return current;
      throw new Error(
        `The ${row.provider} OAuth2 credentials ${row.id} have expired and cannot be refreshed; connect the account again`,
      );
    }
    let tokens: TokenResponse;
    try {
      const { client } = this.oauthHandler(spec.name);
      tokens = await this.tokenRequest(spec, client, { grant_type: "refresh_token", refresh_token: refreshToken });
    } catch (err) {
      throw new Error(`Refreshing the ${row.provider} OAuth2 credentials ${row.id} failed: ${(err as Error).message}`);
    }
    const issued = this.issued(spec, tokens, current.scopes ?? row.scopes, current);
    const key = this.keys[0] as Buffer;
    await updateCredential(this.db, row.id, {
      secret: seal(key, JSON.stringify(issued.secret)),
      keyId: keyId(key),
      expiresAt: issued.expiresAt,
      scopes: issued.scopes,
      username: issued.username ?? row.username,
    });
    const fresh = await findCredential(this.db, row.userId, row.id);
    return this.decrypt(fresh ?? row);
  }

  /** The account's name from the provider's user API, or null when it does not answer (as AutoGPT's handlers). */
  private async accountName(spec: OAuthProviderSpec, accessToken: string): Promise<string | null> {
    if (!spec.userInfo || !this.http) return null;
    try {
      const res = await this.http.forProvider(spec.name, spec.userInfo.baseUrl).request({
        url: spec.userInfo.path,
        headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
        timeoutMs: 10_000,
      });
      if (!res.ok) return null;
      const name = spec.userInfo.pick(res.json());
      return typeof name === "string" && name !== "" ? name : null;
    } catch {
      return null;
    }
  }

  /** Calls the provider's token endpoint; throws with the provider's error (never the secrets sent). */
  private async tokenRequest(
    spec: OAuthProviderSpec,
    client: Required<OAuthClientConfig>,
    params: Record<string, string>,
  ): Promise<TokenResponse> {
    if (!this.http) throw new Error("no outgoing HTTP client");
    const fields: Record<string, string> = { ...params };
    const headers: Record<string, string> = { accept: "application/json" };
    if (spec.clientAuth === "basic") {
      const basic = Buffer.from(
        `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`,
      ).toString("base64");
      headers.authorization = `Basic ${basic}`;
    } else {
      fields.client_id = client.clientId;
      fields.client_secret = client.clientSecret;
    }
    const res = await this.http.request({
      url: client.tokenUrl,
      method: "POST",
      headers:
        spec.tokenBody === "json" ? headers : { ...headers, "content-type": "application/x-www-form-urlencoded" },
      ...(spec.tokenBody === "json" ? { json: fields } : { body: new URLSearchParams(fields).toString() }),
      timeoutMs: 30_000,
      maxRedirects: 0,
    });
    let body: TokenResponse = {};
    try {
      body = res.json<TokenResponse>();
    } catch {
      body = {};
    }
    const problem =
      typeof body.error === "string"
        ? `${body.error}${typeof body.error_description === "string" ? `: ${body.error_description}` : ""}`
        : undefined;
    if (!res.ok || problem || typeof body.access_token !== "string" || body.access_token === "") {
      throw new Error(`the token endpoint answered ${res.status}${problem ? ` (${problem.slice(0, 300)})` : ""}`);
    }
    return body;
  }

  /** The credentials the provider's tokens make: sealed part, expiry, granted scopes and what names the account. */
  private issued(
    spec: OAuthProviderSpec,
    tokens: TokenResponse,
    requested: string[],
    current?: Extract<Credentials, { type: "oauth2" }>,
  ) {
    const nowSeconds = Math.floor(this.now() / 1000);
    const seconds = (v: unknown) => (typeof v === "number" && v > 0 ? nowSeconds + Math.floor(v) : null);
    const granted = typeof tokens.scope === "string" ? tokens.scope.split(/[\s,]+/).filter(Boolean) : [];
    const owner = tokens.owner as { person?: { email?: unknown } } | undefined;
    const user = tokens.user as { name?: unknown } | undefined;
    const username =
      typeof owner?.person?.email === "string"
        ? owner.person.email
        : typeof user?.name === "string"
          ? user.name
          : (current?.username ?? null);
    const metadata =
      spec.name === "notion"
        ? {
            owner: tokens.owner,
            bot_id: tokens.bot_id,
            workspace_id: tokens.workspace_id,
            workspace_name: tokens.workspace_name ?? null,
            workspace_icon: tokens.workspace_icon ?? null,
          }
        : (current?.metadata ?? {});
    const refreshToken =
      typeof tokens.refresh_token === "string" ? tokens.refresh_token : (current?.refresh_token ?? null);
    const expiresAt = seconds(tokens.expires_in);
    return {
      title: typeof tokens.workspace_name === "string" ? tokens.workspace_name : null,
      username,
      scopes: granted.length > 0 ? granted : requested,
      expiresAt: fromUnix(expiresAt),
      secret: {
        access_token: tokens.access_token as string,
        refresh_token: refreshToken,
        refresh_token_expires_at: seconds(tokens.refresh_token_expires_in) ?? current?.refresh_token_expires_at ?? null,
        metadata,
      },
    };
  }
}
