// Credential inputs of runs, presets and schedules at rest: sealed with ENCRYPTION_KEY, readable only as metadata.
//
// Stored shape (the existing jsonb columns): `{}` when there are none, else a SealedBox of the JSON of all the
// credential inputs plus `meta`, the AutoGPT CredentialsMetaInput view of each ({id, title, provider, type}) kept
// in clear so runs can be listed and sent in events without decrypting anything. Only `openCredentials` decrypts,
// for the engine that hands them to blocks.
import { isSealedBox, open, type SealedBox, seal } from "../auth/secret-box.js";

/** AutoGPT's CredentialsMetaInput: which stored credential a run uses, never the secret itself. */
export interface CredentialsMeta {
  id: string;
  title: string | null;
  provider: string;
  type: string;
}

export type SealedCredentials = SealedBox & { meta: Record<string, CredentialsMeta> };

/** The metadata view of plaintext credential inputs: entries that are not credential references are left out. */
function metaOf(inputs: Record<string, unknown>): Record<string, CredentialsMeta> {
  const out: Record<string, CredentialsMeta> = {};
  for (const [name, value] of Object.entries(inputs)) {
    const v = value as Record<string, unknown> | null;
    if (!v || typeof v !== "object" || typeof v.id !== "string") continue;
    if (typeof v.provider !== "string" || typeof v.type !== "string") continue;
    out[name] = { id: v.id, title: typeof v.title === "string" ? v.title : null, provider: v.provider, type: v.type };
  }
  return out;
}

/** What to store for these credential inputs: `{}` for none, else the sealed inputs and their metadata. */
export function sealCredentials(
  key: Buffer,
  inputs: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  if (!inputs || Object.keys(inputs).length === 0) return {};
  const sealed: SealedCredentials = { ...seal(key, JSON.stringify(inputs)), meta: metaOf(inputs) };
  return sealed as unknown as Record<string, unknown>;
}

/**
 * The credential inputs as they were given, for the engine. Rows written before encryption hold plaintext and are
 * returned as they are. Throws SecretBoxError when the box was tampered with or sealed with another key.
 */
export function openCredentials(keys: Buffer | readonly Buffer[], stored: unknown): Record<string, unknown> {
  if (!stored || typeof stored !== "object") return {};
  if (!isSealedBox(stored)) return stored as Record<string, unknown>;
  return JSON.parse(open(keys, stored)) as Record<string, unknown>;
}

/** The stored credential inputs as API responses and events show them (AutoGPT's meta view), or null for none. */
export function credentialsMeta(stored: unknown): Record<string, CredentialsMeta> | null {
  if (!stored || typeof stored !== "object") return null;
  const meta = isSealedBox(stored)
    ? { ...((stored as Partial<SealedCredentials>).meta ?? {}) }
    : metaOf(stored as Record<string, unknown>);
  return Object.keys(meta).length > 0 ? metaOf(meta) : null;
}
