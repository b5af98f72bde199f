// Agentry as an OAuth 2.0 authorization server: registered apps, consent codes with PKCE, rotating tokens, revocation.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { TtlCache } from "../core/ttl-cache.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/oauth.js";
import { ALL_SCOPES, isScope, type Scope } from "./scopes.js";
import type { AuthService, Principal, UserRow } from "./service.js";
import { generateSecret, newId, sha256 } from "./tokens.js";

export type OAuthAppRow = repo.OAuthAppRow;

/** AutoGPT's lifetimes: access token 1 hour, refresh token 30 days, authorization code 10 minutes. */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
export const AUTHORIZATION_CODE_TTL_SECONDS = 600;

export const ACCESS_TOKEN_PREFIX = "agpt_xt_";
export const REFRESH_TOKEN_PREFIX = "agpt_rt_";
const CLIENT_ID_PREFIX = "agpt_client_";
const CLIENT_SECRET_PREFIX = "agpt_secret_";

export const GRANT_TYPES = ["authorization_code", "refresh_token"] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** How long a resolved access token is trusted before the database is asked again (other processes' revocations). */
const CACHE_MS = 15_000;

export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "unsupported_token_type"
  | "access_denied"
  | "unsupported_response_type"
  | "server_error";

/** An error of the OAuth protocol itself, answered as `{error, error_description}` (RFC 6749 §5.2). */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = error === "invalid_client" ? 401 : 400,
  ) {
    super(description);
    this.name = "OAuthError";
  }

  toJSON() {
    return { error: this.error, error_description: this.description };
  }
}

/**
 * A bad authorization request. `redirectable` errors go back to the client's (verified) redirect URI; the others
 * (unknown client, unregistered redirect URI) must not redirect anywhere (RFC 6749 §4.1.2.1).
 */
export class AuthorizationRequestError extends OAuthError {
  constructor(
    error: OAuthErrorCode,
    description: string,
    readonly redirectable: boolean,
  ) {
    super(error, description, 400);
  }
}

export interface AuthorizationRequest {
  client_id?: string;
  redirect_uri?: string;
  response_type?: string;
  /** Space-separated (RFC 6749); commas are tolerated. */
  scope?: string;
  /** AutoGPT's consent endpoint sends the scopes as a list. */
  scopes?: string[];
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
}

export interface ValidAuthorization {
  app: OAuthAppRow;
  redirectUri: string;
  scopes: Scope[];
  state: string;
  codeChallenge: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token?: string;
  scope: string;
  /** AutoGPT's fields, beside the standard ones. */
  access_token_expires_at: string;
  refresh_token_expires_at?: string;
  scopes: Scope[];
}

export interface IntrospectionResult {
  active: boolean;
  scope?: string;
  scopes?: string[];
  client_id?: string;
  user_id?: string;
  sub?: string;
  exp?: number;
  iat?: number;
  token_type?: "access_token" | "refresh_token";
}

export interface AuthorizedApp {
  app_id: string;
  client_id: string;
  name: string;
  description: string | null;
  logo_url: string | null;
  scopes: Scope[];
  granted_at: string;
  expires_at: string;
}

export interface NewApplication {
  name: string;
  description?: string | null;
  logoUrl?: string | null;
  redirectUris: string[];
  scopes: Scope[];
  grantTypes?: GrantType[];
  ownerId: string;
}

export interface OAuthProviderOptions {
  db: Db;
  /** When given, revocations are announced through it (live connections of the revoked grant end). */
  auth?: AuthService;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  codeTtlSeconds?: number;
}

interface CachedToken {
  principal: Principal;
  tokenId: string;
  grantId: string;
  appId: string;
  expiresAt: number;
}

const SCOPE_ORDER = new Map<string, number>(ALL_SCOPES.map((s, i) => [s, i]));
const sortScopes = (scopes: Iterable<string>) =>
  [...new Set(scopes)].sort((a, b) => (SCOPE_ORDER.get(a) ?? 999) - (SCOPE_ORDER.get(b) ?? 999)) as Scope[];

export function parseScopes(input: string | string[] | undefined): string[] {
  const parts = Array.isArray(input) ? input : (input ?? "").split(/[\s,]+/);
  return [...new Set(parts.map((s) => s.trim()).filter(Boolean))];
}

/** True for an absolute URL without a fragment, which a redirect URI must be (RFC 6749 §3.1.2). */
export function isValidRedirectUri(uri: string): boolean {
  try {
    const url = new URL(uri);
    return !uri.includes("#") && url.protocol !== "javascript:" && url.protocol !== "data:";
  } catch {
    return false;
  }
}

const iso = (d: Date) => d.toISOString();

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class OAuthProvider {
  private readonly accessTtl: number;
  private readonly refreshTtl: number;
  private readonly codeTtl: number;
  private readonly cache = new TtlCache<string, CachedToken | null>(CACHE_MS);
  private lookup?: ReturnType<typeof repo.prepareAccessTokenLookup>;

  constructor(private readonly options: OAuthProviderOptions) {
    this.accessTtl = options.accessTokenTtlSeconds ?? ACCESS_TOKEN_TTL_SECONDS;
    this.refreshTtl = options.refreshTokenTtlSeconds ?? REFRESH_TOKEN_TTL_SECONDS;
    this.codeTtl = options.codeTtlSeconds ?? AUTHORIZATION_CODE_TTL_SECONDS;
  }

  private get db() {
    return this.options.db;
  }

  // ---- applications ----

  /** Registers an application; the plain client secret is returned here only and stored as a SHA-256 digest. */
  async createApp(input: NewApplication): Promise<{ app: OAuthAppRow; clientSecret: string }> {
    const clientSecret = generateSecret(CLIENT_SECRET_PREFIX);
    const app = await repo.insertApplication(this.db, {
      id: newId(),
      name: input.name,
      description: input.description ?? null,
      logoUrl: input.logoUrl ?? null,
      clientId: CLIENT_ID_PREFIX + randomBytes(16).toString("base64url"),
      clientSecretHash: sha256(clientSecret),
      redirectUris: [...new Set(input.redirectUris)],
      scopes: sortScopes(input.scopes),
      grantTypes: [...new Set(input.grantTypes ?? GRANT_TYPES)],
      ownerId: input.ownerId,
    });
    return { app, clientSecret };
  }

  async updateApp(
    id: string,
    patch: Partial<Omit<NewApplication, "ownerId">> & { isActive?: boolean },
  ): Promise<OAuthAppRow | undefined> {
    const values: Parameters<typeof repo.updateApplication>[2] = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.logoUrl !== undefined) values.logoUrl = patch.logoUrl;
    if (patch.redirectUris !== undefined) values.redirectUris = [...new Set(patch.redirectUris)];
    if (patch.scopes !== undefined) values.scopes = sortScopes(patch.scopes);
    if (patch.grantTypes !== undefined) values.grantTypes = [...new Set(patch.grantTypes)];
    if (patch.isActive !== undefined) values.isActive = patch.isActive;
    const row = await repo.updateApplication(this.db, id, values);
    if (row && patch.isActive !== undefined) {
      this.forgetApp(id);
      // Re-enabled: its tokens may sit in the cache as unknown; let them be looked up again.
      if (patch.isActive) this.cache.deleteWhere((e) => e === null);
    }
    return row;
  }

  listApps(page: number, pageSize: number, search?: string): Promise<{ rows: OAuthAppRow[]; total: number }> {
    return repo.listApplications(this.db, page, pageSize, search);
  }

  getApp(id: string): Promise<OAuthAppRow | undefined> {
    return repo.findApplicationById(this.db, id);
  }

  /** Replaces the client secret; the old one stops working at once, issued tokens stay valid. */
  async rotateSecret(id: string): Promise<string | undefined> {
    const clientSecret = generateSecret(CLIENT_SECRET_PREFIX);
    const row = await repo.updateApplication(this.db, id, { clientSecretHash: sha256(clientSecret) });
    return row ? clientSecret : undefined;
  }

  async deleteApp(id: string): Promise<boolean> {
    const deleted = await repo.deleteApplication(this.db, id);
    if (deleted) this.forgetApp(id);
    return deleted;
  }

  /** The application behind client credentials, or `invalid_client`. */
  async authenticateClient(clientId: string | undefined, clientSecret: string | undefined): Promise<OAuthAppRow> {
    if (!clientId || !clientSecret) throw new OAuthError("invalid_client", "Client authentication is required");
    const app = await repo.findApplicationByClientId(this.db, clientId);
    // Hash even for an unknown client, so timing does not reveal which client ids exist.
    const ok = safeEqual(sha256(clientSecret), app?.clientSecretHash ?? sha256(""));
    if (!app || !ok) throw new OAuthError("invalid_client", "Invalid client credentials");
    if (!app.isActive) throw new OAuthError("invalid_client", "The application is disabled");
    return app;
  }

  // ---- authorization ----

  /** Checks an authorization request in the order RFC 6749 §4.1.2.1 asks: client and redirect URI first. */
  async validateAuthorization(request: AuthorizationRequest): Promise<ValidAuthorization> {
    const app = request.client_id ? await repo.findApplicationByClientId(this.db, request.client_id) : undefined;
    if (!app) throw new AuthorizationRequestError("invalid_client", "Unknown client_id", false);
    if (!app.isActive) throw new AuthorizationRequestError("invalid_client", "The application is disabled", false);
    if (!request.redirect_uri || !app.redirectUris.includes(request.redirect_uri)) {
      throw new AuthorizationRequestError(
        "invalid_request",
        "redirect_uri is not one of the application's registered redirect URIs",
        false,
      );
    }
    const fail = (error: OAuthErrorCode, description: string): never => {
      throw new AuthorizationRequestError(error, description, true);
    };
    if (request.response_type !== "code") fail("unsupported_response_type", "response_type must be 'code'");
    if (!request.state) fail("invalid_request", "state is required");
    if (!request.code_challenge) fail("invalid_request", "code_challenge is required (PKCE with S256)");
    if (request.code_challenge_method !== "S256") fail("invalid_request", "code_challenge_method must be 'S256'");
    if (!/^[A-Za-z0-9_-]{43}$/.test(request.code_challenge as string)) {
      fail("invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier");
    }
    const requested = parseScopes(request.scopes ?? request.scope);
    if (requested.length === 0) fail("invalid_scope", "At least one scope is required");
    const unknown = requested.filter((s) => !isScope(s));
    if (unknown.length > 0) fail("invalid_scope", `Unknown scope: ${unknown.join(", ")}`);
    const notAllowed = requested.filter((s) => !app.scopes.includes(s));
    if (notAllowed.length > 0) {
      fail("invalid_scope", `The application may not request: ${notAllowed.join(", ")}`);
    }
    return {
      app,
      redirectUri: request.redirect_uri,
      scopes: sortScopes(requested),
      state: request.state as string,
      codeChallenge: request.code_challenge as string,
    };
  }

  /** Issues a single-use authorization code for an approved request; only its hash is stored. */
  async issueCode(grant: ValidAuthorization, user: UserRow): Promise<string> {
    const code = randomBytes(32).toString("base64url");
    await repo.insertAuthorizationCode(this.db, {
      id: newId(),
      codeHash: sha256(code),
      applicationId: grant.app.id,
      userId: user.id,
      scopes: grant.scopes,
      redirectUri: grant.redirectUri,
      codeChallenge: grant.codeChallenge,
      codeChallengeMethod: "S256",
      expiresAt: new Date(Date.now() + this.codeTtl * 1000),
    });
    return code;
  }

  // ---- token endpoint ----

  async exchangeCode(
    app: OAuthAppRow,
    input: { code?: string; redirect_uri?: string; code_verifier?: string },
  ): Promise<TokenResponse> {
    if (!app.grantTypes.includes("authorization_code")) {
      throw new OAuthError("unauthorized_client", "The application may not use the authorization_code grant");
    }
    if (!input.code) throw new OAuthError("invalid_request", "code is required");
    if (!input.redirect_uri) throw new OAuthError("invalid_request", "redirect_uri is required");
    if (!input.code_verifier) throw new OAuthError("invalid_request", "code_verifier is required (PKCE)");
    const code = await repo.findAuthorizationCodeByHash(this.db, sha256(input.code));
    if (!code || code.applicationId !== app.id) throw new OAuthError("invalid_grant", "Invalid authorization code");
    if (code.usedAt) {
      // A code presented twice may have been stolen: what it granted is taken back (RFC 6749 §4.1.2).
      await this.revokeGrant(code.userId, app.id, code.id);
      throw new OAuthError("invalid_grant", "The authorization code was already used");
    }
    if (code.expiresAt.getTime() <= Date.now()) throw new OAuthError("invalid_grant", "The authorization code expired");
    if (code.redirectUri !== input.redirect_uri) {
      throw new OAuthError("invalid_grant", "redirect_uri does not match the authorization request");
    }
    if (!verifyPkce(input.code_verifier, code.codeChallenge ?? "")) {
      throw new OAuthError("invalid_grant", "PKCE verification failed");
    }
    if (!(await repo.markAuthorizationCodeUsed(this.db, code.id, new Date()))) {
      await this.revokeGrant(code.userId, app.id, code.id);
      throw new OAuthError("invalid_grant", "The authorization code was already used");
    }
    const scopes = code.scopes.filter(isScope);
    return this.issueTokens(app, code.userId, code.id, scopes, scopes);
  }

  async refresh(app: OAuthAppRow, input: { refresh_token?: string; scope?: string }): Promise<TokenResponse> {
    if (!app.grantTypes.includes("refresh_token")) {
      throw new OAuthError("unauthorized_client", "The application may not use the refresh_token grant");
    }
    if (!input.refresh_token) throw new OAuthError("invalid_request", "refresh_token is required");
    const hash = sha256(input.refresh_token);
    // A bad scope is the client's mistake, not a use: check it before the token is rotated away.
    const requested = input.scope === undefined ? undefined : parseScopes(input.scope);
    if (requested) {
      const found = await repo.findToken(this.db, "refresh", { hash });
      if (found && found.token.applicationId === app.id && !found.token.revokedAt) {
        const extra = requested.filter((s) => !found.token.scopes.includes(s));
        if (requested.length === 0 || extra.length > 0) {
          throw new OAuthError("invalid_scope", `The refresh token does not grant: ${extra.join(", ") || "(none)"}`);
        }
      }
    }
    const now = new Date();
    const claimed = await repo.claimRefreshToken(this.db, hash, app.id, now);
    if (!claimed) {
      const found = await repo.findToken(this.db, "refresh", { hash });
      if (!found || found.token.applicationId !== app.id)
        throw new OAuthError("invalid_grant", "Invalid refresh token");
      if (found.token.revokedAt) {
        // A rotated refresh token came back: one of the two holders is not the client, so the family ends.
        await this.revokeGrant(found.token.userId, app.id, found.token.grantId);
        throw new OAuthError("invalid_grant", "The refresh token was revoked");
      }
      throw new OAuthError("invalid_grant", "The refresh token expired");
    }
    const granted = claimed.scopes.filter(isScope);
    let scopes = granted;
    if (requested) {
      // Checked above already; a refresh token's scopes never change, so this only guards the invariant.
      if (requested.length === 0 || requested.some((s) => !granted.includes(s as Scope))) {
        throw new OAuthError("invalid_scope", "The refresh token does not grant the requested scope");
      }
      scopes = sortScopes(requested);
    }
    return this.issueTokens(app, claimed.userId, claimed.grantId, scopes, granted);
  }

  private async issueTokens(
    app: OAuthAppRow,
    userId: string,
    grantId: string,
    accessScopes: Scope[],
    refreshScopes: Scope[],
  ): Promise<TokenResponse> {
    const access = generateSecret(ACCESS_TOKEN_PREFIX);
    const refresh = app.grantTypes.includes("refresh_token") ? generateSecret(REFRESH_TOKEN_PREFIX) : undefined;
    const now = Date.now();
    const accessExpires = new Date(now + this.accessTtl * 1000);
    const refreshExpires = new Date(now + this.refreshTtl * 1000);
    const base = { applicationId: app.id, userId, grantId };
    await repo.insertTokenPair(
      this.db,
      {
        ...base,
        id: newId(),
        tokenHash: sha256(access),
        scopes: accessScopes,
        expiresAt: accessExpires,
      },
      refresh
        ? {
            ...base,
            id: newId(),
            tokenHash: sha256(refresh),
            scopes: refreshScopes,
            expiresAt: refreshExpires,
          }
        : undefined,
    );
    return {
      access_token: access,
      token_type: "Bearer",
      expires_in: this.accessTtl,
      ...(refresh ? { refresh_token: refresh } : {}),
      scope: accessScopes.join(" "),
      access_token_expires_at: iso(accessExpires),
      ...(refresh ? { refresh_token_expires_at: iso(refreshExpires) } : {}),
      scopes: accessScopes,
    };
  }

  /**
   * Revokes a token the client holds (RFC 7009). A refresh token takes its whole grant with it (the access tokens
   * issued alongside). Unknown tokens and other clients' tokens are ignored, as the RFC asks.
   */
  async revoke(app: OAuthAppRow, token: string, hint?: string): Promise<void> {
    const hash = sha256(token);
    const order: Array<"access" | "refresh"> = hint === "refresh_token" ? ["refresh", "access"] : ["access", "refresh"];
    for (const kind of order) {
      const row = await repo.revokeTokenByHash(this.db, kind, hash, app.id);
      if (!row) continue;
      if (kind === "refresh") await this.revokeGrant(row.userId, app.id, row.grantId);
      this.cache.deleteWhere((e) => e?.tokenId === row.id);
      this.options.auth?.notifyRevoked({ kind: "oauth", userId: row.userId });
      return;
    }
  }

  /**
   * RFC 7662: whether a token is live, and what it grants. A client learns only about its own tokens: another
   * application's token answers inactive (RFC 7662 §4), so a token leaked to one app cannot be probed by another.
   */
  async introspect(client: OAuthAppRow, token: string, hint?: string): Promise<IntrospectionResult> {
    const hash = sha256(token);
    const order: Array<"access" | "refresh"> = hint === "refresh_token" ? ["refresh", "access"] : ["access", "refresh"];
    for (const kind of order) {
      const found = await repo.findToken(this.db, kind, { hash });
      if (!found) continue;
      const { token: row, app } = found;
      if (app.id !== client.id) return { active: false };
      if (row.revokedAt || row.expiresAt.getTime() <= Date.now() || !app.isActive) return { active: false };
      return {
        active: true,
        scope: row.scopes.join(" "),
        scopes: row.scopes,
        client_id: app.clientId,
        user_id: row.userId,
        sub: row.userId,
        exp: Math.floor(row.expiresAt.getTime() / 1000),
        iat: Math.floor(row.createdAt.getTime() / 1000),
        token_type: kind === "access" ? "access_token" : "refresh_token",
      };
    }
    return { active: false };
  }

  /** Resolves an `agpt_xt_…` bearer token to its user and granted scopes; undefined when unknown, expired or revoked. */
  async resolveAccessToken(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(ACCESS_TOKEN_PREFIX)) return undefined;
    const hash = sha256(token);
    let entry = this.cache.get(hash);
    if (entry === undefined) {
      this.lookup ??= repo.prepareAccessTokenLookup(this.db);
      const row = await this.lookup(hash);
      entry =
        row && !row.token.revokedAt && row.app.isActive
          ? {
              principal: {
                user: row.user,
                kind: "oauth",
                scopes: new Set(row.token.scopes.filter(isScope)),
                oauthTokenId: row.token.id,
                rateKey: `oauth:${row.token.id}`,
              },
              tokenId: row.token.id,
              grantId: row.token.grantId,
              appId: row.app.id,
              expiresAt: row.token.expiresAt.getTime(),
            }
          : null;
      this.cache.set(hash, entry);
    }
    if (!entry || entry.expiresAt <= Date.now()) return undefined;
    return entry.principal;
  }

  /** An OAuth principal as the database sees it now (for connections that outlive a request). */
  async revalidate(principal: Principal): Promise<Principal | undefined> {
    if (!principal.oauthTokenId) return undefined;
    const found = await repo.findToken(this.db, "access", { id: principal.oauthTokenId });
    if (!found || found.token.revokedAt || !found.app.isActive) return undefined;
    if (found.token.expiresAt.getTime() <= Date.now()) return undefined;
    return { ...principal, scopes: new Set(found.token.scopes.filter(isScope)) };
  }

  // ---- what a user has authorized ----

  async listAuthorizedApps(userId: string): Promise<AuthorizedApp[]> {
    const rows = await repo.listLiveTokensOfUser(this.db, userId, new Date());
    const byApp = new Map<string, { app: OAuthAppRow; scopes: Set<string>; granted: Date; expires: Date }>();
    for (const { token, app } of rows) {
      const entry = byApp.get(app.id) ?? { app, scopes: new Set(), granted: token.createdAt, expires: token.expiresAt };
      for (const s of token.scopes) entry.scopes.add(s);
      if (token.createdAt < entry.granted) entry.granted = token.createdAt;
      if (token.expiresAt > entry.expires) entry.expires = token.expiresAt;
      byApp.set(app.id, entry);
    }
    return [...byApp.values()]
      .sort((a, b) => b.granted.getTime() - a.granted.getTime())
      .map(({ app, scopes, granted, expires }) => ({
        app_id: app.id,
        client_id: app.clientId,
        name: app.name,
        description: app.description,
        logo_url: app.logoUrl,
        scopes: sortScopes(scopes),
        granted_at: iso(granted),
        expires_at: iso(expires),
      }));
  }

  /** Takes back everything a user granted an application; false when there is no such application. */
  async revokeAuthorizedApp(userId: string, appId: string): Promise<boolean> {
    const app = await repo.findApplicationById(this.db, appId);
    if (!app) return false;
    await repo.revokeUserAppTokens(this.db, userId, appId);
    await repo.deleteUnusedCodes(this.db, userId, appId);
    this.cache.deleteWhere((e) => e?.appId === appId && e.principal.user.id === userId);
    this.options.auth?.notifyRevoked({ kind: "oauth", userId });
    return true;
  }

  private async revokeGrant(userId: string, appId: string, grantId: string): Promise<void> {
    await repo.revokeGrant(this.db, userId, appId, grantId);
    this.cache.deleteWhere((e) => e !== null && e.appId === appId && e.grantId === grantId);
    this.options.auth?.notifyRevoked({ kind: "oauth", userId });
  }

  forgetUser(userId: string): void {
    this.cache.deleteWhere((e) => e?.principal.user.id === userId);
  }

  private forgetApp(appId: string): void {
    this.cache.deleteWhere((e) => e?.appId === appId);
    this.options.auth?.notifyRevoked({ kind: "oauth" });
  }
}

/** RFC 7636 S256: BASE64URL(SHA256(code_verifier)) equals the code_challenge. */
export function verifyPkce(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  return safeEqual(createHash("sha256").update(verifier).digest("base64url"), challenge);
}
