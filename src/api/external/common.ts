// Shared by External API v1 and v2: routes declare the scopes they need (checked before anything else) and are
// recorded in a route table, so docs and the scope-matrix test are generated from what is really served.
import type { FastifyInstance, onRequestAsyncHookHandler } from "fastify";
import type { Scope } from "../../auth/scopes.js";
import { ApiError } from "../../core/errors.js";
import { principalOf } from "../auth-hooks.js";

export interface ExternalRoute {
  method: string;
  /** Full path with Fastify parameters, e.g. `/external-api/v1/graphs/:id`. */
  url: string;
  scopes: Scope[];
}

/** Every External API route, filled as routes are registered (see `scoped`). */
export const externalRoutes: ExternalRoute[] = [];

function checkScopes(scopes: Scope[]): onRequestAsyncHookHandler {
  return async (request) => {
    const principal = principalOf(request);
    const missing = scopes.filter((s) => !principal.scopes.has(s));
    if (missing.length > 0) {
      throw ApiError.forbidden(`Missing required scope: ${missing.join(", ")}`, { missing_scopes: missing });
    }
  };
}

/**
 * Route options for an External API route that needs `scopes` (all of them). The check runs in onRequest, before
 * body parsing and validation, so a caller without the scope learns that first. Spread into the route options and
 * pass the route's own schema as `schema`:
 *   app.get("/graphs", scoped(["READ_GRAPH"], { summary: "…", response: {…} }), handler)
 */
export function scoped<S extends Record<string, unknown>>(scopes: Scope[], schema: S) {
  return {
    onRequest: checkScopes(scopes),
    config: { scopes },
    schema: {
      ...schema,
      security: [{ apiKey: [...scopes] }, { bearer: [...scopes] }] as Array<Record<string, string[]>>,
    },
  };
}

/** Records scoped routes of an External API version into `externalRoutes`; call at the top of the version plugin. */
export function recordExternalRoutes(app: FastifyInstance): void {
  app.addHook("onRoute", (route) => {
    const scopes = (route.config as { scopes?: Scope[] } | undefined)?.scopes;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === "HEAD") continue;
      if (!scopes) throw new Error(`External API route ${method} ${route.url} declares no scopes (use scoped())`);
      // Several servers may be built in one process (tests): keep one entry per route.
      if (!externalRoutes.some((r) => r.method === method && r.url === route.url)) {
        externalRoutes.push({ method, url: route.url, scopes });
      }
    }
  });
}

// `scoped()` puts the route's scopes in its config; without this, TypeScript rejects that config as unrelated
// to FastifyContextConfig (a type whose properties are all optional).
declare module "fastify" {
  interface FastifyContextConfig {
    scopes?: Scope[];
  }
}
