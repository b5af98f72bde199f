// Stand-ins for a provider block's own `test` examples (AutoGPT's test_mock): an Http that answers from a script
// without touching the network, and credentials to hand the block. Suites that check real requests use a loopback
// server instead (test/helpers/provider-server.ts).
import type { Http, HttpRequest, HttpResponse } from "../infra/http/client.js";
import { type Credentials, toCredentials } from "./credentials.js";

export interface ScriptedAnswer {
  status?: number;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

/** What the script sees: the request with its URL resolved (relative ones against the provider's default base). */
export type Script = (request: HttpRequest & { url: URL }) => ScriptedAnswer;

function answer(url: URL, a: ScriptedAnswer): HttpResponse {
  const status = a.status ?? 200;
  const text = a.json !== undefined ? JSON.stringify(a.json) : (a.body ?? "");
  const body = Buffer.from(text, "utf8");
  const headers = { "content-type": a.json !== undefined ? "application/json" : "text/plain", ...a.headers };
  return {
    status,
    ok: status >= 200 && status < 300,
    headers,
    url: url.href,
    body,
    text: () => text,
    json: <T>() => JSON.parse(text) as T,
  };
}

/** An Http whose every request is answered by `script`; `forProvider` resolves against the default base URL. */
export function scriptedHttp(script: Script, base?: string): Http {
  return {
    async request(request) {
      const url = new URL(request.url, base);
      return answer(url, script({ ...request, url }));
    },
    forProvider(_provider, defaultBaseUrl) {
      return Object.assign(scriptedHttp(script, defaultBaseUrl), { baseUrl: defaultBaseUrl });
    },
  };
}

/** Credentials for a block example: `{provider, type}` plus the secret fields (`api_key`, `access_token`...). */
export function testCredentials(fields: Record<string, unknown> & { provider: string; type: string }): Credentials {
  const credentials = toCredentials({ id: "01234567-89ab-cdef-0123-456789abcdef", title: "Test", ...fields });
  if (!credentials) throw new Error(`incomplete test credentials for ${fields.provider}`);
  return credentials;
}
