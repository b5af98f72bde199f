// Builds the HTTP/WebSocket app of an Agentry process over the platform that `platform.ts` composes.
import { randomUUID } from "node:crypto";
import type http from "node:http";
import helmet from "@fastify/helmet";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import pino from "pino";
import { adminOauthAppRoutes } from "./api/admin/oauth-apps.js";
import { adminUserRoutes } from "./api/admin/users.js";
import { adminAnalyticsRoutes, executionAnalyticsRoutes } from "./api/analytics/routes.js";
import { APIKeyInfo, apiKeyRoutes } from "./api/api-keys/routes.js";
import { authRoutes, User } from "./api/auth/routes.js";
import { registerAuthentication } from "./api/auth-hooks.js";
import { registerAuthThrottle } from "./api/auth-throttle.js";
import { blockRoutes } from "./api/blocks/routes.js";
import { builderRoutes } from "./api/builder/index.js";
import { adminCreditRoutes, creditRoutes } from "./api/credits/routes.js";
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
import { graphSettingsRoutes } from "./api/graphs/settings.js";
import { healthRoutes } from "./api/health.js";
import { httpServerOptions } from "./api/http-limits.js";
import { registerInputGuards } from "./api/input-guards.js";
import { integrationRoutes } from "./api/integrations/routes.js";
import { lazySchemaController } from "./api/lazy-compilers.js";
import { libraryRoutes } from "./api/library/routes.js";
import { oauthMetadataRoutes, oauthRoutes } from "./api/oauth/index.js";
import { type Clock, registerRateLimit } from "./api/rate-limit.js";
import { reviewRoutes } from "./api/review/routes.js";
import { scheduleRoutes } from "./api/schedules/routes.js";
import { ErrorEnvelope } from "./api/schemas.js";
import { securityHeaders } from "./api/security-headers.js";
import { sharingRoutes } from "./api/sharing/routes.js";
import { storeAdminRoutes, storeRoutes } from "./api/store/index.js";
import { ignoreUnknownFields } from "./api/unknown-fields.js";
import { wsRoutes } from "./api/ws/routes.js";
import type { Config } from "./config.js";
import { formatsPlugin } from "./core/formats.js";
import { errorForLog } from "./infra/db/errors.js";
import { createPlatform, type Platform } from "./platform.js";
import { VERSION } from "./version.js";

declare module "fastify" {
  interface FastifyInstance {
    platform: Platform;
  }
}

export { VERSION };

export interface AgentryServer {
  app: FastifyInstance;
  platform: Platform;
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
  /**
   * An HTTP server already listening (`agentry serve` opens its port before the slow database work and answers
   * 503 meanwhile): the app takes its requests over in `listen()` instead of opening a port, and closes it.
   */
  httpServer?: http.Server;
  /** Told about slow start-up steps (creating the embedded database, applying migrations). */
  onProgress?: (step: string) => void;
  /** Compiles every route's validators and serializers at start (Fastify's default), so a broken schema fails there. */
  eagerSchemas?: boolean;
}

export async function createServer(config: Config, options: ServerOptions = {}): Promise<AgentryServer> {
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
  const handle = await createPlatform(config, logger, {
    now: options.now,
    rateLimitClock: options.rateLimitClock,
    onProgress: options.onProgress,
  });
  const { platform } = handle;
  const { httpServer } = options;
  let app: FastifyInstance;
  let appHandler: http.RequestListener | undefined;
  try {
    app = buildApp(platform, logger, options, (handler) => (appHandler = handler));
    await app.ready();
    await handle.start();
  } catch (err) {
    await handle.close(0, async () => {});
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    app,
    platform,
    async listen() {
      if (httpServer && appHandler) {
        httpServer.removeAllListeners("request");
        httpServer.on("request", appHandler);
      } else {
        await app.listen({ host: config.host, port: config.port });
      }
      const address = app.server.address();
      const port = typeof address === "object" && address ? address.port : config.port;
      const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
      return config.publicUrl ?? `http://${host}:${port}`;
    },
    close(closeOptions = {}) {
      const graceMs = closeOptions.graceMs ?? config.runLifecycle.shutdownGraceSeconds * 1000;
      if (closing) {
        if (graceMs === 0) handle.hurry();
        return closing;
      }
      // Fastify closes only a server it opened itself; one handed over is closed here, after the app.
      closing = handle.close(graceMs, async () => {
        await app.close();
        if (httpServer?.listening) await new Promise((resolve) => httpServer.close(resolve));
      });
      return closing;
    },
  };
}

function buildApp(
  platform: Platform,
  logger: pino.Logger,
  options: ServerOptions,
  takeHandler: (handler: http.RequestListener) => void,
): FastifyInstance {
  const { config } = platform;
  const { httpServer } = options;
  const app = Fastify({
    serverFactory: httpServer
      ? (handler) => {
          takeHandler(handler as http.RequestListener);
          return httpServer;
        }
      : undefined,
    schemaController: options.eagerSchemas ? undefined : lazySchemaController,
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimit,
    ...httpServerOptions(config.http),
    clientErrorHandler,
    frameworkErrors,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    ajv: {
      customOptions: { removeAdditional: false, allErrors: true, coerceTypes: "array", useDefaults: true },
      // Pydantic's rule for unknown fields, and the formats block pins are checked with too (one registry,
      // src/core/formats.ts) instead of ajv-formats.
      plugins: [ignoreUnknownFields, formatsPlugin],
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate("platform", platform);
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
  registerAuthThrottle(app, config.authThrottle, platform.rateLimits);
  registerAuthentication(app, platform.auth);
  registerRateLimit(app, config.rateLimit, platform.rateLimits);
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
      api.register(builderRoutes, { prefix: "/builder" });
      api.register(executionRoutes);
      api.register(scheduleRoutes);
      api.register(sharingRoutes);
      api.register(graphSettingsRoutes);
      api.register(reviewRoutes, { prefix: "/review" });
      api.register(reviewRoutes, { prefix: "/executions/review" });
      api.register(executionAnalyticsRoutes, { prefix: "/executions/admin" });
      api.register(adminAnalyticsRoutes, { prefix: "/admin/analytics" });
      api.register(integrationRoutes, { prefix: "/integrations" });
      api.register(libraryRoutes, { prefix: "/library" });
      api.register(creditRoutes, { prefix: "/credits" });
      api.register(adminCreditRoutes, { prefix: "/credits/admin" });
      api.register(adminCreditRoutes, { prefix: "/admin/credits" });
      api.register(storeRoutes, { prefix: "/store" });
      api.register(storeAdminRoutes, { prefix: "/admin/store" });
    },
    { prefix: "/api" },
  );
  app.register(externalV1, { prefix: "/external-api/v1" });
  app.register(externalV2, { prefix: "/external-api/v2" });
  app.register(registerExternalDocs);
  for (const plugin of options.plugins ?? []) plugin(app);
  return app;
}
