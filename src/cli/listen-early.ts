// `agentry serve` opens its port before the slow work (loading the app, opening and migrating the database): a port
// in use fails at once with a clear message, and until the app takes the server over (createServer's `httpServer`),
// every request gets a 503 STARTING envelope, so a client or a health check sees "starting", not "refused".
import http from "node:http";
import { httpServerOptions } from "../api/http-limits.js";
import type { Config } from "../config.js";

/** The port cannot be opened (in use, or not allowed): reported with exit code 2, before any database work. */
export class PortUnavailableError extends Error {
  override name = "PortUnavailableError";
}

const STARTING = "Agentry is starting; try again in a moment";
const BODY = JSON.stringify({ error: { code: "STARTING", message: STARTING, details: {} }, detail: STARTING });

function starting(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(503, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(BODY),
    "retry-after": "1",
    "cache-control": "no-store",
  });
  res.end(BODY);
}

/** The base URL clients use, as createServer's listen() computes it. */
export function baseUrl(config: Config, server: http.Server): string {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  return config.publicUrl ?? `http://${host}:${port}`;
}

/** Listens on config.host:config.port with the same time limits the app applies, answering 503 until handed over. */
export async function listenEarly(config: Config): Promise<{ server: http.Server; url: string }> {
  const options = httpServerOptions(config.http);
  const server = http.createServer(options.http, starting);
  server.keepAliveTimeout = options.keepAliveTimeout;
  server.requestTimeout = options.requestTimeout;
  server.setTimeout(options.connectionTimeout);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const where = `${config.host}:${config.port}`;
      if (err.code === "EADDRINUSE") {
        reject(
          new PortUnavailableError(
            `port ${config.port} is already in use (${where}): stop the process using it, ` +
              "or choose another port with --port N or PORT",
          ),
        );
      } else if (err.code === "EACCES" || err.code === "EADDRNOTAVAIL") {
        reject(new PortUnavailableError(`cannot listen on ${where}: ${err.message}`));
      } else reject(err);
    });
    server.listen({ host: config.host, port: config.port }, resolve);
  });
  return { server, url: baseUrl(config, server) };
}
