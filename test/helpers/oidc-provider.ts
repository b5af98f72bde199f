// A real OpenID Connect provider (the `oidc-provider` package) on a loopback port, whose login page signs in as a
// chosen test account at once, and a cookie-keeping "browser" to walk a login through it.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider, { type Configuration } from "oidc-provider";

export interface TestAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account the next login signs in as. */
  signInAs(account: TestAccount): void;
  /** Registers the client's redirect URI (known only once Agentry listens) and starts answering. */
  start(redirectUri: string): Promise<void>;
  close(): Promise<void>;
}

export async function startOidcProvider(): Promise<TestOidcProvider> {
  let handler: http.RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = "agentry-test";
  const clientSecret = "a-test-client-secret-that-is-long-enough-for-hs256";
  const accounts = new Map<string, TestAccount>();
  let current: TestAccount | undefined;

  return {
    issuer,
    clientId,
    clientSecret,
    signInAs(account) {
      accounts.set(account.sub, account);
      current = account;
    },
    async start(redirectUri) {
      const { privateKey } = await generateKeyPair("RS256", { extractable: true });
      const jwk = { ...(await exportJWK(privateKey)), alg: "RS256", use: "sig", kid: "test-key" };
      const configuration: Configuration = {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [redirectUri],
            grant_types: ["authorization_code"],
            response_types: ["code"],
            token_endpoint_auth_method: "client_secret_basic",
          },
        ],
        jwks: { keys: [jwk] },
        cookies: { keys: ["test-cookie-key"] },
        ttl: { AccessToken: 600, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
        claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
        features: { devInteractions: { enabled: false } },
        interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
        findAccount: (_ctx, id) => {
          const account = accounts.get(id);
          if (!account) return undefined;
          return { accountId: id, claims: () => ({ ...account }) };
        },
        // Consent is given on the user's behalf: the test is about Agentry's side of the login.
        loadExistingGrant: async (ctx) => {
          const accountId = ctx.oidc.session?.accountId;
          const client = ctx.oidc.client;
          if (!accountId || !client) return undefined;
          const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId });
          grant.addOIDCScope("openid email profile");
          await grant.save();
          return grant;
        },
      };
      const provider = new Provider(issuer, configuration);
      const callback = provider.callback();
      handler = async (req, res) => {
        if (req.url?.startsWith("/interaction/")) {
          try {
            if (!current) throw new Error("no test account chosen");
            await provider.interactionFinished(req, res, { login: { accountId: current.sub } });
          } catch (err) {
            res.statusCode = 500;
            res.end(String(err));
          }
          return;
        }
        callback(req, res);
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Follows redirects like a browser, keeping the provider's cookies, until a URL on `stopAt`'s origin and path
 * prefix: returns that URL (not fetched).
 */
export async function browseUntil(start: string, stopAt: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(start);
  for (let hop = 0; hop < 10; hop++) {
    if (url.href.startsWith(stopAt)) return url;
    const res = await fetch(url, {
      redirect: "manual",
      headers: jar.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") } : {},
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = (pair as string).indexOf("=");
      jar.set((pair as string).slice(0, eq).trim(), (pair as string).slice(eq + 1));
    }
    const location = res.headers.get("location");
    if (!location) throw new Error(`no redirect from ${url.pathname}: ${res.status} ${await res.text()}`);
    url = new URL(location, url);
  }
  throw new Error("too many redirects");
}
