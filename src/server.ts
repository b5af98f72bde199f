// Builds the Agentry process: database, services and the HTTP/WebSocket app, and tears them down in order.
import { randomUUID } from "node:crypto";
import helmet from "@fastify/helmet";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import pino from "pino";
import { adminOauthAppRoutes } from "./api/admin/oauth-apps.js";
import { adminUserRoutes } from "./api/admin/users.js";
import { APIKeyInfo, apiKeyRoutes } from "./api/api-keys/routes.js";
import { authRoutes, User } from "./api/auth/routes.js";
import { registerAuthentication } from "./api/auth-hooks.js";
import { registerAuthThrottle } from "./api/auth-throttle.js";
import { blockRoutes } from "./api/blocks/routes.js";
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from "./api/errors.js";
import { executionRoutes } from "./api/executions/routes.js";
import {
  ExecuteResponse,
  GraphExecutionMeta,
  GraphExecutionWithNodes,
  NodeExecutionResult,
} from "./api/executions/schemas.js";
import { registerExternalDocs } from "./api/external/docs.js";
import { externalV1 } from "./api/external/v1/index.js";
import { externalV2 } from "./api/external/v2/index.js";
import { graphRoutes } from "./api/graphs/routes.js";
import { healthRoutes } from "./api/health.js";
import { httpServerOptions } from "./api/http-limits.js";
import { registerInputGuards } from "./api/input-guards.js";
import { oauthMetadataRoutes, oauthRoutes } from "./api/oauth/index.js";
import { type Clock, MemoryRateLimitStore, type RateLimitStore, registerRateLimit } from "./api/rate-limit.js";
import { ErrorEnvelope } from "./api/schemas.js";
import { securityHeaders } from "./api/security-headers.js";
import { wsRoutes } from "./api/ws/routes.js";
import { loadInstanceSecrets } from "./auth/secrets.js";
import { AuthService } from "./auth/service.js";
import { closeSandbox, configureSandbox } from "./blocks/sandbox/index.js";
import type { Config } from "./config.js";
import { validateGraph } from "./core/graph.js";
import { blockHooks } from "./engine/block-hooks.js";
import { Executor, type GraphLoader } from "./engine/executor.js";
import { Scheduler } from "./engine/scheduler.js";
import { ExecutionService } from "./engine/service.js";
import { Sweeper } from "./engine/sweeper.js";
import type { EventBus, ExecutionQueue } from "./engine/types.js";
import { errorForLog } from "./infra/db/errors.js";
import { type Database, openDatabase } from "./infra/db/index.js";
import { getGraphForRun } from "./infra/db/repos/graphs.js";
import { MemoryEventBus } from "./infra/events/memory.js";
import { MemoryExecutionQueue } from "./infra/queue/memory.js";
import { connectRedis, redisReady } from "./infra/redis/client.js";
import { RedisRateLimitStore } from "./infra/redis/rate-limit.js";

export interface Services {
  config: Config;
  database: Database;
  auth: AuthService;
  rateLimits: RateLimitStore;
  encryptionKey: Buffer;
  events: EventBus;
  queue: ExecutionQueue;
  /** Present when this process runs graph executions (not in an API-only process). */
  executor: Executor | undefined;
  executions: ExecutionService;
  /** Recovers the runs of processes that went away (one leader at a time across processes). */
  sweeper: Sweeper;
  loadGraph: GraphLoader;
}

declare module "fastify" {
  interface FastifyInstance {
    services: Services;
  }
}

export const VERSION = "0.1.0";

export interface AgentryServer {
  app: FastifyInstance;
  services: Services;
  /** Listens on config.host:config.port; returns the base URL. */
  listen(): Promise<string>;
  /**
   * Stops taking runs, lets running ones finish for `graceMs` (default: the configured shutdown grace) while
   * HTTP still answers, ends the rest, then closes everything. Called again with `graceMs: 0`, it hurries.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Strips secrets that clients may put in query strings (WebSocket tokens) before a URL is logged. */
function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|access_token|api_key|code|refresh_token)=)[^&]*/gi, "$1[redacted]");
}

export interface ServerOptions {
  /** Extra routes or hooks, registered after the built-in ones (embedding and tests). */
  plugins?: Array<(app: FastifyInstance) => void>;
  /** Where logs go instead of stdout. */
  logStream?: { write(line: string): void };
  /** The clock run leases are stamped and compared with (tests inject one). */
  now?: () => Date;
  /** The clock rate limits read instead of the real one (tests advance it rather than sleep). */
  rateLimitClock?: Clock;
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

export async function createServer(config: Config, options: ServerOptions = {}): Promise<AgentryServer> {
  const queue: ExecutionQueue = new MemoryExecutionQueue();
  checkExecution(config, queue);
  configureSandbox(config.sandbox);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const secrets = loadInstanceSecrets({
      dataDir: config.dataDir,
      jwtSecret: config.auth.jwtSecret,
      encryptionKey: config.encryptionKey,
    });
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
    const logger = pino(
      {
        level: config.logLevel,
        redact: ["req.headers.authorization", 'req.headers["x-api-key"]', "req.headers.cookie"],
        serializers: {
          // Failed queries carry their SQL parameters (user data, credentials): logged as a summary without them.
          err: errorForLog,
          req: (req: { method: string; url: string; ip?: string }) => ({
            method: req.method,
            url: redactUrl(req.url),
            remoteAddress: req.ip,
          }),
        },
      },
      options.logStream as never,
    );
    const events: EventBus = new MemoryEventBus();
    const loadGraph: GraphLoader = (userId, graphId, version) => getGraphForRun(database.db, userId, graphId, version);
    const executor = config.executor.enabled
      ? new Executor({
          db: database.db,
          events,
          queue,
          loadGraph,
          blocks: blockHooks,
          log: logger,
          runConcurrency: config.executor.runConcurrency,
          workerConcurrency: config.executor.workerConcurrency,
          nodeTimeoutSeconds: config.executor.nodeTimeoutSeconds,
          httpAllowList: config.httpAllowList,
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
      db: database.db,
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
      db: database.db,
      queue,
      events,
      executor,
      loadGraph,
      encryptionKey: secrets.encryptionKey,
      validateForRun: (graph, inputs) => validateGraph(graph, { forRun: true, inputs }),
    });
    const redis = config.redisUrl ? connectRedis(config.redisUrl) : undefined;
    if (redis) {
      redis.on("error", (err) => logger.warn({ err: err.message }, "redis connection problem"));
      await redisReady(redis);
      cleanups.push(async () => {
        redis.disconnect();
      });
    }
    const scheduler = config.executor.enabled
      ? new Scheduler({ db: database.db, executions, log: logger, encryptionKey: secrets.encryptionKey })
      : undefined;
    const services: Services = {
      config,
      database,
      auth,
      rateLimits: redis
        ? new RedisRateLimitStore(
            redis,
            (err) => logger.warn({ err }, "rate limiting without Redis"),
            options.rateLimitClock,
          )
        : new MemoryRateLimitStore(options.rateLimitClock),
      encryptionKey: secrets.encryptionKey,
      events,
      queue,
      executor,
      executions,
      sweeper,
      loadGraph,
    };
    const app = buildApp(services, logger, options);
    await app.ready();
    scheduler?.start();
    executor?.start();
    // Before serving: a restart after a crash queues the runs left QUEUED and ends those whose lease expired.
    await sweeper.start();
    let closing: Promise<void> | undefined;
    const close = async (graceMs: number) => {
      await sweeper.stop();
      await scheduler?.stop();
      // HTTP keeps answering while runs drain: new runs are recorded QUEUED for the next process to take.
      await executor?.close(graceMs);
      await app.close();
      await closeSandbox();
      await queue.close();
      await events.close();
      for (const cleanup of cleanups) await cleanup();
      await database.close();
    };
    return {
      app,
      services,
      async listen() {
        await app.listen({ host: config.host, port: config.port });
        const address = app.server.address();
        const port = typeof address === "object" && address ? address.port : config.port;
        const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
        return config.publicUrl ?? `http://${host}:${port}`;
      },
      close(closeOptions = {}) {
        const graceMs = closeOptions.graceMs ?? config.runLifecycle.shutdownGraceSeconds * 1000;
        if (closing) {
          if (graceMs === 0) void executor?.close(0);
          return closing;
        }
        closing = close(graceMs);
        return closing;
      },
    };
  } catch (err) {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    await database.close();
    throw err;
  }
}

function buildApp(services: Services, logger: pino.Logger, options: ServerOptions): FastifyInstance {
  const { config } = services;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimit,
    ...httpServerOptions(config.http),
    clientErrorHandler,
    frameworkErrors,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: "array", useDefaults: true } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate("services", services);
  app.addSchema(ErrorEnvelope);
  app.addSchema(User);
  app.addSchema(APIKeyInfo);
  for (const schema of [GraphExecutionMeta, NodeExecutionResult, GraphExecutionWithNodes, ExecuteResponse]) {
    app.addSchema(schema);
  }
  registerErrorHandling(app);
  registerInputGuards(app);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  registerAuthThrottle(app, config.authThrottle, services.rateLimits);
  registerAuthentication(app, services.auth);
  registerRateLimit(app, config.rateLimit, services.rateLimits);
  app.register(helmet, securityHeaders(config));

  app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Agentry",
        version: VERSION,
        description: "Self-hostable agent platform server compatible with the AutoGPT Platform API.",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT or OAuth access token" },
          apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (json.$id as string) || `def-${i}` },
  });
  app.register(swaggerUi, {
    routePrefix: "/docs",
    uiConfig: { docExpansion: "list", deepLinking: true, validatorUrl: null },
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.register(healthRoutes);
  app.register(oauthMetadataRoutes);
  app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  app.register(wsRoutes);
  app.register(
    async (api) => {
      api.register(authRoutes, { prefix: "/auth", signupEnabled: config.auth.signupEnabled });
      api.register(apiKeyRoutes, { prefix: "/api-keys" });
      api.register(adminUserRoutes, { prefix: "/admin/users" });
      api.register(adminOauthAppRoutes, { prefix: "/admin/oauth/apps" });
      api.register(oauthRoutes, { prefix: "/oauth" });
      api.register(graphRoutes);
      api.register(blockRoutes);
      api.register(executionRoutes);
    },
    { prefix: "/api" },
  );
  app.register(externalV1, { prefix: "/external-api/v1" });
  app.register(externalV2, { prefix: "/external-api/v2" });
  app.register(registerExternalDocs);
  for (const plugin of options.plugins ?? []) plugin(app);
  return app;
}
