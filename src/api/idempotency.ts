// Idempotency-Key on write routes that start work: the route options that hand the header to IdempotencyService
// before the handler and the answer to it after.
import type { FastifyInstance, onSendAsyncHookHandler, preHandlerAsyncHookHandler } from "fastify";
import { principalOf } from "./auth-hooks.js";

const HEADER = "idempotency-key";

declare module "fastify" {
  interface FastifyRequest {
    idempotency?: { userId: string; key: string };
  }
}

/**
 * Route options that make a route idempotent: spread them in with the route's own options,
 * e.g. `{ ...scoped([...], schema), ...idempotent(app) }`.
 */
export function idempotent(app: FastifyInstance): {
  preHandler: preHandlerAsyncHookHandler;
  onSend: onSendAsyncHookHandler;
} {
  const service = app.platform.idempotency;
  return {
    async preHandler(request, reply) {
      const raw = request.headers[HEADER];
      if (raw === undefined) return;
      const key = (Array.isArray(raw) ? raw[0] : raw) ?? "";
      const userId = principalOf(request).user.id;
      const path = request.url.split("?")[0] as string;
      const decision = await service.begin({ userId, key, method: request.method, path, body: request.body });
      if (decision.run) {
        request.idempotency = { userId, key };
        return;
      }
      reply.header("idempotent-replayed", "true");
      return reply.status(decision.status).send(decision.body);
    },
    async onSend(request, reply, payload) {
      const pending = request.idempotency;
      if (!pending || reply.getHeader("idempotent-replayed")) return payload;
      let body: unknown = null;
      if (reply.statusCode < 500) {
        try {
          body = typeof payload === "string" ? JSON.parse(payload) : null;
        } catch {}
      }
      await service.finish(pending.userId, pending.key, reply.statusCode, body);
      return payload;
    },
  };
}
