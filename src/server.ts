// Builds the Agentry process: database, services and the HTTP/WebSocket app, and tears them down in order.
import { randomUUID } from "node:crypto";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import { adminUserRoutes } from "./api/admin/users.js";
import { APIKeyInfo, apiKeyRoutes } from "./api/api-keys/routes.js";
import { authRoutes, User } from "./api/auth/routes.js";
import { registerAuthentication } from "./api/auth-hooks.js";
import { registerErrorHandling } from "./api/errors.js";
import { healthRoutes } from "./api/health.js";
import { MemoryRateLimitStore, type RateLimitStore, registerRateLimit } from "./api/rate-limit.js";
import { ErrorEnvelope } from "./api/schemas.js";
import { loadInstanceSecrets } from "./auth/secrets.js";
import { AuthService } from "./auth/service.js";
import type { Config } from "./config.js";
import { type Database, openDatabase } from "./infra/db/index.js";

export interface Services {
  config: Config;
  database: Database;
  auth: AuthService;
  rateLimits: RateLimitStore;
  encryptionKey: Buffer;
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
  close(): Promise<void>;
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
}

export async function createServer(config: Config, options: ServerOptions = {}): Promise<AgentryServer> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
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
      firstUserIsAdmin: database.kind === "pglite",
    });
    const services: Services = {
      config,
      database,
      auth,
      rateLimits: new MemoryRateLimitStore(),
      encryptionKey: secrets.encryptionKey,
    };
    const app = buildApp(services, options);
    await app.ready();
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
      async close() {
        await app.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}

function buildApp(services: Services, options: ServerOptions): FastifyInstance {
  const { config } = services;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(options.logStream ? { stream: options.logStream } : {}),
      redact: ["req.headers.authorization", 'req.headers["x-api-key"]', "req.headers.cookie"],
      serializers: {
        req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
      },
    },
    bodyLimit: config.bodyLimit,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: "array", useDefaults: true } },
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate("services", services);
  app.addSchema(ErrorEnvelope);
  app.addSchema(User);
  app.addSchema(APIKeyInfo);
  registerErrorHandling(app);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  registerAuthentication(app, services.auth);
  registerRateLimit(app, config.rateLimit, services.rateLimits);

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
  app.register(swaggerUi, { routePrefix: "/docs", uiConfig: { docExpansion: "list", deepLinking: true } });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.register(healthRoutes);
  app.register(
    async (api) => {
      api.register(authRoutes, { prefix: "/auth", signupEnabled: config.auth.signupEnabled });
      api.register(apiKeyRoutes, { prefix: "/api-keys" });
      api.register(adminUserRoutes, { prefix: "/admin/users" });
    },
    { prefix: "/api" },
  );
  for (const plugin of options.plugins ?? []) plugin(app);
  return app;
}
