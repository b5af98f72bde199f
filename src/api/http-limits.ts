// The HTTP server's time limits (slowloris: headers or bodies sent slowly, or never finished), as Fastify options.
import type { Config } from "../config.js";

export function httpServerOptions(limits: Config["http"]) {
  const requestTimeout = limits.requestTimeoutMs;
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout =
    requestTimeout > 0 ? Math.min(limits.headersTimeoutMs, requestTimeout) : limits.headersTimeoutMs;
  const shortest = Math.min(...[headersTimeout, requestTimeout].filter((ms) => ms > 0));
  return {
    requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    http: {
      headersTimeout,
      requestTimeout,
      // Node checks the two timeouts above on this interval (30 s by default, which would triple a 10 s limit).
      connectionsCheckingInterval: Number.isFinite(shortest)
        ? Math.max(10, Math.min(1000, Math.floor(shortest / 4)))
        : 1000,
    },
  };
}
