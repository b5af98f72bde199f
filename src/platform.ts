// The composition root: builds every object of the Agentry process (database, engine, feature services) explicitly,
// once, in dependency order, and tears them down in reverse. Route plugins receive the finished Platform and call
// its services; nothing installs itself into another object as a side effect of being registered.
import { randomUUID } from "node:crypto";
import path from "node:path";
import type pino from "pino";
import { type Clock, MemoryRateLimitStore, type RateLimitStore } from "./api/rate-limit.js";
import { OAuthProvider } from "./auth/oauth-provider.js";
import { OidcLogin } from "./auth/oidc-login.js";
import { decodeKey, loadInstanceSecrets } from "./auth/secrets.js";
import { AuthService } from "./auth/service.js";
import { closeSandbox, configureSandbox } from "./blocks/sandbox/index.js";
import type { Config } from "./config.js";
import { blockHooks } from "./engine/block-hooks.js";
import { CredentialsResolver, runInputsSource, storedSource, systemSource } from "./engine/credentials.js";
import { Executor, type GraphLoader } from "./engine/executor.js";
import { Scheduler } from "./engine/scheduler.js";
import { ExecutionService } from "./engine/service.js";
import { Sweeper } from "./engine/sweeper.js";
import type { EventBus, ExecutionQueue } from "./engine/types.js";
import { type Database, openDatabase } from "./infra/db/index.js";
import { getGraphForRun } from "./infra/db/repos/graphs.js";
import { SqlUserStorage } from "./infra/db/stores/block-storage.js";
import { SqlExecutionStore } from "./infra/db/stores/execution-store.js";
import { SqlScheduleStore } from "./infra/db/stores/schedule-store.js";
import { MemoryEventBus } from "./infra/events/memory.js";
import { LocalFileStore } from "./infra/files.js";
import { HttpClient } from "./infra/http/client.js";
import { MemoryExecutionQueue } from "./infra/queue/memory.js";
import { AnalyticsService } from "./services/analytics.js";
import { ApiKeysService } from "./services/api-keys.js";
import { BlockCatalog } from "./services/blocks.js";
import { CreditsService } from "./services/credits.js";
import { FilesService, UPLOAD_LIMIT_FACTOR } from "./services/files.js";
import { GraphInterfaces } from "./services/graph-interfaces.js";
import { GraphService } from "./services/graphs.js";
import { IdempotencyService } from "./services/idempotency.js";
import { IntegrationsService } from "./services/integrations.js";
import { LibraryService } from "./services/library.js";
import { PresetService } from "./services/presets.js";
import { ReviewService } from "./services/review.js";
import { RunService } from "./services/runs.js";
import { ScheduleService } from "./services/schedules.js";
import { SearchService } from "./services/search.js";
import { SharingService } from "./services/sharing.js";
import { StoreService } from "./services/store.js";
import { UsersService } from "./services/users.js";
import { WebhooksService } from "./services/webhooks.js";

/**
 * What the HTTP adapters (and the CLI) may use. Feature services are added here as fields, each built in
 * `createPlatform` from explicit dependencies. `database` is for the composition root, the CLI and
 * repositories' contract tests; route files reach storage only through a service.
 */
export interface Platform {
  config: Config;
  database: Database;
  auth: AuthService;
  /** The OAuth 2.0 provider (applications, grants, tokens); AuthService resolves access tokens through it. */
  oauth: OAuthProvider;
  rateLimits: RateLimitStore;
  encryptionKey: Buffer;
  events: EventBus;
  queue: ExecutionQueue;
  /** Present when this process runs graph executions (not in an API-only process). */
  executor: Executor | undefined;
  executions: ExecutionService;
  /** Starting (every entry point), reading, listing, stopping and deleting runs. */
  runs: RunService;
  presets: PresetService;
  schedules: ScheduleService;
  /** Public share links of runs (AutoGPT's execution sharing). */
  sharing: SharingService;
  /** Recovers the runs of processes that went away (one leader at a time across processes). */
  sweeper: Sweeper;
  loadGraph: GraphLoader;
  graphs: GraphService;
  library: LibraryService;
  /** The block registry as the APIs list, filter and search it. */
  blocks: BlockCatalog;
  /** The one outgoing-request client blocks use (ctx.http): SSRF guard, limits, provider base URLs. */
  http: HttpClient;
  /** Sign-in through external OpenID Connect providers. */
  oidcLogin: OidcLogin;
  users: UsersService;
  apiKeys: ApiKeysService;
  credits: CreditsService;
  files: FilesService;
  store: StoreService;
  integrations: IntegrationsService;
  /** Webhooks that trigger graphs (set up on graph activation, posted to at their ingress URL). */
  webhooks: WebhooksService;
  search: SearchService;
  idempotency: IdempotencyService;
  /** Human-in-the-loop reviews: what parked runs wait on, and the decisions that queue them again. */
  reviews: ReviewService;
  /** Execution analytics for admins (AutoGPT's accuracy trends and summaries, the seed's figures). */
  analytics: AnalyticsService;
}

export interface PlatformOptions {
  /** The clock run leases are stamped and compared with (tests inject one). */
  now?: () => Date;
  /** The clock rate limits read instead of the real one (tests advance it rather than sleep). */
  rateLimitClock?: Clock;
  /** Told about slow start-up steps (creating the embedded database, applying migrations). */
  onProgress?: (step: string) => void;
}

export interface PlatformHandle {
  platform: Platform;
  /** Starts the background work (executor, scheduler, sweeper) once the HTTP app is ready. */
  start(): Promise<void>;
  /** Stops background work; `beforeStorage` runs after the executor drained and before queues and database close. */
  close(graceMs: number, beforeStorage: () => Promise<void>): Promise<void>;
  /** Hurries a close already under way (ends the runs still draining). */
  hurry(): void;
}

/** Refused at start: a configuration under which runs would wait forever. */
function checkExecution(config: Config, queue: ExecutionQueue): void {
  if (!config.executor.enabled && !queue.shared) {
    throw new Error(
      "EXECUTOR_ENABLED=false needs a shared execution queue, but this process uses the in-process queue: " +
        "the runs it accepts would wait forever, as no other process can take them. " +
        "Leave EXECUTOR_ENABLED unset (or true) so this process runs them.",
    );
  }
}

export async function createPlatform(
  config: Config,
  logger: pino.Logger,
  options: PlatformOptions = {},
): Promise<PlatformHandle> {
  const queue: ExecutionQueue = new MemoryExecutionQueue();
  checkExecution(config, queue);
  configureSandbox(config.sandbox);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onProgress: options.onProgress,
  });
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const secrets = loadInstanceSecrets({
      dataDir: config.dataDir,
      jwtSecret: config.auth.jwtSecret,
      encryptionKey: config.encryptionKey,
    });
    // Keys of an earlier ENCRYPTION_KEY still open what they sealed until `agentry secrets rotate` re-seals it.
    const retiredKeys = config.encryptionKeysRetired.map(decodeKey);
    const auth = new AuthService({
      db: database.db,
      jwtSecret: secrets.jwtSecret,
      accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
      externalJwtSecret: config.auth.externalJwtSecret,
      externalJwksUrl: config.auth.externalJwksUrl,
      externalJwtIssuer: config.auth.externalJwtIssuer,
      externalJwtAudience: config.auth.externalJwtAudience,
    });
    const oauth = new OAuthProvider({ db: database.db, auth });
    auth.useOAuthTokens(oauth);
    const events: EventBus = new MemoryEventBus();
    const loadGraph: GraphLoader = (userId, graphId, version) => getGraphForRun(database.db, userId, graphId, version);
    const store = new SqlExecutionStore(database.db);
    const http = new HttpClient({
      allowList: config.httpAllowList,
      ...config.outgoingHttp,
      providerBaseUrls: { ...oauthEndpoints(config), ...config.outgoingHttp.providerBaseUrls },
    });
    cleanups.push(async () => http.close());
    const integrations = new IntegrationsService({
      db: database.db,
      encryptionKey: secrets.encryptionKey,
      retiredKeys,
      system: config.systemCredentials,
      http,
      oauthClients: config.oauth.providers,
      frontendBaseUrl: config.oauth.frontendBaseUrl ?? config.publicUrl ?? `http://localhost:${config.port}`,
    });
    const credits = new CreditsService({
      db: database.db,
      enabled: config.credits.enabled,
      signupGrant: config.credits.signupGrant,
    });
    const reviews = new ReviewService({ db: database.db, queue, events });
    const executor = config.executor.enabled
      ? new Executor({
          store,
          events,
          queue,
          loadGraph,
          blocks: blockHooks,
          log: logger,
          runConcurrency: config.executor.runConcurrency,
          workerConcurrency: config.executor.workerConcurrency,
          nodeTimeoutSeconds: config.executor.nodeTimeoutSeconds,
          http,
          credentials: new CredentialsResolver(
            [secrets.encryptionKey, ...retiredKeys],
            [runInputsSource, storedSource(integrations), systemSource(config.systemCredentials)],
          ),
          storage: new SqlUserStorage(database.db),
          // Off, runs are free: the engine does not even ask.
          credits: config.credits.enabled ? credits : undefined,
          reviews,
          heartbeatMs: config.runLifecycle.heartbeatSeconds * 1000,
          now: options.now,
          limits: {
            maxNodeExecutions: config.executor.maxNodeExecutions,
            maxRunSeconds: config.executor.maxRunSeconds,
            maxOutputBytes: config.executor.maxOutputBytes,
            maxBlockOutputBytes: config.executor.maxBlockOutputBytes,
          },
        })
      : undefined;
    const sweeper = new Sweeper({
      store,
      events,
      queue,
      log: logger,
      workerId: executor?.workerId ?? randomUUID(),
      activeRuns: () => executor?.activeRuns() ?? [],
      leaseTtlMs: config.runLifecycle.leaseTtlSeconds * 1000,
      queuedGraceMs: config.runLifecycle.queuedGraceSeconds * 1000,
      intervalMs: config.runLifecycle.sweepIntervalSeconds * 1000,
      now: options.now,
    });
    const executions = new ExecutionService({
      store,
      queue,
      events,
      executor,
      encryptionKey: secrets.encryptionKey,
      onParkedRunStopped: (graphExecId) => reviews.endStoppedRun(graphExecId),
    });
    const runs = new RunService({
      db: database.db,
      executions,
      loadGraph,
      log: logger,
      systemProviders: integrations.systemProviders(),
    });
    const presets = new PresetService({ db: database.db, runs, encryptionKey: secrets.encryptionKey, retiredKeys });
    const schedules = new ScheduleService({ db: database.db, runs, encryptionKey: secrets.encryptionKey });
    const redisStore = config.redisUrl ? await connectRedisStore(config.redisUrl, logger, options) : undefined;
    const redis = redisStore?.redis;
    if (redis) {
      cleanups.push(async () => {
        redis.disconnect();
      });
    }
    const scheduler = config.executor.enabled
      ? new Scheduler({
          schedules: new SqlScheduleStore(database.db),
          runs,
          log: logger,
          encryptionKey: secrets.encryptionKey,
          retiredKeys,
        })
      : undefined;
    const interfaces = new GraphInterfaces(database.db);
    const library = new LibraryService({ db: database.db, interfaces });
    const webhooks = new WebhooksService({
      db: database.db,
      runs,
      encryptionKey: secrets.encryptionKey,
      log: logger,
      publicUrl: config.publicUrl ?? `http://localhost:${config.port}`,
    });
    const graphs = new GraphService({
      db: database.db,
      library,
      interfaces,
      onActivated: (userId, graph) => webhooks.activateGraph(userId, graph),
      onDeleted: (userId) => webhooks.pruneUnused(userId),
    });
    const files = new FilesService({
      db: database.db,
      store: new LocalFileStore(path.join(config.dataDir, "files")),
      maxBytes: config.bodyLimit * UPLOAD_LIMIT_FACTOR,
    });
    const storeService = new StoreService({
      db: database.db,
      graphs,
      media: new LocalFileStore(path.join(config.dataDir, "store-media")),
      publicUrl: config.publicUrl ?? `http://localhost:${config.port}`,
    });
    const platform: Platform = {
      config,
      database,
      auth,
      oauth,
      rateLimits: redisStore?.rateLimits ?? new MemoryRateLimitStore(options.rateLimitClock),
      encryptionKey: secrets.encryptionKey,
      events,
      queue,
      executor,
      executions,
      runs,
      presets,
      schedules,
      sharing: new SharingService({
        db: database.db,
        frontendUrl: config.oauth.frontendBaseUrl ?? config.publicUrl ?? "http://localhost:3000",
      }),
      sweeper,
      loadGraph,
      graphs,
      library,
      blocks: new BlockCatalog(),
      http,
      oidcLogin: new OidcLogin({ db: database.db, auth, providers: config.oidcProviders }),
      users: new UsersService({ db: database.db, auth }),
      apiKeys: new ApiKeysService({ db: database.db, auth }),
      credits,
      files,
      store: storeService,
      integrations,
      webhooks,
      search: new SearchService({ db: database.db, files, store: storeService }),
      idempotency: new IdempotencyService({ db: database.db }),
      reviews,
      analytics: new AnalyticsService({ db: database.db, http, openai: config.systemCredentials.openai }),
    };
    return {
      platform,
      async start() {
        // Libraries written before they were maintained on write catch up once (nothing to do is two queries).
        await library.backfill();
        scheduler?.start();
        executor?.start();
        // Before serving: a restart after a crash queues the runs left QUEUED and ends those whose lease expired.
        await sweeper.start();
      },
      async close(graceMs, beforeStorage) {
        await sweeper.stop();
        await scheduler?.stop();
        // HTTP keeps answering while runs drain: new runs are recorded QUEUED for the next process to take.
        await executor?.close(graceMs);
        await beforeStorage();
        await closeSandbox();
        await queue.close();
        await events.close();
        for (const cleanup of cleanups) await cleanup();
        await database.close();
      },
      hurry() {
        void executor?.close(0);
      },
    };
  } catch (err) {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    await database.close();
    throw err;
  }
}

/** The operator's OAuth2 endpoint overrides (OAUTH_<PROVIDER>_TOKEN_URL…), trusted as operator-set endpoints are. */
function oauthEndpoints(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, client] of Object.entries(config.oauth.providers)) {
    if (client.tokenUrl) out[`oauth2:${name}:token`] = client.tokenUrl;
  }
  return out;
}

/** Imported only when configured: the Redis client is a large module tree that a single process does not need. */
async function connectRedisStore(url: string, logger: pino.Logger, options: PlatformOptions) {
  const [{ connectRedis, redisReady }, { RedisRateLimitStore }] = await Promise.all([
    import("./infra/redis/client.js"),
    import("./infra/redis/rate-limit.js"),
  ]);
  const redis = connectRedis(url);
  redis.on("error", (err) => logger.warn({ err: err.message }, "redis connection problem"));
  try {
    await redisReady(redis);
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  const rateLimits: RateLimitStore = new RedisRateLimitStore(
    redis,
    (err) => logger.warn({ err }, "rate limiting without Redis"),
    options.rateLimitClock,
  );
  return { redis, rateLimits };
}
