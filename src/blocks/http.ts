// SendWebRequestBlock: outgoing HTTP with an SSRF guard that checks every address actually connected to, on every redirect hop.
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import type { Readable } from "node:stream";
import zlib from "node:zlib";
import { Type } from "@sinclair/typebox";
import { AnyValue, Dict, inputs, Nullable, outputs, StringEnum } from "./fields.js";
import { isRecord } from "./python.js";
import { type Block, defineBlock } from "./sdk.js";

const MAX_REDIRECTS = 10;
const MAX_RESPONSE_BYTES = 50 * 1024 * 1024;

/** A request the guard refused; reported on the `error` pin rather than thrown. */
export class BlockedRequestError extends Error {
  override name = "BlockedRequestError";
}

// Addresses no user-supplied URL may reach: every entry of the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (this host, private networks, link-local incl. cloud metadata, CGNAT, documentation, benchmarking,
// reserved, protocol assignments) and multicast. Prefixes that embed an IPv4 address (IPv4-mapped, SIIT, NAT64,
// 6to4) are judged by that address, so a public IPv4 behind them stays reachable and a private one does not.
const blocked = new net.BlockList();
for (const [address, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // shared address space (CGNAT)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local (cloud metadata)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation TEST-NET-1
  ["192.31.196.0", 24], // AS112-v4
  ["192.52.193.0", 24], // AMT
  ["192.88.99.0", 24], // deprecated 6to4 relay anycast
  ["192.168.0.0", 16], // private
  ["192.175.48.0", 24], // direct delegation AS112
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation TEST-NET-2
  ["203.0.113.0", 24], // documentation TEST-NET-3
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and 255.255.255.255 limited broadcast
] as const) {
  blocked.addSubnet(address, prefix, "ipv4");
}
for (const [address, prefix] of [
  ["::", 96], // unspecified, loopback, deprecated IPv4-compatible
  ["64:ff9b:1::", 48], // local-use IPv4/IPv6 translation
  ["100::", 64], // discard-only
  ["100:0:0:1::", 64], // dummy prefix
  ["2001::", 23], // IETF protocol assignments (Teredo, ORCHID, benchmarking…)
  ["2001:db8::", 32], // documentation
  ["2620:4f:8000::", 48], // direct delegation AS112
  ["3fff::", 20], // documentation
  ["5f00::", 16], // SRv6 SIDs
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // deprecated site-local
  ["ff00::", 8], // multicast
] as const) {
  blocked.addSubnet(address, prefix, "ipv6");
}

/** The eight 16-bit groups of an IPv6 address (with any dotted IPv4 tail folded in). */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.toLowerCase().split("%")[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split(".").map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const fill = text.includes("::") ? 8 - left.length - right.length : 0;
  const groups = [...left, ...Array(fill).fill("0"), ...right].map((g) => Number.parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

const dottedQuad = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join(".");

/** The IPv4 address inside an IPv4-mapped, SIIT-translated, NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
function embeddedIPv4(ip: string): string | undefined {
  const g = ipv6Groups(ip);
  if (!g) return undefined;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return dottedQuad(g[6], g[7]); // ::ffff:a.b.c.d
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return dottedQuad(g[6], g[7]); // ::ffff:0:a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return dottedQuad(g[6], g[7]);
  if (g[0] === 0x2002) return dottedQuad(g[1], g[2]);
  return undefined;
}

/** An address in one spelling per address (IPv6 as its eight groups), for comparing with this host's own. */
function canonical(ip: string): string {
  const address = ip.replace(/^\[|\]$/g, "").split("%")[0];
  if (net.isIPv4(address)) return address;
  const groups = ipv6Groups(address);
  return groups ? groups.map((g) => g.toString(16)).join(":") : address.toLowerCase();
}

/** The addresses of this host's network interfaces, public ones included: a request to them reaches this host. */
export function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) out.add(canonical(entry.address));
  }
  return out;
}

/**
 * True for an address outgoing requests must not reach (unparseable counts as blocked): a special-purpose or
 * multicast address, or one of this host's own (`local`, by default its interfaces' addresses).
 */
export function isBlockedAddress(ip: string, local: Iterable<string> = localAddresses()): boolean {
  const address = ip.replace(/^\[|\]$/g, "").split("%")[0];
  const family = net.isIP(address);
  if (family === 0) return true;
  const self = canonical(address);
  for (const own of local) if (canonical(own) === self) return true;
  if (family === 6) {
    const v4 = embeddedIPv4(address);
    if (v4) return isBlockedAddress(v4, local);
  }
  return blocked.check(address, family === 4 ? "ipv4" : "ipv6");
}

const bareHost = (url: URL) => url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
const effectivePort = (url: URL) => url.port || (url.protocol === "https:" ? "443" : "80");

/** Whether the URL's host (or host:port) is on the operator's allow-list: `name`, `name:port`, `[v6]:port`. */
export function isAllowListed(url: URL, allowList: readonly string[]): boolean {
  const host = bareHost(url);
  const port = effectivePort(url);
  return allowList.some((raw) => {
    const entry = raw.trim().toLowerCase();
    let h = entry;
    let p: string | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) [, h, p] = bracketed;
    else if (!net.isIPv6(entry) && entry.includes(":")) {
      const at = entry.lastIndexOf(":");
      h = entry.slice(0, at);
      p = entry.slice(at + 1);
    }
    return h === host && (p === undefined || p === port);
  });
}

const refusal = (host: string, address: string) =>
  new BlockedRequestError(
    `Access to ${host} (${address}) is blocked: private, loopback, link-local, special-purpose and this host's ` +
      "own addresses are not reachable. " +
      "An operator can allow the host in the HTTP allow-list.",
  );

/**
 * Refuses a URL before connecting when its scheme is wrong or its host is, or resolves to, a blocked address.
 * The connection itself is guarded again by `guardedLookup`, so a DNS answer that changes in between cannot slip through.
 */
async function checkUrl(url: URL, allowList: readonly string[]): Promise<{ allowListed: boolean }> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new BlockedRequestError(`Only http and https URLs are allowed, not ${url.protocol}`);
  }
  if (isAllowListed(url, allowList)) return { allowListed: true };
  const host = bareHost(url);
  if (net.isIP(host)) {
    if (isBlockedAddress(host)) throw refusal(host, host);
    return { allowListed: false };
  }
  const addresses = await dns.promises.lookup(host, { all: true, verbatim: true });
  const bad = addresses.find((a) => isBlockedAddress(a.address));
  if (bad) throw refusal(host, bad.address);
  return { allowListed: false };
}

/** A DNS lookup for the socket that refuses blocked answers, so the checked address is the connected one. */
const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
    if (error) return callback(error, "", 0);
    const bad = addresses.find((a) => isBlockedAddress(a.address));
    if (bad) return callback(refusal(hostname, bad.address), "", 0);
    if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  allowListed: boolean,
  signal: AbortSignal,
): Promise<RawResponse> {
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method,
        headers: body ? { ...headers, "content-length": String(body.length) } : headers,
        // No shared agent: a pooled socket opened for an allow-listed request must not serve another run.
        agent: false,
        lookup: allowListed ? undefined : guardedLookup,
        signal,
      },
      (response) => {
        let stream: Readable = response;
        const encoding = String(response.headers["content-encoding"] ?? "").toLowerCase();
        if (encoding === "gzip" || encoding === "x-gzip") stream = response.pipe(zlib.createGunzip());
        else if (encoding === "deflate") stream = response.pipe(zlib.createInflate());
        else if (encoding === "br") stream = response.pipe(zlib.createBrotliDecompress());
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            request.destroy(new Error(`Response body exceeds ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        stream.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        stream.on("error", reject);
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** A `data:` URI as a file part; there is no workspace file store to resolve other references against. */
function dataUriFile(reference: string, index: number): Blob & { name: string } {
  const match = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(reference);
  if (!match) throw new Error("Only data: URI files can be uploaded");
  const bytes = match[2] ? Buffer.from(match[3], "base64") : Buffer.from(decodeURIComponent(match[3]));
  const type = match[1] || "application/octet-stream";
  const extension = type.split("/")[1]?.replace(/[^a-z0-9]/gi, "") || "bin";
  return Object.assign(new Blob([bytes], { type }), { name: `file_${index}.${extension}` });
}

const formValue = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** Encodes the body as AutoGPT does: JSON when json_format, form fields otherwise, multipart when there are files. */
async function encodeBody(
  body: unknown,
  jsonFormat: boolean,
  filesName: string,
  files: string[],
): Promise<{ bytes?: Buffer; contentType?: string }> {
  if (files.length > 0) {
    if (jsonFormat) {
      throw new Error(
        "json_format=True cannot be combined with file uploads; set json_format=False and put form fields in `body`.",
      );
    }
    const form = new FormData();
    if (isRecord(body)) for (const [k, v] of Object.entries(body)) form.append(k, formValue(v));
    files.forEach((file, i) => {
      const part = dataUriFile(file, i);
      form.append(filesName, part, part.name);
    });
    const encoded = new Response(form);
    return {
      bytes: Buffer.from(await encoded.arrayBuffer()),
      contentType: encoded.headers.get("content-type") ?? undefined,
    };
  }
  if (body === null || body === undefined) return {};
  if (jsonFormat) return { bytes: Buffer.from(JSON.stringify(body)), contentType: "application/json" };
  if (isRecord(body)) {
    const form = new URLSearchParams(Object.entries(body).map(([k, v]) => [k, formValue(v)]));
    return { bytes: Buffer.from(form.toString()), contentType: "application/x-www-form-urlencoded" };
  }
  return { bytes: Buffer.from(formValue(body)), contentType: "text/plain; charset=utf-8" };
}

function parseResponse(response: RawResponse): unknown {
  const contentType = String(response.headers["content-type"] ?? "");
  if (contentType.startsWith("application/json")) {
    return response.status === 204 || response.body.length === 0 ? null : JSON.parse(response.body.toString("utf8"));
  }
  return response.body.toString("utf8");
}

export const sendWebRequest = defineBlock({
  id: "6595ae1f-b924-42cb-9a41-551a0611c4b4",
  name: "SendWebRequestBlock",
  description: "Make an HTTP request (JSON / form / multipart).",
  categories: ["OUTPUT"],
  input: inputs({
    url: Type.String({ description: "The URL to send the request to", placeholder: "https://api.example.com" }),
    method: StringEnum(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"], {
      title: "HttpMethod",
      description: "The HTTP method to use for the request",
      default: "POST",
    }),
    headers: Dict(Type.String(), { description: "The headers to include in the request", default: {} }),
    json_format: Type.Boolean({
      title: "JSON format",
      description: "If true, send the body as JSON (unless files are also present).",
      default: true,
    }),
    body: Nullable(Dict(), {
      description: "Form/JSON body payload. If files are supplied, this must be a mapping of form‑fields.",
      default: null,
    }),
    files_name: Type.String({ description: "The name of the file field in the form data.", default: "file" }),
    files: Type.Array(Type.String({ format: "file" }), {
      description: "Mapping of *form field name* → Image url / path / base64 url.",
      default: [],
    }),
  }),
  output: outputs({
    error: Type.String({ description: "Errors for all other exceptions" }),
    response: AnyValue({ description: "The response from the server" }),
    client_error: AnyValue({ description: "Errors on 4xx status codes" }),
    server_error: AnyValue({ description: "Errors on 5xx status codes" }),
  }),
  async *run({ url, method, headers, json_format, body, files_name, files }, ctx) {
    let payload: unknown = body;
    let jsonFormat = json_format;
    // A JSON text body is sent as the structure it encodes; any other text goes as a plain form value.
    if (typeof payload === "string") {
      try {
        payload = JSON.parse(payload);
      } catch {
        jsonFormat = false;
      }
    }
    const encoded = await encodeBody(payload, jsonFormat, files_name, files);
    let requestHeaders: Record<string, string> = { ...headers };
    const hasHeader = (name: string) => Object.keys(requestHeaders).some((k) => k.toLowerCase() === name);
    if (encoded.contentType && !hasHeader("content-type")) requestHeaders["content-type"] = encoded.contentType;

    let target: URL;
    try {
      target = new URL(url);
    } catch {
      yield ["error", `Invalid URL: ${url}`];
      return;
    }
    let verb: string = method;
    let bytes = encoded.bytes;
    let response: RawResponse;
    try {
      for (let hop = 0; ; hop++) {
        const { allowListed } = await checkUrl(target, ctx.httpAllowList);
        response = await send(target, verb, requestHeaders, bytes, allowListed, ctx.signal);
        const location = response.headers.location;
        if (![301, 302, 303, 307, 308].includes(response.status) || !location) break;
        if (hop >= MAX_REDIRECTS) throw new Error(`Too many redirects (more than ${MAX_REDIRECTS})`);
        const next = new URL(location, target);
        // As browsers do: 303 (and 301/302 after POST) continue as a GET without the body.
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && verb === "POST")) {
          if (verb !== "HEAD") verb = "GET";
          bytes = undefined;
          requestHeaders = Object.fromEntries(
            Object.entries(requestHeaders).filter(
              ([k]) => !["content-type", "content-length"].includes(k.toLowerCase()),
            ),
          );
        }
        // Credentials meant for one origin are not forwarded to another.
        if (next.origin !== target.origin) {
          requestHeaders = Object.fromEntries(
            Object.entries(requestHeaders).filter(([k]) => !["authorization", "cookie"].includes(k.toLowerCase())),
          );
        }
        target = next;
      }
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const cause = (error as { cause?: unknown }).cause;
      const refused =
        error instanceof BlockedRequestError ? error : cause instanceof BlockedRequestError ? cause : undefined;
      yield ["error", refused ? refused.message : `Request to ${target.href} failed: ${(error as Error).message}`];
      return;
    }
    const result = parseResponse(response);
    if (response.status >= 200 && response.status < 300) yield ["response", result];
    else if (response.status >= 400 && response.status < 500) yield ["client_error", result];
    else yield ["server_error", result];
  },
  test: [
    {
      input: { url: "http://127.0.0.1:9/", method: "GET" },
      output: [["error", (v: unknown) => typeof v === "string" && v.includes("is blocked")]],
    },
    {
      input: { url: "file:///etc/passwd", method: "GET" },
      output: [["error", (v: unknown) => typeof v === "string" && v.includes("Only http and https")]],
    },
  ],
});

export const httpBlocks: Block[] = [sendWebRequest];
