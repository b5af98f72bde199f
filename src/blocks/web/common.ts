// What the web provider blocks share: a provider's error as a clear message,
// waits that honour cancellation, and AutoGPT's cost entries for operator ("system") credentials.
import type { Http, HttpResponse } from "../../infra/http/client.js";
import type { BlockContext } from "../sdk.js";

/**
 * `ctx.http.forProvider(provider, defaultBaseUrl)` (so PROVIDER_BASE_URL_<NAME> applies), counting each request the
 * provider answered into the node's stats (`request_count`).
 */
export function providerClient(
  ctx: BlockContext,
  provider: string,
  defaultBaseUrl: string,
): Http & { baseUrl: string } {
  const inner = ctx.http.forProvider(provider, defaultBaseUrl);
  return {
    baseUrl: inner.baseUrl,
    async request(request) {
      const response = await inner.request(request);
      ctx.reportUsage({ requests: 1 });
      return response;
    },
    forProvider: (other, otherDefault) => inner.forProvider(other, otherDefault),
  };
}

/** The provider's own words for a failed answer: a JSON error field when there is one, else the body's start. */
export function providerDetail(response: HttpResponse): string {
  const text = response.text().trim();
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    for (const key of ["error", "message", "status_message", "detail"]) {
      const value = body[key];
      if (typeof value === "string" && value) return value;
      if (value && typeof value === "object" && typeof (value as { message?: unknown }).message === "string") {
        return (value as { message: string }).message;
      }
    }
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 300) || "no details given";
}

/** Throws `<what> failed: <provider> answered <status>: <detail>` unless the answer is a 2xx. */
export function checkAnswer(response: HttpResponse, provider: string, what: string): void {
  if (response.ok) return;
  throw new Error(`${what} failed: ${provider} answered HTTP ${response.status}: ${providerDetail(response)}`);
}

/**
 * An absolute URL under a provider client's base: `path` is appended as it is (already encoded), so a path that
 * looks like a URL (`https://...`, Jina Reader's) cannot replace the provider's host.
 */
export function under(baseUrl: string, path: string): URL {
  return new URL(`${baseUrl.replace(/\/+$/, "")}/${path}`);
}

/** Python's urllib.parse.quote (safe "/"): encodeURIComponent, which also leaves !'()* alone, made to match. */
export function pyQuote(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll("%2F", "/");
}

/**
 * AutoGPT's system credential ids (backend/integrations/credentials_store.py): its costs apply only when a run uses
 * the platform's own key for the provider.
 */
export const SYSTEM_CREDENTIAL_IDS = {
  jina: "7f26de70-ba0d-494e-ba76-238e65e7b45f",
  e2b: "78d19fd7-4d59-4a16-8277-3ce310acf2b7",
  google_maps: "9aa1bde0-4947-4a70-a20c-84daa3850d52",
  webshare_proxy: "a5b3c7d9-2e4f-4a6b-8c1d-9e0f1a2b3c4d",
} as const;

/** A cost filter on the system credential of `provider`, as block_cost_config.py writes it. */
export function systemCredentialsFilter(provider: keyof typeof SYSTEM_CREDENTIAL_IDS, type = "api_key") {
  return { credentials: { id: SYSTEM_CREDENTIAL_IDS[provider], provider, type } };
}
