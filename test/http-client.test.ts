// The outgoing-request client (ctx.http) against real loopback servers: guard, provider base URLs, redirects,
// decompression, limits, retries and cancellation.
import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { BlockedRequestError, HttpClient, HttpRequestError, retryAfterMs } from "../src/infra/http/client.js";

let server: http.Server;
let other: http.Server;
let base: string;
let otherBase: string;
const hits = new Map<string, number>();
let closedEarly = 0;

function count(key: string): number {
  const n = (hits.get(key) ?? 0) + 1;
  hits.set(key, n);
  return n;
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const key = url.searchParams.get("key") ?? url.pathname;
    switch (url.pathname) {
      case "/api/v1/echo": {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          res.setHeader("content-type", "application/json");
          res.end(
            JSON.stringify({ method: req.method, path: url.pathname, body, auth: req.headers.authorization ?? null }),
          );
        });
        return;
      }
      case "/gzip":
        res.writeHead(200, { "content-encoding": "gzip", "content-type": "text/plain" });
        res.end(zlib.gzipSync("hello gzip"));
        return;
      case "/br":
        res.writeHead(200, { "content-encoding": "br", "content-type": "text/plain" });
        res.end(zlib.brotliCompressSync("hello brotli"));
        return;
      case "/big":
        res.end("x".repeat(10_000));
        return;
      case "/loop":
        res.writeHead(302, { location: "/loop" });
        res.end();
        return;
      case "/to-other":
        res.writeHead(302, { location: `${otherBase}/reached` });
        res.end();
        return;
      case "/to-echo":
        res.writeHead(303, { location: "/api/v1/echo" });
        res.end();
        return;
      case "/flaky": {
        // Fails twice (503, then 429 asking for a retry at once), then answers.
        const n = count(key);
        if (n === 1) res.writeHead(503).end("busy");
        else if (n === 2) res.writeHead(429, { "retry-after": "0" }).end("slow down");
        else res.end(`ok after ${n}`);
        return;
      }
      case "/wait-long":
        count(key);
        res.writeHead(429, { "retry-after": "3600" }).end("come back in an hour");
        return;
      case "/hang":
        req.socket.on("close", () => closedEarly++);
        return; // never answers
      default:
        res.writeHead(404).end("nope");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  other = http.createServer((_req, res) => res.end("other reached"));
  await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
  otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => other.close(resolve));
});

const allowed = () => new HttpClient({ allowList: [new URL(base).host] });

describe("HttpClient", () => {
  it("refuses loopback for a user URL unless the host is allow-listed", async () => {
    await expect(new HttpClient().request({ url: `${base}/gzip` })).rejects.toThrow(BlockedRequestError);
    const res = await allowed().request({ url: `${base}/gzip` });
    expect(res.status).toBe(200);
  });

  it("resolves a provider's paths against the operator's base URL, which is trusted", async () => {
    const client = new HttpClient({ providerBaseUrls: { example: `${base}/api` } });
    const provider = client.forProvider("Example", "https://api.example.com");
    expect(provider.baseUrl).toBe(`${base}/api`);
    const res = await provider.request({ url: "/v1/echo", json: { a: 1 }, headers: { Authorization: "Bearer k" } });
    expect(res.json()).toEqual({ method: "POST", path: "/api/v1/echo", body: '{"a":1}', auth: "Bearer k" });
    // The block's default applies when the operator set none.
    expect(client.forProvider("unset", "https://api.example.com/").baseUrl).toBe("https://api.example.com/");
  });

  it("checks every redirect hop: a trusted endpoint cannot redirect to an untrusted private host", async () => {
    const client = new HttpClient({ providerBaseUrls: { example: base } });
    await expect(client.forProvider("example", "https://x").request({ url: "/to-other" })).rejects.toThrow(
      /is blocked/,
    );
    const allowedBoth = new HttpClient({ allowList: [new URL(base).host, new URL(otherBase).host] });
    expect((await allowedBoth.request({ url: `${base}/to-other` })).text()).toBe("other reached");
  });

  it("follows 303 as a GET without the body, and stops after too many redirects", async () => {
    const res = await allowed().request({ url: `${base}/to-echo`, method: "POST", body: "x=1" });
    expect(res.json()).toMatchObject({ method: "GET", body: "" });
    expect(res.url).toBe(`${base}/api/v1/echo`);
    await expect(allowed().request({ url: `${base}/loop`, maxRedirects: 3 })).rejects.toThrow(/Too many redirects/);
    const manual = await allowed().request({ url: `${base}/loop`, maxRedirects: 0 });
    expect(manual.status).toBe(302);
  });

  it("decompresses gzip and brotli", async () => {
    expect((await allowed().request({ url: `${base}/gzip` })).text()).toBe("hello gzip");
    expect((await allowed().request({ url: `${base}/br` })).text()).toBe("hello brotli");
  });

  it("enforces the response size and time limits", async () => {
    await expect(allowed().request({ url: `${base}/big`, maxResponseBytes: 1000 })).rejects.toThrow(HttpRequestError);
    expect((await allowed().request({ url: `${base}/big`, maxResponseBytes: 20_000 })).body.length).toBe(10_000);
    await expect(allowed().request({ url: `${base}/hang`, timeoutMs: 200 })).rejects.toThrow(/timed out/);
  });

  it("retries 429 and 5xx with backoff only when asked, honouring Retry-After", async () => {
    const once = await allowed().request({ url: `${base}/flaky?key=a` });
    expect(once.status).toBe(503);
    const retried = await allowed().request({ url: `${base}/flaky?key=b`, retry: { attempts: 3, baseDelayMs: 10 } });
    expect(retried.status).toBe(200);
    expect(retried.text()).toBe("ok after 3");
    // A Retry-After beyond the longest wait allowed ends the retries with the answer as it is.
    const patient = await allowed().request({
      url: `${base}/wait-long?key=c`,
      retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 1000 },
    });
    expect(patient.status).toBe(429);
    expect(hits.get("c")).toBe(1);
    expect(retryAfterMs("120")).toBe(120_000);
    expect(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 1)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(60_000);
  });

  it("aborts an in-flight request when its signal aborts, closing the connection", async () => {
    const controller = new AbortController();
    const before = closedEarly;
    const pending = allowed()
      .withSignal(controller.signal)
      .request({ url: `${base}/hang` });
    setTimeout(() => controller.abort(new Error("stopped by the run")), 100);
    await expect(pending).rejects.toThrow("stopped by the run");
    const deadline = Date.now() + 5000;
    while (closedEarly === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(closedEarly).toBe(before + 1);
  });
});

describe("provider base URL settings", () => {
  it("reads PROVIDER_BASE_URLS and PROVIDER_BASE_URL_<NAME>, the latter winning", () => {
    const config = loadConfig({
      PROVIDER_BASE_URLS: JSON.stringify({ openai: "http://127.0.0.1:1/v1", github: "https://gh.example" }),
      PROVIDER_BASE_URL_OPENAI: "http://127.0.0.1:2/v1",
    });
    expect(config.outgoingHttp.providerBaseUrls).toEqual({
      openai: "http://127.0.0.1:2/v1",
      github: "https://gh.example",
    });
    expect(() => loadConfig({ PROVIDER_BASE_URL_X: "ftp://nope" })).toThrow(/PROVIDER_BASE_URL_X/);
    expect(() => loadConfig({ PROVIDER_BASE_URLS: "[1]" })).toThrow(/JSON object/);
  });
});
