// A stand-in for a provider's HTTP API on loopback: answers each request with a scripted handler and records what
// it received (method, path, query, headers, body), so a test can check the request a block made.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names, as node:http gives them. */
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is (a string or bytes). */
  body?: string | Buffer;
  /** Server-sent events, each written as `data: <chunk>\n\n` (strings as they are, anything else as JSON). */
  sse?: unknown[];
}

export type Handler = (req: ReceivedRequest) => ScriptedReply | Promise<ScriptedReply>;

export interface ProviderServer {
  /** `http://127.0.0.1:<port>`, for `outgoingHttp.providerBaseUrls` or an env base URL. */
  url: string;
  received: ReceivedRequest[];
  /** Replaces the handler (the default answers 404 naming the path). */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

const notFound: Handler = (req) => ({ status: 404, json: { error: `no route for ${req.method} ${req.path}` } });

export async function startProviderServer(handler: Handler = notFound): Promise<ProviderServer> {
  let current = handler;
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://localhost");
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const request: ReceivedRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        json,
      };
      received.push(request);
      try {
        const reply = await current(request);
        const headers = { ...reply.headers };
        if (reply.sse) {
          res.writeHead(reply.status ?? 200, { "content-type": "text/event-stream", ...headers });
          for (const event of reply.sse)
            res.write(`data: ${typeof event === "string" ? event : JSON.stringify(event)}\n\n`);
          res.end();
        } else if (reply.json !== undefined) {
          res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...headers });
          res.end(JSON.stringify(reply.json));
        } else {
          res.writeHead(reply.status ?? 200, headers);
          res.end(reply.body ?? "");
        }
      } catch (err) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`test handler failed: ${(err as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    handle(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
