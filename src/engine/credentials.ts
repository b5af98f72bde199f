// Credential inputs of runs, presets and schedules at rest: sealed with ENCRYPTION_KEY, readable only as metadata.
//
// Stored shape (the existing jsonb columns): `{}` when there are none, else a SealedBox of the JSON of all the
// credential inputs plus `meta`, the AutoGPT CredentialsMetaInput view of each ({id, title, provider, type}) kept
// in clear so runs can be listed and sent in events without decrypting anything. Only `openCredentials` decrypts,
// for the engine that hands them to blocks through the CredentialsResolver port below.
import { isSealedBox, open, type SealedBox, seal } from "../auth/secret-box.js";
import {
  type Credentials,
  type CredentialsMeta,
  credentialsInputKey,
  metaOf as metaOfValue,
  toCredentials,
} from "../blocks/credentials.js";
import { credentialsField } from "../core/credentials-field.js";

export type { CredentialsMeta } from "../blocks/credentials.js";

export type SealedCredentials = SealedBox & { meta: Record<string, CredentialsMeta> };

/** The metadata view of plaintext credential inputs: entries that are not credential references are left out. */
function metaOf(inputs: Record<string, unknown>): Record<string, CredentialsMeta> {
  const out: Record<string, CredentialsMeta> = {};
  for (const [name, value] of Object.entries(inputs)) {
    const meta = metaOfValue(value);
    if (meta) out[name] = meta;
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

/** What a credentials source is asked: whose run, and the run's own credential inputs (decrypted). */
export interface CredentialsScope {
  userId: string;
  graphExecId: string;
  runInputs(): Record<string, unknown>;
}

/**
 * One place credentials come from: the run's own sealed `credentials_inputs`, the user's credentials store; next,
 * the operator's (environment) credentials, each one more source behind the same resolver.
 */
export interface CredentialsSource {
  /** The full credentials `meta` names, or undefined when this source does not hold them. */
  find(meta: CredentialsMeta, scope: CredentialsScope): Promise<Credentials | undefined>;
  /** A credential this source offers for a pin the graph and the run left empty (the operator's), if any. */
  suggest?(providers: readonly string[], types: readonly string[]): CredentialsMeta | undefined;
}

/** Credential inputs given with the run that carry their secret (`{id, provider, type, api_key...}`). */
export const runInputsSource: CredentialsSource = {
  async find(meta, scope) {
    for (const value of Object.values(scope.runInputs())) {
      const candidate = metaOfValue(value);
      if (candidate && candidate.id === meta.id && candidate.provider === meta.provider) return toCredentials(value);
    }
    return undefined;
  },
};

/** The user's credentials store, as the engine reads it: the decrypted credential of that user, id and provider. */
export interface StoredCredentials {
  secretFor(userId: string, credentialId: string, provider: string): Promise<Credentials | undefined>;
}

/** Credentials the run's user stored (`POST /api/integrations/{provider}/credentials`), selected by id. */
export function storedSource(store: StoredCredentials): CredentialsSource {
  return {
    async find(meta, scope) {
      const found = await store.secretFor(scope.userId, meta.id, meta.provider);
      return found && found.type === meta.type ? found : undefined;
    },
  };
}

/**
 * AutoGPT's system credentials (backend/integrations/credentials_store.py): a fixed id and title per provider, so
 * graphs built against AutoGPT select the same operator key here.
 */
export const SYSTEM_CREDENTIALS: readonly { id: string; provider: string; title: string }[] = [
  { id: "53c25cb8-e3ee-465c-a4d1-e75a4c899c2a", provider: "openai", title: "Use Credits for OpenAI" },
  { id: "24e5d942-d9e3-4798-8151-90143ee55629", provider: "anthropic", title: "Use Credits for Anthropic" },
  { id: "b5a0e27d-0c98-4df3-a4b9-10193e1f3c40", provider: "open_router", title: "Use Credits for Open Router" },
  { id: "4ec22295-8f97-4dd1-b42b-2c6957a02545", provider: "groq", title: "Use Credits for Groq" },
  { id: "744fdc56-071a-4761-b5a5-0af0ce10a2b5", provider: "ollama", title: "Use Credits for Ollama" },
];

/** Whether `id` is one of the system credentials' ids (whether or not the operator configured it). */
export function isSystemCredentialId(id: string): boolean {
  return SYSTEM_CREDENTIALS.some((c) => c.id === id);
}

/** The operator's keys by provider: `apiKey` absent for providers that need none (Ollama). */
export type SystemKeys = Record<string, { apiKey?: string; baseUrl?: string }>;

/** The system credentials the operator configured, as meta (never their key). */
export function systemCredentialsMeta(keys: SystemKeys): CredentialsMeta[] {
  return SYSTEM_CREDENTIALS.filter((c) => keys[c.provider]).map((c) => ({
    id: c.id,
    provider: c.provider,
    type: "api_key",
    title: c.title,
  }));
}

/**
 * The operator's (environment) credentials: a node selecting a system credential's id, or a pin left empty whose
 * provider has one, gets the operator's key. Ollama needs no key; AutoGPT hands it a placeholder, and so does this.
 */
export function systemSource(keys: SystemKeys): CredentialsSource {
  return {
    async find(meta) {
      const known = SYSTEM_CREDENTIALS.find((c) => c.id === meta.id && c.provider === meta.provider);
      const configured = known && keys[known.provider];
      if (!known || !configured || meta.type !== "api_key") return undefined;
      return toCredentials({
        id: known.id,
        provider: known.provider,
        type: "api_key",
        title: known.title,
        api_key: configured.apiKey ?? "FAKE_API_KEY",
        expires_at: null,
      });
    },
    suggest(providers, types) {
      if (!types.includes("api_key")) return undefined;
      return systemCredentialsMeta(keys).find((m) => providers.includes(m.provider));
    },
  };
}

/** The engine's port for credentials: asks each source in turn, first answer wins. */
export class CredentialsResolver {
  constructor(
    private readonly keys: Buffer | readonly Buffer[],
    private readonly sources: readonly CredentialsSource[] = [runInputsSource],
  ) {}

  /** The credentials of one run; its stored inputs are decrypted once, on first use. */
  forRun(run: { userId: string; graphExecId: string; stored: unknown }): RunCredentials {
    return new RunCredentials(run, this.keys, this.sources);
  }
}

export class RunCredentials {
  private opened?: Record<string, unknown>;
  private readonly chosen: Record<string, CredentialsMeta>;

  constructor(
    private readonly run: { userId: string; graphExecId: string; stored: unknown },
    private readonly keys: Buffer | readonly Buffer[],
    private readonly sources: readonly CredentialsSource[],
  ) {
    this.chosen = credentialsMeta(run.stored) ?? {};
  }

  /**
   * The credential the run chose for a node's credentials pin, as meta (what node inputs may hold): the run's
   * input under the graph's credentials_input_schema key for the pin, else the only run input of its provider and type.
   */
  metaFor(pin: Record<string, unknown>, inputDefault: Record<string, unknown>): CredentialsMeta | undefined {
    const byKey = this.chosen[credentialsInputKey(pin, inputDefault)];
    if (byKey) return byKey;
    // Narrowed by the pin's discriminator (an LLM block's model picks its provider), as the graph's field is.
    const { providers, types } = credentialsField(pin, inputDefault);
    const fits = Object.values(this.chosen).filter((m) => providers.includes(m.provider) && types.includes(m.type));
    if (fits.length === 1) return fits[0];
    if (fits.length > 1) return undefined;
    for (const source of this.sources) {
      const suggested = source.suggest?.(providers, types);
      if (suggested) return suggested;
    }
    return undefined;
  }

  /** Decrypted credentials for `meta`, or undefined when no source holds them. */
  async resolve(meta: CredentialsMeta): Promise<Credentials | undefined> {
    const scope: CredentialsScope = {
      userId: this.run.userId,
      graphExecId: this.run.graphExecId,
      runInputs: () => {
        this.opened ??= openCredentials(this.keys, this.run.stored);
        return this.opened;
      },
    };
    for (const source of this.sources) {
      const found = await source.find(meta, scope);
      if (found) return found;
    }
    return undefined;
  }
}
