// What the media and publishing blocks share: the credentials they need (named when missing), a wait that honours
// cancellation, and provider error messages that never carry a secret.
import type { HttpResponse } from "../../infra/http/client.js";
import { requireCredentials } from "../credentials.js";
import type { BlockContext } from "../sdk.js";

/** The API key of an `api_key` credential (requireCredentials has checked the kind). */
export function apiKeyOf(ctx: BlockContext, provider: string): string {
  return requireCredentials(ctx, provider, ["api_key"]).api_key;
}

/** The body of an answer, shortened for a message. */
export function bodyText(res: HttpResponse, max = 300): string {
  const text = res.text().trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The JSON body of an answer, or undefined when it is not JSON. */
export function jsonOf<T = Record<string, unknown>>(res: HttpResponse): T | undefined {
  try {
    return res.json<T>();
  } catch {
    return undefined;
  }
}

/** AutoGPT's TEST_CREDENTIALS_INPUT for a block example: the meta a node input holds (testCredentials has the same id). */
export const exampleCredentialsInput = (provider: string, type = "api_key") => ({
  id: "01234567-89ab-cdef-0123-456789abcdef",
  provider,
  type,
  title: `Mock ${provider} credentials`,
});
