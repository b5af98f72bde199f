// What the OAuth route files share: the issuer URL, the OAuth error body, and header hygiene for secret-bearing answers.
import { Type } from "@sinclair/typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../../config.js";

/**
 * The issuer (RFC 8414) and base of every URL handed to clients: the configured public URL, else the configured
 * host and the port listened on. Never the request's Host header, which the caller chooses.
 */
export function issuerOf(request: FastifyRequest, config: Pick<Config, "publicUrl" | "host" | "port">): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, "");
  const address = request.server.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** RFC 6749 §5.2: what OAuth client libraries parse, instead of the platform's error envelope. */
export const OAuthErrorBody = Type.Object(
  {
    error: Type.String({ examples: ["invalid_grant"] }),
    error_description: Type.Optional(Type.String()),
  },
  { title: "OAuthError" },
);

/** Token-bearing answers must not be cached (RFC 6749 §5.1). */
export function noStore(reply: FastifyReply): void {
  reply.header("cache-control", "no-store");
  reply.header("pragma", "no-cache");
}
