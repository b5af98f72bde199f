// What the Google blocks share: AutoGPT's `google` OAuth2 credentials pin with its scopes, and one authorized client
// for Google's REST APIs that checks each answer and reports Google's own error message (never the token).
import type { TSchema } from "@sinclair/typebox";
import type { Http, HttpResponse } from "../../infra/http/client.js";
import { CredentialsField, type OAuth2Credentials, requireCredentials } from "../credentials.js";
import type { BlockContext } from "../sdk.js";

/**
 * Both Gmail and Calendar sit under the `google` provider key, as AutoGPT names it. Their real hosts differ, so each
 * API passes its own default; the paths carry the API's prefix (`/gmail/v1/...`, `/calendar/v3/...`), which both
 * www.googleapis.com and the API's own host serve, so an operator's PROVIDER_BASE_URL_GOOGLE can stand in for both.
 */
export const GOOGLE_PROVIDER = "google";
export const GMAIL_BASE_URL = "https://gmail.googleapis.com";
export const CALENDAR_BASE_URL = "https://www.googleapis.com";

/** AutoGPT's GoogleCredentialsField(scopes): a `google` OAuth2 credential that grants `scopes`. */
export function GoogleCredentialsField(scopes: string[]): TSchema {
  return CredentialsField({
    providers: [GOOGLE_PROVIDER],
    types: ["oauth2"],
    scopes,
    description: "The Google integration requires OAuth2 authentication.",
  });
}

/** The meta a block example names its credential by (AutoGPT's TEST_CREDENTIALS_INPUT). */
export const TEST_GOOGLE_CREDENTIALS_INPUT = {
  provider: "google",
  id: "01234567-89ab-cdef-0123-456789abcdef",
  type: "oauth2",
  title: "Mock Google OAuth2 Credentials",
};

export const GMAIL_METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata";

/** The node's Google OAuth2 credential, or an error naming what is missing. */
export function googleCredentials(ctx: BlockContext): OAuth2Credentials {
  return requireCredentials(ctx, "Google", ["oauth2"]);
}

export interface GoogleRequest {
  method?: "GET" | "POST";
  /** Repeated keys (Gmail's metadataHeaders) as arrays; undefined values are left out. */
  query?: Record<string, string | number | boolean | string[] | undefined>;
  json?: unknown;
}

/** An authorized client for one Google API: `request` returns the parsed JSON of a 2xx answer or throws. */
export interface GoogleApi {
  request<T = Record<string, unknown>>(path: string, options?: GoogleRequest): Promise<T>;
}

/** Google's error body (`{"error": {"code", "message", "status"}}`) as one line, without anything secret. */
function errorMessage(res: HttpResponse, token: string): string {
  let detail = "";
  try {
    const body = res.json<{ error?: { message?: string; status?: string } | string; error_description?: string }>();
    if (typeof body.error === "object") detail = body.error.message ?? body.error.status ?? "";
    else if (typeof body.error === "string") detail = body.error_description ?? body.error;
  } catch {
    detail = res.text().slice(0, 200);
  }
  return detail.replaceAll(token, "<redacted>").trim();
}

/** A client for the Google API `name` (shown in errors) at `defaultBaseUrl`, authorized with the node's credential. */
export function googleApi(ctx: BlockContext, name: string, defaultBaseUrl: string): GoogleApi {
  const credentials = googleCredentials(ctx);
  const http: Http = ctx.http.forProvider(GOOGLE_PROVIDER, defaultBaseUrl);
  const token = credentials.access_token;
  return {
    async request<T>(path: string, options: GoogleRequest = {}): Promise<T> {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(options.query ?? {})) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
      }
      const search = params.size > 0 ? `?${params}` : "";
      let res: HttpResponse;
      try {
        res = await http.request({
          url: `${path}${search}`,
          method: options.method ?? (options.json === undefined ? "GET" : "POST"),
          headers: { authorization: `Bearer ${token}`, accept: "application/json" },
          json: options.json,
          retry: { attempts: 3, baseDelayMs: 500, maxDelayMs: 10_000 },
        });
      } catch (error) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        throw new Error(`${name} could not be reached: ${(error as Error).message}`);
      }
      if (!res.ok) {
        const detail = errorMessage(res, token);
        const hint = res.status === 401 ? " (the Google credentials are invalid or expired)" : "";
        throw new Error(`${name} answered ${res.status}${hint}${detail ? `: ${detail}` : ""}`);
      }
      if (res.body.length === 0) return {} as T;
      return res.json<T>();
    },
  };
}
