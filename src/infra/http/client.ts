// The one outgoing-request client every block uses: SSRF guard on every hop, redirects, decompression, size and time
// limits, operator-overridable provider base URLs, and retries with backoff on 429/5xx when a caller asks for them.
//
// Built on node:http/https rather than undici: the `undici` package is not a dependency, and the undici inside Node
// 20 (global fetch) takes no custom DNS lookup, which the guard needs to check the address a socket connects to
// (a check before connecting alone lets a DNS answer that changes in between through).
import http from "node:http";
import https from "node:https";
import { PassThrough, type Readable } from "node:stream";
import zlib from "node:zlib";
import { BlockedRequestError, checkUrl, guardedLookup } from "./guard.js";

export { BlockedRequestError } from "./guard.js";

export interface RetryPolicy {
  /** Attempts in all, the first included (1: no retry). */
  attempts: number;
  /** Delay before the first retry; doubled for each further one. */
  baseDelayMs?: number;
  /** Longest wait between attempts; a Retry-After asking for longer ends the retries. */
  maxDelayMs?: number;
}

export interface HttpRequest {
  /** Absolute, or relative to the provider's base URL when the client was made by `forProvider`. */
  url: string | URL;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Sent as JSON (content-type application/json unless a header says otherwise). */
  json?: unknown;
  /** Per attempt, from connecting to the last byte of the body. */
  timeoutMs?: number;
  /** Largest decompressed body accepted. */
  maxResponseBytes?: number;
  /** 0 returns a redirect response as it is. */
  maxRedirects?: number;
  /** Retries on 429, 5xx and failed connections; none unless asked. A number is the count of attempts. */
  retry?: RetryPolicy | number;
  /** Called before each retry with the attempt that failed and its status (none for a failed connection). */
  onRetry?: (failed: { attempt: number; status?: number }) => void;
  /**
   * A 2xx answer is handed back as soon as its headers arrive, its body as `HttpResponse.stream` (server-sent events
   * of an LLM); the size and time limits still apply while it is read. Other answers are buffered as usual.
   */
  stream?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  ok: boolean;
  /** Lower-case names, as node:http gives them. */
  headers: http.IncomingHttpHeaders;
  /** The URL that answered, after redirects. */
  url: string;
  body: Buffer;
  /** The body as it arrives, for a 2xx answer to a `stream: true` request (then `body` is empty). */
  stream?: Readable;
  text(): string;
  json<T = unknown>(): T;
}

/** What blocks see as `ctx.http`. */
export interface Http {
  request(request: HttpRequest): Promise<HttpResponse>;
  /**
   * A client for one provider's API: relative URLs resolve against the operator's base URL for it
   * (PROVIDER_BASE_URL_<NAME>) or else `defaultBaseUrl`. An operator-configured endpoint is trusted (it may be
   * private or loopback); anything else goes through the SSRF guard.
   */
  forProvider(provider: string, defaultBaseUrl: string): Http & { readonly baseUrl: string };
}

/** A request that could not complete (limits, timeouts, too many redirects); the guard's refusals are BlockedRequestError. */
export class HttpRequestError extends Error {
  override name = "HttpRequestError";
}

export interface HttpClientOptions {
  /** Hosts (name or IP, optionally :port) that may be reached even though they are private or loopback. */
  allowList?: readonly string[];
  /** Provider name (lower case) to base URL, set by the operator: trusted endpoints. */
  providerBaseUrls?: Record<string, string>;
  timeoutMs?: number;
  maxResponseBytes?: number;
  maxRedirects?: number;
}

export const HTTP_CLIENT_DEFAULTS = { timeoutMs: 60_000, maxResponseBytes: 50 * 1024 * 1024, maxRedirects: 10 };

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Connection failures worth another attempt (nothing was answered). */
const RETRY_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "UND_ERR_SOCKET"]);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Retry-After as milliseconds (delta-seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function makeResponse(status: number, headers: http.IncomingHttpHeaders, url: string, body: Buffer): HttpResponse {
  return {
    status,
    ok: status >= 200 && status < 300,
    headers,
    url,
    body,
    text: () => body.toString("utf8"),
    json: <T>() => JSON.parse(body.toString("utf8")) as T,
  };
}

interface Attempt {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  guarded: boolean;
  timeoutMs: number;
  maxBytes: number;
  stream: boolean;
  signal?: AbortSignal;
}

export class HttpClient implements Http {
  private readonly allowList: readonly string[];
  private readonly providers = new Map<string, string>();
  private readonly trustedOrigins = new Set<string>();
  private readonly defaults: typeof HTTP_CLIENT_DEFAULTS;
  // Pooled sockets: the guarded pool connects only through the guarded lookup; trusted and allow-listed hosts
  // have their own, so a socket opened without the guard never serves a guarded request.
  private readonly agents = {
    guarded: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
    trusted: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
  };

  constructor(options: HttpClientOptions = {}) {
    this.allowList = options.allowList ?? [];
    this.defaults = {
      timeoutMs: options.timeoutMs ?? HTTP_CLIENT_DEFAULTS.timeoutMs,
      maxResponseBytes: options.maxResponseBytes ?? HTTP_CLIENT_DEFAULTS.maxResponseBytes,
      maxRedirects: options.maxRedirects ?? HTTP_CLIENT_DEFAULTS.maxRedirects,
    };
    for (const [name, base] of Object.entries(options.providerBaseUrls ?? {})) {
      const url = new URL(base);
      this.providers.set(name.toLowerCase(), url.href);
      this.trustedOrigins.add(url.origin);
    }
  }

  /** This client with `signal` applied to every request (a request's own signal still applies too). */
  withSignal(signal: AbortSignal): Http {
    const merge = (own?: AbortSignal) => (own ? AbortSignal.any([own, signal]) : signal);
    const bound = (client: Http): Http => ({
      request: (request) => client.request({ ...request, signal: merge(request.signal) }),
      forProvider: (provider, defaultBaseUrl) => {
        const inner = client.forProvider(provider, defaultBaseUrl);
        return { ...bound(inner), baseUrl: inner.baseUrl };
      },
    });
    return bound(this);
  }

  /** The base URL requests for `provider` use: the operator's, else the block's default. */
  baseUrl(provider: string, defaultBaseUrl: string): string {
    return this.providers.get(provider.toLowerCase()) ?? defaultBaseUrl;
  }

  forProvider(provider: string, defaultBaseUrl: string): Http & { readonly baseUrl: string } {
    const baseUrl = this.baseUrl(provider, defaultBaseUrl);
    const base = new URL(baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
    const resolve = (url: string | URL) =>
      // A leading "/" is taken as relative to the base's path, so "/v1/x" under ".../api/" is ".../api/v1/x".
      typeof url === "string" && !/^[a-z][a-z0-9+.-]*:/i.test(url) ? new URL(url.replace(/^\/+/, ""), base) : url;
    return {
      baseUrl,
      request: (request) => this.request({ ...request, url: resolve(request.url) }),
      forProvider: (other, otherDefault) => this.forProvider(other, otherDefault),
    };
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const policy = typeof request.retry === "number" ? { attempts: request.retry } : request.retry;
    const attempts = Math.max(1, policy?.attempts ?? 1);
    const baseDelay = policy?.baseDelayMs ?? 500;
    const maxDelay = policy?.maxDelayMs ?? 30_000;
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse | undefined;
      let failure: unknown;
      try {
        response = await this.follow(request);
      } catch (err) {
        failure = err;
      }
      const last = attempt >= attempts || request.signal?.aborted;
      const retryable = response ? RETRY_STATUSES.has(response.status) : isRetryableError(failure);
      if (last || !retryable) {
        if (response) return response;
        throw failure;
      }
      let delay = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
      const asked = response ? retryAfterMs(response.headers["retry-after"]) : undefined;
      if (response && asked !== undefined) {
        if (asked > maxDelay) return response;
        delay = asked;
      }
      request.onRetry?.({ attempt, status: response?.status });
      await sleep(delay, request.signal);
    }
  }

  /** One attempt: the request and its redirects, each hop checked against the guard. */
  private async follow(request: HttpRequest): Promise<HttpResponse> {
    let url = typeof request.url === "string" ? new URL(request.url) : new URL(request.url.href);
    let method = (
      request.method ?? (request.body !== undefined || request.json !== undefined ? "POST" : "GET")
    ).toUpperCase();
    let headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
    let body: Buffer | undefined;
    if (request.json !== undefined) {
      body = Buffer.from(JSON.stringify(request.json));
      headers["content-type"] ??= "application/json";
    } else if (request.body !== undefined) {
      body = Buffer.from(request.body);
    }
    headers["accept-encoding"] ??= "gzip, deflate, br";
    const maxRedirects = request.maxRedirects ?? this.defaults.maxRedirects;
    for (let hop = 0; ; hop++) {
      const guarded = !(await this.trusted(url));
      const response = await this.send({
        url,
        method,
        headers,
        body,
        guarded,
        timeoutMs: request.timeoutMs ?? this.defaults.timeoutMs,
        maxBytes: request.maxResponseBytes ?? this.defaults.maxResponseBytes,
        stream: request.stream ?? false,
        signal: request.signal,
      });
      const location = response.headers.location;
      if (![301, 302, 303, 307, 308].includes(response.status) || !location || maxRedirects === 0) return response;
      if (hop >= maxRedirects) throw new HttpRequestError(`Too many redirects (more than ${maxRedirects})`);
      const next = new URL(location, url);
      // As browsers do: 303 (and 301/302 after POST) continue as a GET without the body.
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
        if (method !== "HEAD") method = "GET";
        body = undefined;
        const { "content-type": _type, "content-length": _length, ...rest } = headers;
        headers = rest;
      }
      // Credentials meant for one origin are not forwarded to another.
      if (next.origin !== url.origin) {
        const { authorization: _auth, cookie: _cookie, ...rest } = headers;
        headers = rest;
      }
      url = next;
    }
  }

  /** Operator endpoints and allow-listed hosts skip the guard; every other URL is checked before connecting. */
  private async trusted(url: URL): Promise<boolean> {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new BlockedRequestError(`Only http and https URLs are allowed, not ${url.protocol}`);
    }
    if (this.trustedOrigins.has(url.origin)) return true;
    return (await checkUrl(url, this.allowList)).allowListed;
  }

  private send(a: Attempt): Promise<HttpResponse> {
    const secure = a.url.protocol === "https:";
    const agents = a.guarded ? this.agents.guarded : this.agents.trusted;
    return new Promise((resolve, reject) => {
      if (a.signal?.aborted) return reject(a.signal.reason);
      const request = (secure ? https : http).request(a.url, {
        method: a.method,
        headers: a.body ? { ...a.headers, "content-length": String(a.body.length) } : a.headers,
        agent: secure ? agents.https : agents.http,
        lookup: a.guarded ? guardedLookup : undefined,
      });
      // A request cut short (limit, timeout, abort) rejects with why, then drops its socket without an error:
      // an error passed to destroy() once the response has begun is emitted where nobody listens.
      let response: http.IncomingMessage | undefined;
      // Set once a streamed answer has been handed back: later failures end that stream instead.
      let streamed: PassThrough | undefined;
      const kill = (err: unknown) => {
        fail(err);
        response?.destroy();
        request.destroy();
      };
      const timer = setTimeout(
        () => kill(new HttpRequestError(`Request to ${a.url.origin} timed out after ${a.timeoutMs} ms`)),
        a.timeoutMs,
      );
      const onAbort = () => kill(a.signal?.reason);
      a.signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        a.signal?.removeEventListener("abort", onAbort);
      };
      const fail = (err: unknown) => {
        done();
        // The guarded lookup's refusal arrives wrapped by the socket; callers see the refusal itself.
        const cause = (err as { cause?: unknown })?.cause;
        const reason = cause instanceof BlockedRequestError ? cause : err;
        if (streamed) streamed.destroy(reason instanceof Error ? reason : new HttpRequestError(String(reason)));
        else reject(reason);
      };
      request.on("error", fail);
      request.on("response", (res) => {
        response = res;
        let stream: Readable = res;
        const encoding = String(res.headers["content-encoding"] ?? "").toLowerCase();
        if (encoding === "gzip" || encoding === "x-gzip") stream = res.pipe(zlib.createGunzip());
        else if (encoding === "deflate") stream = res.pipe(zlib.createInflate());
        else if (encoding === "br") stream = res.pipe(zlib.createBrotliDecompress());
        const status = res.statusCode ?? 0;
        if (a.stream && status >= 200 && status < 300) {
          streamed = new PassThrough();
          resolve({ ...makeResponse(status, res.headers, a.url.href, Buffer.alloc(0)), stream: streamed });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > a.maxBytes) {
            kill(new HttpRequestError(`Response body exceeds ${a.maxBytes} bytes`));
            return;
          }
          if (streamed) streamed.write(chunk);
          else chunks.push(chunk);
        });
        stream.on("end", () => {
          done();
          if (streamed) streamed.end();
          else resolve(makeResponse(status, res.headers, a.url.href, Buffer.concat(chunks)));
        });
        stream.on("error", fail);
        res.on("error", fail);
      });
      request.end(a.body);
    });
  }

  /** Closes pooled connections (at shutdown). */
  close(): void {
    for (const pool of Object.values(this.agents)) {
      pool.http.destroy();
      pool.https.destroy();
    }
  }
}

function isRetryableError(err: unknown): boolean {
  if (err instanceof BlockedRequestError) return false;
  if (err instanceof HttpRequestError) return err.message.includes("timed out");
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && RETRY_CODES.has(code);
}
