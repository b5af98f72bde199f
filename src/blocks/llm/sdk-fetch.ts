// The `fetch` the official SDKs (openai, @anthropic-ai/sdk) are given: every request they make goes through the block
// context's HTTP client (SSRF guard, operator base URLs, limits, retries with backoff, the node's signal), and a
// streamed answer reaches the SDK's SSE parser as it arrives.
import { Readable } from "node:stream";
import type { Http, HttpResponse, RetryPolicy } from "../../infra/http/client.js";

export interface SdkFetchOptions {
  retry: RetryPolicy;
  timeoutMs: number;
  /** Counts the HTTP attempts the client made (the first and each retry). */
  onAttempt: () => void;
  /** Whether the one request this client makes asks for a streamed answer. */
  stream: boolean;
  signal: AbortSignal;
}

/** Headers a decoded body no longer matches (the client decompresses and measures on its own). */
const DROPPED = new Set(["content-encoding", "content-length", "transfer-encoding"]);

function responseHeaders(res: HttpResponse): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined || DROPPED.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

function requestBody(body: unknown): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new Error("The LLM client only sends string or byte request bodies");
}

/** A fetch over `http`, for one SDK client making one call: `stream` asks the client for a streamed body. */
export function sdkFetch(http: Http, options: SdkFetchOptions): typeof fetch {
  const adapter = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = requestBody(init.body);
    const signal = init.signal ? AbortSignal.any([init.signal, options.signal]) : options.signal;
    options.onAttempt();
    const res = await http.request({
      url,
      method: init.method ?? "GET",
      headers,
      body,
      retry: options.retry,
      onRetry: () => options.onAttempt(),
      timeoutMs: options.timeoutMs,
      stream: options.stream,
      signal,
    });
    const nullBody = res.status === 204 || res.status === 304 || init.method === "HEAD";
    const payload = nullBody
      ? null
      : res.stream
        ? (Readable.toWeb(res.stream) as unknown as ReadableStream<Uint8Array>)
        : new Uint8Array(res.body);
    return new Response(payload, { status: res.status, headers: responseHeaders(res) });
  };
  return adapter as typeof fetch;
}
