// Sign-in through external OpenID Connect providers: authorization code + PKCE + nonce, then an Agentry session.
import * as oidc from "openid-client";
import type { OidcProviderConfig } from "../config.js";
import { ApiError } from "../core/errors.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/oauth.js";
import * as userRepo from "../infra/db/repos/users.js";
import type { AuthService, TokenPair, UserRow } from "./service.js";
import { newId } from "./tokens.js";

/** A login must come back within this long. */
const LOGIN_TTL_MS = 10 * 60 * 1000;
const DEFAULT_SCOPES = ["openid", "email", "profile"];

/** A failed login that knows where the browser wanted to go, so the answer can be a redirect there. */
export class LoginFailed extends ApiError {
  constructor(
    message: string,
    readonly redirectTo: string | undefined,
    readonly reason = "login_failed",
  ) {
    super("UNAUTHORIZED", 401, message, { error: reason });
  }
}

export interface OidcLoginOptions {
  db: Db;
  auth: AuthService;
  providers: OidcProviderConfig[];
}

/** Plain http is accepted for an issuer on this machine only (development and tests); anything else needs https. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** `redirect_to` may only be a path on this server (no open redirects); undefined when absent. */
export function safeRedirectPath(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  const invalid = () =>
    ApiError.validation("redirect_to must be a relative path on this server", [
      { field: "querystring.redirect_to", message: "must start with a single '/'", location: "querystring" },
    ]);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
  if (!value.startsWith("/") || value.startsWith("//") || /[\\\u0000-\u001f\u007f]/.test(value)) throw invalid();
  const url = new URL(value, "http://agentry.invalid");
  if (url.origin !== "http://agentry.invalid") throw invalid();
  return url.pathname + url.search;
}

export class OidcLogin {
  private readonly configs = new Map<string, Promise<oidc.Configuration>>();

  constructor(private readonly options: OidcLoginOptions) {}

  private get db() {
    return this.options.db;
  }

  private provider(name: string): OidcProviderConfig {
    const provider = this.options.providers.find((p) => p.name === name);
    if (!provider) throw ApiError.notFound("OAuth provider", { provider: name });
    return provider;
  }

  /** The provider's discovered configuration, fetched once (and again after a failure). */
  private configuration(provider: OidcProviderConfig): Promise<oidc.Configuration> {
    let pending = this.configs.get(provider.name);
    if (!pending) {
      pending = this.discover(provider);
      this.configs.set(provider.name, pending);
      pending.catch(() => this.configs.delete(provider.name));
    }
    return pending;
  }

  private async discover(provider: OidcProviderConfig): Promise<oidc.Configuration> {
    const issuer = new URL(provider.issuer);
    const insecure = issuer.protocol === "http:" && isLoopback(issuer.hostname);
    const execute = insecure ? [oidc.allowInsecureRequests] : [];
    let discovered: oidc.Configuration;
    try {
      discovered = await oidc.discovery(issuer, provider.clientId, provider.clientSecret, undefined, { execute });
    } catch {
      throw new ApiError("SERVICE_UNAVAILABLE", 503, `The identity provider "${provider.name}" could not be reached`);
    }
    // client_secret_basic is OpenID Connect's default; post only when the provider offers nothing else.
    const methods = discovered.serverMetadata().token_endpoint_auth_methods_supported;
    if (methods && !methods.includes("client_secret_basic") && methods.includes("client_secret_post")) {
      return discovered;
    }
    const config = new oidc.Configuration(
      discovered.serverMetadata(),
      provider.clientId,
      provider.clientSecret,
      oidc.ClientSecretBasic(provider.clientSecret),
    );
    for (const fn of execute) fn(config);
    return config;
  }

  /** Starts a login: remembers state, nonce and PKCE verifier, and answers the provider's authorization URL. */
  async start(name: string, input: { callbackUrl: string; redirectTo?: string }): Promise<URL> {
    const provider = this.provider(name);
    const config = await this.configuration(provider);
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const now = new Date();
    await repo.deleteExpiredLoginStates(this.db, now);
    await repo.insertLoginState(this.db, {
      state,
      provider: name,
      nonce,
      codeVerifier,
      redirectTo: input.redirectTo ?? null,
      expiresAt: new Date(now.getTime() + LOGIN_TTL_MS),
    });
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: input.callbackUrl,
      scope: (provider.scopes ?? DEFAULT_SCOPES).join(" "),
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
    });
  }

  /**
   * Completes a login from the provider's redirect (`currentUrl` is the full callback URL): verifies it, finds or
   * creates the user, and starts a session.
   */
  async finish(
    name: string,
    currentUrl: URL,
  ): Promise<{ user: UserRow; tokens: TokenPair; redirectTo: string | undefined; created: boolean }> {
    const provider = this.provider(name);
    const stateParam = currentUrl.searchParams.get("state");
    const login = stateParam ? await repo.takeLoginState(this.db, stateParam) : undefined;
    if (!login || login.provider !== name || login.expiresAt.getTime() <= Date.now()) {
      throw new LoginFailed("Unknown or expired login; start again", undefined, "invalid_state");
    }
    const redirectTo = login.redirectTo ?? undefined;
    const idpError = currentUrl.searchParams.get("error");
    if (idpError) {
      throw new LoginFailed(
        `The identity provider refused the login (${idpError.slice(0, 100)})`,
        redirectTo,
        idpError,
      );
    }
    const config = await this.configuration(provider);
    let claims: Record<string, unknown>;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: login.codeVerifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims() as oidc.IDToken;
      claims = { ...idToken };
      if (typeof claims.email !== "string") {
        // Many providers put email only in UserInfo unless it is asked for in the ID token.
        claims = { ...(await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub)), ...claims };
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new LoginFailed("The identity provider's answer could not be verified", redirectTo, "invalid_grant");
    }
    const { user, created } = await this.findOrCreateUser(name, claims, redirectTo);
    return { user, tokens: await this.options.auth.issueSession(user), redirectTo, created };
  }

  /**
   * The user is found by the provider's subject. On first sight, an existing account is linked only when the
   * provider vouches for the email (email_verified) and the account's own email is not an unverified change;
   * otherwise a new user is created with that email.
   */
  private async findOrCreateUser(provider: string, claims: Record<string, unknown>, redirectTo: string | undefined) {
    const subject = String(claims.sub);
    const known = await repo.findIdentity(this.db, provider, subject);
    const knownUser = known ? await userRepo.findUserById(this.db, known.userId) : undefined;
    if (knownUser) return { user: knownUser, created: false };

    const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : "";
    if (!email) {
      throw new LoginFailed("The identity provider did not share an email address", redirectTo, "email_required");
    }
    const verified = claims.email_verified === true || claims.email_verified === "true";
    const existing = await userRepo.findUserByEmail(this.db, email);
    if (existing) {
      // Both sides must vouch for the address: an account whose email was changed to it unverified is not linked.
      if (!verified || !existing.emailVerified) {
        throw new LoginFailed(
          "An account with this email exists, and the identity provider has not verified the email, so the two " +
            "cannot be linked",
          redirectTo,
          "email_not_verified",
        );
      }
      await repo.insertIdentity(this.db, { provider, subject, userId: existing.id, email });
      return { user: existing, created: false };
    }
    const name = typeof claims.name === "string" ? claims.name.slice(0, 200) : null;
    const user = await userRepo.insertUser(this.db, { id: newId(), email, name });
    if (!user) {
      // Another request created this email meanwhile (a parallel first login): start over once.
      const raced = await repo.findIdentity(this.db, provider, subject);
      const racedUser = raced ? await userRepo.findUserById(this.db, raced.userId) : undefined;
      if (racedUser) return { user: racedUser, created: false };
      throw new LoginFailed("An account with this email was created meanwhile; sign in again", redirectTo, "conflict");
    }
    if (!verified) await repo.setEmailVerified(this.db, user.id, false);
    await repo.insertIdentity(this.db, { provider, subject, userId: user.id, email });
    return { user: { ...user, emailVerified: verified }, created: true };
  }
}
