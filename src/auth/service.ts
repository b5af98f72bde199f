// Who is calling: password sign-in with sessions, Agentry's own JWTs, external IdP JWTs, and API keys.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createRemoteJWKSet, decodeJwt, type JWTPayload, type JWTVerifyGetKey, jwtVerify, SignJWT } from "jose";
import { ApiError } from "../core/errors.js";
import { TtlCache } from "../core/ttl-cache.js";
import type { Db } from "../infra/db/index.js";
import * as apiKeyRepo from "../infra/db/repos/api-keys.js";
import * as sessionRepo from "../infra/db/repos/sessions.js";
import * as userRepo from "../infra/db/repos/users.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { ALL_SCOPES, type Scope } from "./scopes.js";
import { generateSecret, newId, sha256 } from "./tokens.js";

export type UserRow = userRepo.UserRow;

export interface Principal {
  user: UserRow;
  /** How the caller proved who it is. */
  kind: "session" | "api_key" | "oauth";
  /** Scopes granted; a signed-in user (session or IdP token) holds every scope. */
  scopes: ReadonlySet<Scope>;
  sessionId?: string;
  apiKeyId?: string;
  /** The OAuth access token's id (kind "oauth"). */
  oauthTokenId?: string;
  /** What the rate limiter counts against. */
  rateKey: string;
}

/**
 * A credential stopped being trusted in this process (logout, a reused refresh token, a key revoked or re-scoped, a
 * role change, OAuth tokens revoked); long-lived connections re-check theirs on it.
 */
export type Revocation =
  | { kind: "session"; id: string }
  | { kind: "api_key"; id: string }
  | { kind: "user"; id: string }
  | { kind: "oauth"; userId?: string };

/** How AuthService checks OAuth access tokens; implemented by the OAuth provider. */
export interface OAuthTokenResolver {
  resolveAccessToken(token: string): Promise<Principal | undefined>;
  revalidate(principal: Principal): Promise<Principal | undefined>;
  /** Drops the cached principals of a user whose row changed. */
  forgetUser(userId: string): void;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "bearer";
  expires_in: number;
}

export interface AuthServiceOptions {
  db: Db;
  jwtSecret: Uint8Array;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  externalJwtSecret?: string;
  externalJwksUrl?: string;
  externalJwtIssuer?: string;
  externalJwtAudience?: string;
}

const ISSUER = "agentry";
const AUDIENCE = "authenticated";
const API_KEY_PREFIX = "agpt_";
const REFRESH_PREFIX = "agpt_rs_";
const SETUP_PREFIX = "agpt_setup_";
const ALL = new Set<Scope>(ALL_SCOPES);
/** How long an authentication lookup is trusted before the database is asked again (other processes' revocations). */
const CACHE_MS = 15_000;

export class AuthService {
  private readonly keyLookup: ReturnType<typeof apiKeyRepo.prepareActiveKeyLookup>;
  private readonly keyCache = new TtlCache<string, { principal: Principal; lastTouched: number } | null>(CACHE_MS);
  private readonly sessionCache = new TtlCache<string, Principal | null>(CACHE_MS);
  private readonly externalJwks?: JWTVerifyGetKey;
  private readonly externalSecret?: Uint8Array;

  constructor(private readonly options: AuthServiceOptions) {
    this.keyLookup = apiKeyRepo.prepareActiveKeyLookup(options.db);
    if (options.externalJwksUrl) this.externalJwks = createRemoteJWKSet(new URL(options.externalJwksUrl));
    if (options.externalJwtSecret) this.externalSecret = new TextEncoder().encode(options.externalJwtSecret);
  }

  private get db() {
    return this.options.db;
  }

  /**
   * The secret that makes a signup the first admin. It is derived from the instance's JWT secret, so every process of
   * one instance agrees on it and it is never stored; it is only shown to the operator (`agentry serve`'s console).
   */
  get setupToken(): string {
    const mac = createHmac("sha256", this.options.jwtSecret).update("agentry first-admin setup").digest("base64url");
    return `${SETUP_PREFIX}${mac}`;
  }

  /** The setup token while the instance has no admin yet; undefined once it has one. */
  async pendingSetupToken(): Promise<string | undefined> {
    return (await userRepo.countAdmins(this.db)) === 0 ? this.setupToken : undefined;
  }

  /**
   * A new account. With the operator's `setupToken`, and while there is no admin, it becomes the admin; without it,
   * always a normal user, so nobody on the network can claim an unconfigured instance.
   */
  async signup(input: {
    email: string;
    password: string;
    name?: string;
    setupToken?: string;
  }): Promise<{ user: UserRow } & TokenPair> {
    const wantsAdmin = input.setupToken !== undefined;
    if (wantsAdmin) {
      if (!safeEqual(input.setupToken as string, this.setupToken)) throw ApiError.forbidden("Invalid setup token");
      if ((await userRepo.countAdmins(this.db)) > 0) {
        throw ApiError.conflict("This instance already has an admin; sign up without setup_token", {
          field: "setup_token",
        });
      }
    }
    const passwordHash = await hashPassword(input.password);
    const user = await userRepo.insertUser(this.db, {
      id: newId(),
      email: input.email,
      name: input.name ?? null,
      passwordHash,
    });
    if (!user) throw ApiError.conflict("A user with this email already exists", { field: "email" });
    if (wantsAdmin && (await userRepo.promoteIfNoAdmin(this.db, user.id))) user.role = "admin";
    return { user, ...(await this.startSession(user)) };
  }

  async login(email: string, password: string): Promise<{ user: UserRow } & TokenPair> {
    const user = await userRepo.findUserByEmail(this.db, email);
    // Verify against a dummy hash when the user is unknown, so timing does not reveal which emails exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user?.passwordHash || !ok) throw ApiError.unauthorized("Invalid email or password");
    return { user, ...(await this.startSession(user)) };
  }

  /**
   * Rotates the refresh token. A refresh token that was already rotated away and comes back means two parties hold
   * the session's tokens, so the whole session ends: its newest refresh token and its access tokens too.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const invalid = () => ApiError.unauthorized("Invalid or expired refresh token");
    const oldHash = sha256(refreshToken);
    const session = await sessionRepo.findSessionByRefreshHash(this.db, oldHash);
    if (!session) {
      const sessionId = this.sessionOfRefreshToken(refreshToken);
      const reused = sessionId ? await sessionRepo.findSession(this.db, sessionId) : undefined;
      if (reused && !reused.revokedAt) {
        await this.logout(reused.id);
        throw ApiError.unauthorized("The refresh token was already used; the session has ended");
      }
      throw invalid();
    }
    if (session.revokedAt || session.expiresAt.getTime() < Date.now()) throw invalid();
    const user = await userRepo.findUserById(this.db, session.userId);
    if (!user) throw invalid();
    const next = this.newRefreshToken(session.id);
    const expiresAt = new Date(Date.now() + this.options.refreshTokenTtlSeconds * 1000);
    if (!(await sessionRepo.rotateRefreshToken(this.db, session.id, oldHash, sha256(next), expiresAt))) {
      // Another refresh with the same token won the rotation: the token was used twice.
      await this.logout(session.id);
      throw ApiError.unauthorized("The refresh token was already used; the session has ended");
    }
    return {
      access_token: await this.signAccessToken(user, session.id),
      refresh_token: next,
      token_type: "bearer",
      expires_in: this.options.accessTokenTtlSeconds,
    };
  }

  /**
   * `agpt_rs_<session id>.<nonce>.<mac>`: the session stores only its current token's hash, so the MAC is what shows
   * that an unknown token is a genuine old one of that session (a reuse), not a guess naming someone's session.
   */
  private newRefreshToken(sessionId: string): string {
    const body = `${sessionId}.${randomBytes(16).toString("base64url")}`;
    return `${REFRESH_PREFIX}${body}.${this.refreshMac(body)}`;
  }

  private refreshMac(body: string): string {
    return createHmac("sha256", this.options.jwtSecret).update(`refresh:${body}`).digest("base64url");
  }

  private sessionOfRefreshToken(token: string): string | undefined {
    if (!token.startsWith(REFRESH_PREFIX)) return undefined;
    const parts = token.slice(REFRESH_PREFIX.length).split(".");
    if (parts.length !== 3) return undefined;
    const [sessionId, nonce, mac] = parts as [string, string, string];
    return safeEqual(mac, this.refreshMac(`${sessionId}.${nonce}`)) ? sessionId : undefined;
  }

  /** Ends the session: its refresh token and every access token issued for it stop working at once. */
  async logout(sessionId: string): Promise<void> {
    await sessionRepo.revokeSession(this.db, sessionId);
    this.sessionCache.delete(sessionId);
    this.notifyRevoked({ kind: "session", id: sessionId });
  }

  private readonly revocationListeners = new Set<(event: Revocation) => void>();

  /** Subscribes to this process's revocations; returns the unsubscribe function. */
  onRevoked(listener: (event: Revocation) => void): () => void {
    this.revocationListeners.add(listener);
    return () => this.revocationListeners.delete(listener);
  }

  notifyRevoked(event: Revocation): void {
    for (const listener of this.revocationListeners) listener(event);
  }

  private oauthTokens?: OAuthTokenResolver;

  /** Lets OAuth access tokens (`agpt_xt_…`) authenticate; the composition root connects the OAuth provider here. */
  useOAuthTokens(resolver: OAuthTokenResolver): void {
    this.oauthTokens = resolver;
  }

  /**
   * The caller as the database sees it now, bypassing the caches, or undefined when its credential no longer works
   * (session ended, key revoked or suspended, user deleted, OAuth token revoked or expired). For connections that
   * outlive a request; an access token's own expiry does not end a live session's connection.
   */
  async revalidate(principal: Principal): Promise<Principal | undefined> {
    const user = await userRepo.findUserById(this.db, principal.user.id);
    if (!user) return undefined;
    if (principal.kind === "session") {
      if (principal.sessionId) {
        const session = await sessionRepo.findSession(this.db, principal.sessionId);
        if (!session || session.revokedAt || session.expiresAt.getTime() <= Date.now()) return undefined;
      }
      return { ...principal, user };
    }
    if (principal.kind === "api_key") {
      const key = await apiKeyRepo.findApiKey(this.db, user.id, principal.apiKeyId as string);
      if (key?.status !== "ACTIVE") return undefined;
      return { ...principal, user, scopes: new Set(key.permissions as Scope[]) };
    }
    return this.oauthTokens ? this.oauthTokens.revalidate({ ...principal, user }) : undefined;
  }

  /** Resolves the caller from request headers; undefined when no credentials were sent. */
  async authenticate(headers: {
    authorization?: string | undefined;
    "x-api-key"?: string | string[] | undefined;
  }): Promise<Principal | undefined> {
    const apiKey = headers["x-api-key"];
    if (typeof apiKey === "string" && apiKey) return this.authenticateApiKey(apiKey);
    const auth = headers.authorization;
    if (!auth) return undefined;
    // Basic credentials belong to OAuth clients on the token endpoints, not to users.
    if (/^Basic\s/i.test(auth.trim())) return undefined;
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (!match) throw ApiError.unauthorized("Authorization header must be 'Bearer <token>'");
    return this.authenticateBearer(match[1] as string);
  }

  async authenticateBearer(token: string): Promise<Principal> {
    if (token.startsWith(API_KEY_PREFIX)) return this.authenticateOpaqueBearer(token);
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw ApiError.unauthorized("Invalid token");
    }
    if (claims.iss === ISSUER) return this.authenticateOwnJwt(token);
    return this.authenticateExternalJwt(token);
  }

  private async authenticateOpaqueBearer(token: string): Promise<Principal> {
    const principal = this.oauthTokens ? await this.oauthTokens.resolveAccessToken(token) : undefined;
    if (!principal) throw ApiError.unauthorized("Invalid or expired access token");
    return principal;
  }

  private async authenticateOwnJwt(token: string): Promise<Principal> {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, this.options.jwtSecret, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["HS256"],
      }));
    } catch {
      throw ApiError.unauthorized("Invalid or expired token");
    }
    const sid = claims.sid as string | undefined;
    if (!sid || !claims.sub) throw ApiError.unauthorized("Invalid token");
    let principal = this.sessionCache.get(sid);
    if (principal === undefined) {
      const session = await sessionRepo.findSession(this.db, sid);
      const user = session && !session.revokedAt ? await userRepo.findUserById(this.db, session.userId) : undefined;
      principal = user ? { user, kind: "session", scopes: ALL, sessionId: sid, rateKey: `user:${user.id}` } : null;
      this.sessionCache.set(sid, principal);
    }
    if (!principal || principal.user.id !== claims.sub) throw ApiError.unauthorized("Session has ended");
    return principal;
  }

  private async authenticateExternalJwt(token: string): Promise<Principal> {
    if (!this.externalSecret && !this.externalJwks) throw ApiError.unauthorized("Invalid token");
    let claims: JWTPayload;
    try {
      const opts = {
        issuer: this.options.externalJwtIssuer,
        audience: this.options.externalJwtAudience,
      };
      ({ payload: claims } = this.externalSecret
        ? await jwtVerify(token, this.externalSecret, { ...opts, algorithms: ["HS256"] }).catch((err) => {
            if (this.externalJwks) return jwtVerify(token, this.externalJwks, opts);
            throw err;
          })
        : await jwtVerify(token, this.externalJwks as JWTVerifyGetKey, opts));
    } catch {
      throw ApiError.unauthorized("Invalid or expired token");
    }
    const sub = claims.sub;
    const email = typeof claims.email === "string" ? claims.email : undefined;
    if (!sub) throw ApiError.unauthorized("Token has no subject");
    const cacheKey = `ext:${sub}`;
    let principal = this.sessionCache.get(cacheKey);
    if (!principal) {
      let user = await userRepo.findUserById(this.db, sub);
      if (!user) {
        if (!email) throw ApiError.unauthorized("Token has no email claim to create the user from");
        if (await userRepo.findUserByEmail(this.db, email)) {
          throw ApiError.conflict("A different user already holds this email");
        }
        const name = typeof claims.name === "string" ? claims.name : null;
        user =
          (await userRepo.insertUser(this.db, { id: sub, email, name })) ?? (await userRepo.findUserById(this.db, sub));
        if (!user) throw ApiError.unauthorized("Could not create the user");
      }
      principal = { user, kind: "session", scopes: ALL, rateKey: `user:${user.id}` };
      this.sessionCache.set(cacheKey, principal);
    }
    return principal;
  }

  private async authenticateApiKey(key: string): Promise<Principal> {
    if (!key.startsWith(API_KEY_PREFIX)) throw ApiError.unauthorized("Invalid API key");
    const hash = sha256(key);
    let cached = this.keyCache.get(hash);
    if (cached === undefined) {
      const row = await this.keyLookup(hash);
      cached = row
        ? {
            principal: {
              user: row.user,
              kind: "api_key",
              scopes: new Set(row.key.permissions as Scope[]),
              apiKeyId: row.key.id,
              rateKey: `key:${row.key.id}`,
            },
            lastTouched: row.key.lastUsedAt?.getTime() ?? 0,
          }
        : null;
      this.keyCache.set(hash, cached);
    }
    if (!cached) throw ApiError.unauthorized("Invalid or revoked API key");
    // last_used_at is a hint for the user, so it is written at most once a minute per key.
    const now = Date.now();
    if (now - cached.lastTouched > 60_000) {
      cached.lastTouched = now;
      apiKeyRepo.touchApiKey(this.db, cached.principal.apiKeyId as string, new Date(now)).catch(() => {});
    }
    return cached.principal;
  }

  /** Called after a key is revoked, suspended or re-scoped, so this process stops trusting its cached form. */
  forgetApiKey(id: string): void {
    this.keyCache.deleteWhere((entry) => entry?.principal.apiKeyId === id);
    this.notifyRevoked({ kind: "api_key", id });
  }

  /** Called after a user's role changes: live connections re-check what they may do. */
  forgetUser(id: string): void {
    this.refreshUser(id);
    this.notifyRevoked({ kind: "user", id });
  }

  /** Called after a user's profile (email, timezone, preferences) changes: the next request reads the user afresh. */
  refreshUser(id: string): void {
    this.keyCache.deleteWhere((entry) => entry?.principal.user.id === id);
    this.sessionCache.deleteWhere((p) => p?.user.id === id);
    this.oauthTokens?.forgetUser(id);
  }

  async createApiKey(
    user: UserRow,
    input: { name: string; description?: string | null; permissions: Scope[] },
  ): Promise<{ row: apiKeyRepo.ApiKeyRow; plainText: string }> {
    const plainText = generateSecret(API_KEY_PREFIX);
    const row = await apiKeyRepo.insertApiKey(this.db, {
      id: newId(),
      name: input.name,
      description: input.description ?? null,
      head: plainText.slice(0, 8),
      tail: plainText.slice(-8),
      hash: sha256(plainText),
      permissions: [...new Set(input.permissions)],
      userId: user.id,
    });
    return { row, plainText };
  }

  /** Starts a session for a user proven by other means (an external OpenID Connect sign-in). */
  issueSession(user: UserRow): Promise<TokenPair> {
    return this.startSession(user);
  }

  private async startSession(user: UserRow): Promise<TokenPair> {
    const id = newId();
    const refresh = this.newRefreshToken(id);
    await sessionRepo.insertSession(this.db, {
      id,
      userId: user.id,
      refreshTokenHash: sha256(refresh),
      expiresAt: new Date(Date.now() + this.options.refreshTokenTtlSeconds * 1000),
    });
    return {
      access_token: await this.signAccessToken(user, id),
      refresh_token: refresh,
      token_type: "bearer",
      expires_in: this.options.accessTokenTtlSeconds,
    };
  }

  /** Supabase-shaped claims (sub, email, role, aud), so clients written for AutoGPT read them unchanged. */
  private signAccessToken(user: UserRow, sessionId: string): Promise<string> {
    return new SignJWT({ email: user.email, role: "authenticated", sid: sessionId })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.options.accessTokenTtlSeconds}s`)
      .sign(this.options.jwtSecret);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const DUMMY_HASH =
  "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
