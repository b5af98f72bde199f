// The hardening headers every answer carries (@fastify/helmet), with a CSP the Swagger UI reference pages work under.

import type { IncomingMessage } from "node:http";
import type { FastifyHelmetOptions } from "@fastify/helmet";
import type { Config } from "../config.js";

/**
 * The External API reference pages start Swagger UI with one inline script; they are static pages of this server
 * (no request data in them), so inline script is allowed there and nowhere else. /docs itself needs none.
 */
const INLINE_SCRIPT_PAGES = /^\/external-api(?:\/v[0-9]+)?\/docs\/?(?:\?|$)/;

export function securityHeaders(config: Pick<Config, "publicUrl">): FastifyHelmetOptions {
  const https = config.publicUrl?.startsWith("https:") ?? false;
  return {
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        "script-src": [
          "'self'",
          (req: IncomingMessage) => (INLINE_SCRIPT_PAGES.test(req.url ?? "") ? "'unsafe-inline'" : ""),
        ],
        // Plain-HTTP instances on a LAN address would have every asset upgraded to an https:// that does not exist.
        "upgrade-insecure-requests": https ? [] : null,
      },
    },
    // Only where the operator said the instance is served over HTTPS; never for sibling subdomains.
    strictTransportSecurity: https ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: "no-referrer" },
  };
}
