// What the OAuth route files share: the issuer URL, the OAuth error body, and header hygiene for secret-bearing answers.
import { Type } from "@sinclair/typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../../config.js";

/** The issuer (RFC 8414): the configured public URL, else the origin the request came to. */
export function issuerOf(request: FastifyRequest, config: Pick<Config, "publicUrl">): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, "");
  return `${request.protocol}://${request.host}`;
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
