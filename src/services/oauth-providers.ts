// The OAuth2 providers users can connect integrations with, as data: AutoGPT's handlers
// (backend/integrations/oauth/*.py) reduced to their endpoints, default scopes, PKCE and how they authenticate the
// client. Adding a provider is one entry here and its client id/secret in config.ts.

export interface OAuthProviderSpec {
  /** AutoGPT's ProviderName value. */
  name: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** Scopes asked for when the caller asks for none (AutoGPT's DEFAULT_SCOPES). */
  defaultScopes: string[];
  /** The login URL always asks for the default scopes, whatever the caller asked (Twitter, Todoist); or adds them (Google). */
  scopesInLogin: "requested" | "defaults" | "requested+defaults" | "none";
  /** How scopes are joined in the login URL. */
  scopeSeparator: " " | ",";
  /** Sends an S256 code_challenge and the code_verifier (RFC 7636). */
  pkce: boolean;
  /** Client credentials in the token request's body, or as HTTP Basic. */
  clientAuth: "body" | "basic";
  /** The token request's body: a form (RFC 6749) or JSON (Notion). */
  tokenBody: "form" | "json";
  /** Extra parameters of the login URL. */
  authorizeParams?: Record<string, string>;
  /** Whether the provider issues refresh tokens (Notion and Todoist tokens never expire). */
  refreshes: boolean;
  /**
   * Where the account's name is read after the code exchange (AutoGPT's `_request_username`), through the provider's
   * API base URL (PROVIDER_BASE_URL_<NAME> overrides it); Notion and Linear name it in the token response.
   */
  userInfo?: { baseUrl: string; path: string; pick: (body: any) => unknown };
  /**
   * How the provider revokes a token when its credentials are deleted (AutoGPT's revoke_tokens), through its API
   * base URL; absent for providers that cannot (Notion, Todoist: `revoked` is false).
   */
  revoke?: {
    baseUrl: string;
    path: (clientId: string) => string;
    method: "POST" | "DELETE";
    /** HTTP Basic with the client's credentials, the token itself as Bearer, or none. */
    auth: "basic" | "bearer" | "none";
    /** The token in a JSON body as `access_token` (GitHub), or a form `token` (RFC 7009), or nothing. */
    body: "json" | "form" | "none";
  };
}

export const OAUTH_PROVIDERS: readonly OAuthProviderSpec[] = [
  {
    name: "discord",
    authorizeUrl: "https://discord.com/oauth2/authorize",
    tokenUrl: "https://discord.com/api/oauth2/token",
    defaultScopes: ["identify"],
    scopesInLogin: "requested",
    scopeSeparator: " ",
    pkce: true,
    clientAuth: "body",
    tokenBody: "form",
    authorizeParams: { response_type: "code" },
    refreshes: true,
    userInfo: { baseUrl: "https://discord.com", path: "/api/oauth2/@me", pick: (b) => b?.user?.username },
    revoke: {
      baseUrl: "https://discord.com",
      path: () => "/api/oauth2/token/revoke",
      method: "POST",
      auth: "basic",
      body: "form",
    },
  },
  {
    name: "github",
    authorizeUrl: "https://github.com/login/oauth/authorize",
    tokenUrl: "https://github.com/login/oauth/access_token",
    defaultScopes: [],
    scopesInLogin: "requested",
    scopeSeparator: " ",
    pkce: false,
    clientAuth: "body",
    tokenBody: "form",
    refreshes: true,
    userInfo: { baseUrl: "https://api.github.com", path: "/user", pick: (b) => b?.login },
    revoke: {
      baseUrl: "https://api.github.com",
      path: (clientId) => `/applications/${encodeURIComponent(clientId)}/token`,
      method: "DELETE",
      auth: "basic",
      body: "json",
    },
  },
  {
    name: "google",
    authorizeUrl: "https://accounts.google.com/o/oauth2/auth",
    tokenUrl: "https://oauth2.googleapis.com/token",
    defaultScopes: [
      "https://www.googleapis.com/auth/userinfo.email",
      "https://www.googleapis.com/auth/userinfo.profile",
      "openid",
    ],
    scopesInLogin: "requested+defaults",
    scopeSeparator: " ",
    pkce: true,
    clientAuth: "body",
    tokenBody: "form",
    authorizeParams: {
      response_type: "code",
      access_type: "offline",
      include_granted_scopes: "true",
      prompt: "consent",
    },
    refreshes: true,
    userInfo: { baseUrl: "https://www.googleapis.com", path: "/oauth2/v2/userinfo", pick: (b) => b?.email },
    revoke: {
      baseUrl: "https://oauth2.googleapis.com",
      path: () => "/revoke",
      method: "POST",
      auth: "none",
      body: "form",
    },
  },
  {
    name: "linear",
    authorizeUrl: "https://linear.app/oauth/authorize",
    tokenUrl: "https://api.linear.app/oauth/token",
    defaultScopes: [],
    scopesInLogin: "requested",
    scopeSeparator: ",",
    pkce: false,
    clientAuth: "body",
    tokenBody: "form",
    authorizeParams: { response_type: "code" },
    refreshes: true,
    revoke: {
      baseUrl: "https://api.linear.app",
      path: () => "/oauth/revoke",
      method: "POST",
      auth: "bearer",
      body: "none",
    },
  },
  {
    name: "notion",
    authorizeUrl: "https://api.notion.com/v1/oauth/authorize",
    tokenUrl: "https://api.notion.com/v1/oauth/token",
    defaultScopes: [],
    scopesInLogin: "none",
    scopeSeparator: " ",
    pkce: false,
    clientAuth: "basic",
    tokenBody: "json",
    authorizeParams: { response_type: "code", owner: "user" },
    refreshes: false,
  },
  {
    name: "todoist",
    authorizeUrl: "https://todoist.com/oauth/authorize",
    tokenUrl: "https://todoist.com/oauth/access_token",
    defaultScopes: ["task:add", "data:read", "data:read_write", "data:delete", "project:delete"],
    scopesInLogin: "defaults",
    scopeSeparator: ",",
    pkce: false,
    clientAuth: "body",
    tokenBody: "form",
    refreshes: false,
  },
  {
    name: "twitter",
    authorizeUrl: "https://twitter.com/i/oauth2/authorize",
    tokenUrl: "https://api.x.com/2/oauth2/token",
    defaultScopes: [
      "tweet.read",
      "tweet.write",
      "tweet.moderate.write",
      "users.read",
      "follows.read",
      "follows.write",
      "offline.access",
      "space.read",
      "mute.read",
      "mute.write",
      "like.read",
      "like.write",
      "list.read",
      "list.write",
      "block.read",
      "block.write",
      "bookmark.read",
      "bookmark.write",
    ],
    scopesInLogin: "defaults",
    scopeSeparator: " ",
    pkce: true,
    clientAuth: "basic",
    tokenBody: "form",
    authorizeParams: { response_type: "code" },
    refreshes: true,
    userInfo: {
      baseUrl: "https://api.x.com",
      path: "/2/users/me?user.fields=username",
      pick: (b) => b?.data?.username,
    },
    revoke: {
      baseUrl: "https://api.x.com",
      path: () => "/2/oauth2/revoke",
      method: "POST",
      auth: "basic",
      body: "form",
    },
  },
];

export function oauthProvider(name: string): OAuthProviderSpec | undefined {
  return OAUTH_PROVIDERS.find((p) => p.name === name.toLowerCase());
}
