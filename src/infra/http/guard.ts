// The SSRF guard for outgoing requests: which addresses no user-supplied URL may reach, checked before connecting
// and again on the address the socket actually connects to.
import dns from "node:dns";
import net from "node:net";
import os from "node:os";

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
export async function checkUrl(url: URL, allowList: readonly string[]): Promise<{ allowListed: boolean }> {
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
export const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
    if (error) return callback(error, "", 0);
    const bad = addresses.find((a) => isBlockedAddress(a.address));
    if (bad) return callback(refusal(hostname, bad.address), "", 0);
    if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};
