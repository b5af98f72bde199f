// One typed configuration object, read from the environment once; nothing else reads process.env.
import path from "node:path";

export interface RateLimitConfig {
  enabled: boolean;
  /** Requests per minute for a signed-in user (JWT) and for anonymous callers per IP. */
  perUserPerMinute: number;
  /** Requests per minute for an API key or OAuth access token. */
  perKeyPerMinute: number;
  /** Requests that may arrive at once before the per-minute rate applies. */
  burst: number;
}

/** Failed authentication attempts (wrong passwords, invalid keys or tokens, bad client secrets) per IP and account. */
export interface AuthThrottleConfig {
  enabled: boolean;
  /** Failures allowed in a row before 429. */
  maxFailures: number;
  /** Failures forgiven per minute. */
  refillPerMinute: number;
}

export interface Config {
  host: string;
  port: number;
  /** Public base URL printed at start and used in OAuth metadata; derived from host/port if unset. */
  publicUrl: string | undefined;
  dataDir: string;
  /** PostgreSQL connection string; unset means the embedded PGlite database in dataDir. */
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  logLevel: string;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** How long a client may take to send a request (slowloris), and how long idle connections stay open. */
  http: {
    /** Milliseconds from connection (or the previous response) to the end of the request headers. */
    headersTimeoutMs: number;
    /** Milliseconds to receive a whole request, headers and body. */
    requestTimeoutMs: number;
    /** Milliseconds an idle keep-alive connection stays open between requests. */
    keepAliveTimeoutMs: number;
    /** Milliseconds a socket may stay without any traffic in either direction (0: no limit). */
    idleTimeoutMs: number;
  };
  auth: {
    /** HS256 secret for Agentry's own access tokens; generated into the data dir if unset. */
    jwtSecret: string | undefined;
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    /** Tokens from an external identity provider (e.g. Supabase): a shared HS256 secret and/or a JWKS URL. */
    externalJwtSecret: string | undefined;
    externalJwksUrl: string | undefined;
    externalJwtIssuer: string | undefined;
    externalJwtAudience: string | undefined;
    signupEnabled: boolean;
  };
  /** AES-256-GCM key (hex or base64, 32 bytes) for secrets at rest; generated into the data dir if unset. */
  encryptionKey: string | undefined;
  /**
   * Earlier encryption keys, still used to read what they sealed (ENCRYPTION_KEYS_RETIRED, comma-separated):
   * set the old key here and the new one as ENCRYPTION_KEY, then `agentry secrets rotate` re-seals everything.
   */
  encryptionKeysRetired: string[];
  rateLimit: RateLimitConfig;
  executor: {
    enabled: boolean;
    /** Nodes of one run that may execute at the same time. */
    runConcurrency: number;
    /** Graph executions one process runs at the same time. */
    workerConcurrency: number;
    nodeTimeoutSeconds: number;
    // Per-run limits: a run that hits one ends FAILED with the limit named in stats.error.
    /** Node executions one run may create. */
    maxNodeExecutions: number;
    /** Wall time of one run, in seconds. */
    maxRunSeconds: number;
    /** JSON bytes all of a run's node outputs may add up to. */
    maxOutputBytes: number;
    /** JSON bytes of one value a block yields; a larger one fails the node. */
    maxBlockOutputBytes: number;
  };
  /** Run ownership: leases, the recovery sweeper and graceful shutdown (see DESIGN.md "Runs always end"). */
  runLifecycle: {
    /** A RUNNING run whose owner has not renewed its lease for this long is ended FAILED by the sweeper. */
    leaseTtlSeconds: number;
    /** How often a process renews the leases of the runs it executes. */
    heartbeatSeconds: number;
    /** How often the sweeper (one leader at a time) looks for orphaned runs. */
    sweepIntervalSeconds: number;
    /** A QUEUED run nobody holds for this long (or since before this process started) is queued again. */
    queuedGraceSeconds: number;
    /** On SIGTERM/SIGINT, how long running runs may take to finish before they are ended. */
    shutdownGraceSeconds: number;
  };
  /** Credits: a ledger per user that node executions are charged from (AutoGPT's enable_credit). */
  credits: {
    /** Whether runs are charged; off, every run is free and nobody's balance changes but by an admin's grant. */
    enabled: boolean;
    /** Credits every user is granted once, on the first use of their balance while credits are enabled. */
    signupGrant: number;
  };
  /** Hosts outgoing HTTP blocks may reach even though they are private or loopback. */
  httpAllowList: string[];
  /** The outgoing-request client blocks use (ctx.http). */
  outgoingHttp: {
    /** Per attempt, connect to last byte (OUTGOING_HTTP_TIMEOUT_MS). */
    timeoutMs: number;
    /** Largest decompressed response body (OUTGOING_HTTP_MAX_RESPONSE_BYTES). */
    maxResponseBytes: number;
    /** Redirects followed per request, each hop checked by the SSRF guard (OUTGOING_HTTP_MAX_REDIRECTS). */
    maxRedirects: number;
    /**
     * Provider (lower case) to base URL, overriding a block's default endpoint; operator endpoints are trusted
     * (may be private or loopback). From PROVIDER_BASE_URLS (a JSON object) and PROVIDER_BASE_URL_<PROVIDER>.
     */
    providerBaseUrls: Record<string, string>;
  };
  /**
   * Operator ("system") credentials, provider → key and/or endpoint, usable by every user's runs (AutoGPT's
   * "Use Credits for …" credentials). From OPENAI_API_KEY, ANTHROPIC_API_KEY, OPEN_ROUTER_API_KEY, GROQ_API_KEY,
   * OLLAMA_HOST; OPENAI_BASE_URL, ANTHROPIC_BASE_URL and OLLAMA_HOST also feed outgoingHttp.providerBaseUrls.
   */
  systemCredentials: Record<string, SystemCredentialConfig>;
  /** OAuth2 integrations users connect (`/api/integrations/{provider}/login` and `/callback`). */
  oauth: {
    /**
     * Where providers send users back: FRONTEND_BASE_URL + AutoGPT's `/auth/integrations/oauth_callback`; the
     * public URL when unset.
     */
    frontendBaseUrl: string | undefined;
    /** Provider → its client id and secret (GOOGLE_CLIENT_ID…) and endpoint overrides (OAUTH_<PROVIDER>_…_URL). */
    providers: Record<string, OAuthClientConfig>;
  };
  websocket: {
    /** How often an open connection re-checks its credential (revocations made by other processes). */
    revalidateSeconds: number;
  };
  authThrottle: AuthThrottleConfig;
  /** External OpenID Connect providers for sign-in, from `OIDC_PROVIDERS` (a JSON array). */
  oidcProviders: OidcProviderConfig[];
  sandbox: SandboxConfig;
}

/** Where user templates and regular expressions run: worker threads with a time limit, and the template size budget. */
export interface SandboxConfig {
  /** Worker threads evaluating templates and regular expressions; started on first use. */
  threads: number;
  /** Longest one evaluation may run before its worker is terminated. */
  timeoutMs: number;
  /** Heap of one worker; a worker that exceeds it is replaced and its task fails. */
  workerHeapMb: number;
  /** Characters one template render may build in total (intermediate values and output). */
  templateMaxChars: number;
  /** List items and dict entries one template render may build in total. */
  templateMaxItems: number;
  /** Evaluation steps (nodes, expressions, loop iterations) one template render may take. */
  templateMaxSteps: number;
}

/** Sandbox defaults, also used where blocks run without a server (the block examples). */
export const SANDBOX_DEFAULTS: SandboxConfig = {
  threads: 2,
  timeoutMs: 2_000,
  workerHeapMb: 256,
  templateMaxChars: 10_000_000,
  templateMaxItems: 1_000_000,
  templateMaxSteps: 1_000_000,
};

/** One provider's operator credential: its key (absent for Ollama, which needs none) and its endpoint. */
export interface SystemCredentialConfig {
  apiKey?: string;
  baseUrl?: string;
}

/** One OAuth2 integration's client, as the operator registered it with the provider; unset fields are absent. */
export interface OAuthClientConfig {
  clientId?: string;
  clientSecret?: string;
  /** Overrides the provider's authorization endpoint (trusted). */
  authorizeUrl?: string;
  /** Overrides the provider's token endpoint (trusted: it may be loopback or private). */
  tokenUrl?: string;
}

/** An external OpenID Connect identity provider users may sign in with (`/api/oauth/{name}/login`). */
export interface OidcProviderConfig {
  /** The `{provider}` path segment, e.g. "google". */
  name: string;
  /** Issuer URL; its `/.well-known/openid-configuration` is discovered. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Requested scopes; default `openid email profile`. */
  scopes?: string[];
}

type Env = Record<string, string | undefined>;

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got "${value}"`);
  return n;
}

/** A limit: a number above zero (a zero or negative limit would end every run at once). */
function positive(env: Env, name: string, fallback: number): number {
  const n = int(env[name], fallback);
  if (!(n > 0)) throw new Error(`${name} must be above 0, got "${env[name]}"`);
  return n;
}

/** A whole number >= 0 (an amount that may be zero). */
function nonNegative(env: Env, name: string, fallback: number): number {
  const n = int(env[name], fallback);
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`${name} must be a whole number >= 0, got "${env[name]}"`);
  return n;
}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  return ["1", "true", "yes", "on"].includes(value.toLowerCase());
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** PROVIDER_BASE_URLS (JSON object) and PROVIDER_BASE_URL_<NAME> (which wins), as provider name → URL. */
function providerBaseUrls(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (name: string, url: unknown, from: string) => {
    if (typeof url !== "string" || !/^https?:\/\//i.test(url)) {
      throw new Error(`${from} must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    new URL(url);
    out[name.toLowerCase()] = url;
  };
  if (env.PROVIDER_BASE_URLS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.PROVIDER_BASE_URLS);
    } catch {
      throw new Error("PROVIDER_BASE_URLS must be a JSON object of provider name to base URL");
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new Error("PROVIDER_BASE_URLS must be a JSON object of provider name to base URL");
    }
    for (const [name, url] of Object.entries(parsed)) add(name, url, `PROVIDER_BASE_URLS.${name}`);
  }
  for (const [key, url] of Object.entries(env)) {
    const m = /^PROVIDER_BASE_URL_(.+)$/.exec(key);
    if (m && url) add(m[1], url, key);
  }
  return out;
}

/** The operator credentials set in the environment; a provider appears only when its key (or host) is set. */
function systemCredentials(env: Env): Record<string, SystemCredentialConfig> {
  const out: Record<string, SystemCredentialConfig> = {};
  const add = (provider: string, apiKey: string | undefined, baseUrl: string | undefined) => {
    const entry: SystemCredentialConfig = {};
    if (apiKey) entry.apiKey = apiKey;
    if (baseUrl) entry.baseUrl = baseUrl;
    if (Object.keys(entry).length > 0) out[provider] = entry;
  };
  add("openai", env.OPENAI_API_KEY, env.OPENAI_BASE_URL);
  add("anthropic", env.ANTHROPIC_API_KEY, env.ANTHROPIC_BASE_URL);
  add("open_router", env.OPEN_ROUTER_API_KEY, undefined);
  add("groq", env.GROQ_API_KEY, undefined);
  add("ollama", undefined, env.OLLAMA_HOST);
  // AutoGPT's other system credentials (backend/integrations/credentials_store.py), under its settings' names.
  add("revid", env.REVID_API_KEY, undefined);
  add("ideogram", env.IDEOGRAM_API_KEY, undefined);
  add("replicate", env.REPLICATE_API_KEY, undefined);
  add("aiml_api", env.AIML_API_KEY, undefined);
  add("d_id", env.DID_API_KEY, undefined);
  add("jina", env.JINA_API_KEY, undefined);
  add("unreal_speech", env.UNREAL_SPEECH_API_KEY, undefined);
  add("enrichlayer", env.ENRICHLAYER_API_KEY, undefined);
  add("fal", env.FAL_API_KEY, undefined);
  add("exa", env.EXA_API_KEY, undefined);
  add("e2b", env.E2B_API_KEY, undefined);
  add("mem0", env.MEM0_API_KEY, undefined);
  add("nvidia", env.NVIDIA_API_KEY, undefined);
  add("screenshotone", env.SCREENSHOTONE_API_KEY, undefined);
  add("apollo", env.APOLLO_API_KEY, undefined);
  add("smartlead", env.SMARTLEAD_API_KEY, undefined);
  add("zerobounce", env.ZEROBOUNCE_API_KEY, undefined);
  add("google_maps", env.GOOGLE_MAPS_API_KEY, undefined);
  add("llama_api", env.LLAMA_API_KEY, undefined);
  add("v0", env.V0_API_KEY, undefined);
  add("openweathermap", env.OPENWEATHERMAP_API_KEY, undefined);
  add("elevenlabs", env.ELEVENLABS_API_KEY, undefined);
  return out;
}

/** One OAuth2 client from its environment variables; a provider none of them is set for is left out. */
function oauthClient(
  provider: string,
  clientId: string | undefined,
  clientSecret: string | undefined,
  authorizeUrl: string | undefined,
  tokenUrl: string | undefined,
  out: Record<string, OAuthClientConfig>,
): void {
  const entry: OAuthClientConfig = {};
  if (clientId) entry.clientId = clientId;
  if (clientSecret) entry.clientSecret = clientSecret;
  for (const [key, url] of [
    ["authorizeUrl", authorizeUrl],
    ["tokenUrl", tokenUrl],
  ] as const) {
    if (!url) continue;
    if (!/^https?:\/\//i.test(url))
      throw new Error(`The ${provider} OAuth ${key} must be an http(s) URL, got "${url}"`);
    new URL(url);
    entry[key] = url;
  }
  if (Object.keys(entry).length > 0) out[provider] = entry;
}

/** The OAuth2 integrations' clients, under AutoGPT's variable names (`<PROVIDER>_CLIENT_ID`, `_CLIENT_SECRET`). */
function oauthClients(env: Env): Record<string, OAuthClientConfig> {
  const out: Record<string, OAuthClientConfig> = {};
  oauthClient(
    "discord",
    env.DISCORD_CLIENT_ID,
    env.DISCORD_CLIENT_SECRET,
    env.OAUTH_DISCORD_AUTHORIZE_URL,
    env.OAUTH_DISCORD_TOKEN_URL,
    out,
  );
  oauthClient(
    "github",
    env.GITHUB_CLIENT_ID,
    env.GITHUB_CLIENT_SECRET,
    env.OAUTH_GITHUB_AUTHORIZE_URL,
    env.OAUTH_GITHUB_TOKEN_URL,
    out,
  );
  oauthClient(
    "google",
    env.GOOGLE_CLIENT_ID,
    env.GOOGLE_CLIENT_SECRET,
    env.OAUTH_GOOGLE_AUTHORIZE_URL,
    env.OAUTH_GOOGLE_TOKEN_URL,
    out,
  );
  oauthClient(
    "linear",
    env.LINEAR_CLIENT_ID,
    env.LINEAR_CLIENT_SECRET,
    env.OAUTH_LINEAR_AUTHORIZE_URL,
    env.OAUTH_LINEAR_TOKEN_URL,
    out,
  );
  oauthClient(
    "notion",
    env.NOTION_CLIENT_ID,
    env.NOTION_CLIENT_SECRET,
    env.OAUTH_NOTION_AUTHORIZE_URL,
    env.OAUTH_NOTION_TOKEN_URL,
    out,
  );
  oauthClient(
    "todoist",
    env.TODOIST_CLIENT_ID,
    env.TODOIST_CLIENT_SECRET,
    env.OAUTH_TODOIST_AUTHORIZE_URL,
    env.OAUTH_TODOIST_TOKEN_URL,
    out,
  );
  oauthClient(
    "twitter",
    env.TWITTER_CLIENT_ID,
    env.TWITTER_CLIENT_SECRET,
    env.OAUTH_TWITTER_AUTHORIZE_URL,
    env.OAUTH_TWITTER_TOKEN_URL,
    out,
  );
  return out;
}

/**
 * The trusted provider base URLs: the system credentials' endpoints (OPENAI_BASE_URL…) under those of
 * PROVIDER_BASE_URLS and PROVIDER_BASE_URL_<NAME>, which win.
 */
function withSystemBaseUrls(config: Config): void {
  const fromSystem: Record<string, string> = {};
  for (const [name, c] of Object.entries(config.systemCredentials)) {
    if (!c.baseUrl) continue;
    if (!/^https?:\/\//i.test(c.baseUrl)) {
      throw new Error(`The ${name} base URL must be an http(s) URL, got ${JSON.stringify(c.baseUrl)}`);
    }
    new URL(c.baseUrl);
    fromSystem[name] = c.baseUrl;
  }
  config.outgoingHttp = {
    ...config.outgoingHttp,
    providerBaseUrls: { ...fromSystem, ...config.outgoingHttp.providerBaseUrls },
  };
}

function oidcProviders(value: string | undefined): OidcProviderConfig[] {
  if (value === undefined || value.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error("OIDC_PROVIDERS must be a JSON array of {name, issuer, clientId, clientSecret, scopes?}");
  }
  if (!Array.isArray(parsed)) throw new Error("OIDC_PROVIDERS must be a JSON array");
  return parsed.map((entry, i) => {
    const p = (entry ?? {}) as Record<string, unknown>;
    for (const field of ["name", "issuer", "clientId", "clientSecret"]) {
      if (typeof p[field] !== "string" || p[field] === "") throw new Error(`OIDC_PROVIDERS[${i}].${field} is required`);
    }
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(p.name as string)) {
      throw new Error(`OIDC_PROVIDERS[${i}].name may only hold letters, digits, "-" and "_"`);
    }
    const scopes = typeof p.scopes === "string" ? p.scopes.split(/[\s,]+/).filter(Boolean) : p.scopes;
    if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every((s) => typeof s === "string"))) {
      throw new Error(`OIDC_PROVIDERS[${i}].scopes must be a list of strings`);
    }
    return {
      name: p.name as string,
      issuer: p.issuer as string,
      clientId: p.clientId as string,
      clientSecret: p.clientSecret as string,
      ...(scopes ? { scopes: scopes as string[] } : {}),
    };
  });
}

export type ConfigOverrides = {
  [K in keyof Config]?: Config[K] extends object ? Partial<Config[K]> : Config[K];
};

export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  const base: Config = {
    host: env.HOST ?? "0.0.0.0",
    port: int(env.PORT, 8006),
    publicUrl: env.PUBLIC_URL,
    dataDir: path.resolve(env.DATA_DIR ?? "./data"),
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    logLevel: env.LOG_LEVEL ?? "info",
    bodyLimit: int(env.BODY_LIMIT_BYTES, 1024 * 1024),
    http: {
      headersTimeoutMs: int(env.HTTP_HEADERS_TIMEOUT_MS, 10_000),
      requestTimeoutMs: int(env.HTTP_REQUEST_TIMEOUT_MS, 30_000),
      // Longer than the idle timeout of common load balancers (60 s), as Fastify's default.
      keepAliveTimeoutMs: int(env.HTTP_KEEP_ALIVE_TIMEOUT_MS, 72_000),
      // Longer than a block may run on POST /external-api/v1/blocks/{id}/execute, which sends nothing meanwhile.
      idleTimeoutMs: int(env.HTTP_IDLE_TIMEOUT_MS, 600_000),
    },
    auth: {
      jwtSecret: env.JWT_SECRET || undefined,
      accessTokenTtlSeconds: int(env.ACCESS_TOKEN_TTL_SECONDS, 3600),
      refreshTokenTtlSeconds: int(env.REFRESH_TOKEN_TTL_SECONDS, 30 * 24 * 3600),
      externalJwtSecret: env.SUPABASE_JWT_SECRET || env.EXTERNAL_JWT_SECRET || undefined,
      externalJwksUrl: env.EXTERNAL_JWKS_URL || undefined,
      externalJwtIssuer: env.EXTERNAL_JWT_ISSUER || undefined,
      externalJwtAudience: env.EXTERNAL_JWT_AUDIENCE || undefined,
      signupEnabled: bool(env.SIGNUP_ENABLED, true),
    },
    encryptionKey: env.ENCRYPTION_KEY || undefined,
    encryptionKeysRetired: list(env.ENCRYPTION_KEYS_RETIRED),
    rateLimit: {
      enabled: bool(env.RATE_LIMIT_ENABLED, true),
      perUserPerMinute: int(env.RATE_LIMIT_USER_PER_MINUTE, 100),
      perKeyPerMinute: int(env.RATE_LIMIT_KEY_PER_MINUTE, 60),
      burst: int(env.RATE_LIMIT_BURST, 10),
    },
    executor: {
      enabled: bool(env.EXECUTOR_ENABLED, true),
      runConcurrency: int(env.EXECUTOR_RUN_CONCURRENCY, 16),
      workerConcurrency: int(env.EXECUTOR_WORKER_CONCURRENCY, 32),
      nodeTimeoutSeconds: int(env.EXECUTOR_NODE_TIMEOUT_SECONDS, 300),
      maxNodeExecutions: positive(env, "EXECUTOR_MAX_NODE_EXECUTIONS", 10_000),
      maxRunSeconds: positive(env, "EXECUTOR_MAX_RUN_SECONDS", 3600),
      maxOutputBytes: positive(env, "EXECUTOR_MAX_OUTPUT_BYTES", 64 * 1024 * 1024),
      maxBlockOutputBytes: positive(env, "EXECUTOR_MAX_BLOCK_OUTPUT_BYTES", 4 * 1024 * 1024),
    },
    runLifecycle: {
      leaseTtlSeconds: int(env.EXECUTOR_LEASE_TTL_SECONDS, 30),
      heartbeatSeconds: int(env.EXECUTOR_HEARTBEAT_SECONDS, 5),
      sweepIntervalSeconds: int(env.EXECUTOR_SWEEP_INTERVAL_SECONDS, 10),
      queuedGraceSeconds: int(env.EXECUTOR_QUEUED_GRACE_SECONDS, 30),
      shutdownGraceSeconds: int(env.EXECUTOR_SHUTDOWN_GRACE_SECONDS, 30),
    },
    credits: {
      enabled: bool(env.CREDITS_ENABLED, false),
      signupGrant: nonNegative(env, "CREDITS_SIGNUP_GRANT", 0),
    },
    httpAllowList: list(env.HTTP_ALLOW_LIST),
    outgoingHttp: {
      timeoutMs: positive(env, "OUTGOING_HTTP_TIMEOUT_MS", 60_000),
      maxResponseBytes: positive(env, "OUTGOING_HTTP_MAX_RESPONSE_BYTES", 50 * 1024 * 1024),
      maxRedirects: int(env.OUTGOING_HTTP_MAX_REDIRECTS, 10),
      providerBaseUrls: providerBaseUrls(env),
    },
    systemCredentials: systemCredentials(env),
    oauth: {
      frontendBaseUrl: env.FRONTEND_BASE_URL || undefined,
      providers: oauthClients(env),
    },
    websocket: {
      revalidateSeconds: int(env.WS_REVALIDATE_SECONDS, 60),
    },
    authThrottle: {
      enabled: bool(env.AUTH_THROTTLE_ENABLED, true),
      maxFailures: int(env.AUTH_THROTTLE_MAX_FAILURES, 10),
      refillPerMinute: int(env.AUTH_THROTTLE_PER_MINUTE, 10),
    },
    oidcProviders: oidcProviders(env.OIDC_PROVIDERS),
    sandbox: {
      threads: Math.max(1, int(env.SANDBOX_THREADS, SANDBOX_DEFAULTS.threads)),
      timeoutMs: int(env.SANDBOX_TIMEOUT_MS, SANDBOX_DEFAULTS.timeoutMs),
      workerHeapMb: int(env.SANDBOX_WORKER_HEAP_MB, SANDBOX_DEFAULTS.workerHeapMb),
      templateMaxChars: int(env.SANDBOX_TEMPLATE_MAX_CHARS, SANDBOX_DEFAULTS.templateMaxChars),
      templateMaxItems: int(env.SANDBOX_TEMPLATE_MAX_ITEMS, SANDBOX_DEFAULTS.templateMaxItems),
      templateMaxSteps: int(env.SANDBOX_TEMPLATE_MAX_STEPS, SANDBOX_DEFAULTS.templateMaxSteps),
    },
  };
  const merged = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const current = merged[key];
    merged[key] =
      value && typeof value === "object" && !Array.isArray(value) && current && typeof current === "object"
        ? { ...current, ...value }
        : value;
  }
  const config = merged as unknown as Config;
  checkRunLifecycle(config.runLifecycle);
  withSystemBaseUrls(config);
  return config;
}

/** A lease renewed less often than it expires would be swept from under a live run. */
function checkRunLifecycle(c: Config["runLifecycle"]): void {
  for (const [name, value] of Object.entries(c)) {
    if (!(value >= 0)) throw new Error(`runLifecycle.${name} must be a number of seconds >= 0, got ${value}`);
  }
  if (!(c.heartbeatSeconds > 0 && c.heartbeatSeconds < c.leaseTtlSeconds)) {
    throw new Error(
      `EXECUTOR_HEARTBEAT_SECONDS (${c.heartbeatSeconds}) must be above 0 and below EXECUTOR_LEASE_TTL_SECONDS (${c.leaseTtlSeconds})`,
    );
  }
  if (!(c.sweepIntervalSeconds > 0)) throw new Error("EXECUTOR_SWEEP_INTERVAL_SECONDS must be above 0");
}
