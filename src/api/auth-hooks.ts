// Request authentication (every request, once) and the guards routes declare: user, scope, admin.
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import type { Scope } from "../auth/scopes.js";
import type { AuthService, Principal } from "../auth/service.js";
import { ApiError } from "../core/errors.js";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export function registerAuthentication(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest("principal", undefined);
  app.addHook("onRequest", async (request) => {
    request.principal = await auth.authenticate(request.headers as Record<string, string | undefined>);
  });
}

/** The signed-in caller, for handlers behind `requireUser`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw ApiError.unauthorized();
  return request.principal;
}

export const requireUser: preHandlerAsyncHookHandler = async (request: FastifyRequest, _reply: FastifyReply) => {
  principalOf(request);
};

/** A signed-in session only: API keys and OAuth tokens may not manage credentials themselves. */
export const requireSession: preHandlerAsyncHookHandler = async (request) => {
  if (principalOf(request).kind !== "session") {
    throw ApiError.forbidden("This action needs a signed-in user session, not an API key or OAuth token");
  }
};

export function requireScope(...scopes: Scope[]): preHandlerAsyncHookHandler {
  return async (request) => {
    const principal = principalOf(request);
    const missing = scopes.filter((s) => !principal.scopes.has(s));
    if (missing.length > 0) {
      throw ApiError.forbidden(`Missing required scope: ${missing.join(", ")}`, { missing_scopes: missing });
    }
  };
}

/** Any one of the scopes suffices (e.g. RUN_AGENT, or v1's legacy EXECUTE_GRAPH). */
export function requireAnyScope(...scopes: Scope[]): preHandlerAsyncHookHandler {
  return async (request) => {
    const principal = principalOf(request);
    if (!scopes.some((s) => principal.scopes.has(s))) {
      throw ApiError.forbidden(`Missing required scope: one of ${scopes.join(", ")}`, { missing_scopes: scopes });
    }
  };
}

/**
 * A signed-in admin (an Agentry session or an external IdP token of an admin). An admin's API key or an OAuth token
 * an app holds on an admin's behalf acts with scopes, and no scope reaches the admin routes.
 */
export const requireAdmin: preHandlerAsyncHookHandler = async (request) => {
  const principal = principalOf(request);
  if (principal.kind !== "session") {
    throw ApiError.forbidden("Admin actions need a signed-in admin session, not an API key or OAuth token");
  }
  if (principal.user.role !== "admin") throw ApiError.forbidden("Admin access required");
};
