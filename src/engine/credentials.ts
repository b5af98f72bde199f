// Credential inputs of runs, presets and schedules at rest: sealed with ENCRYPTION_KEY, readable only as metadata.
//
// Stored shape (the existing jsonb columns): `{}` when there are none, else a SealedBox of the JSON of all the
// credential inputs plus `meta`, the AutoGPT CredentialsMetaInput view of each ({id, title, provider, type}) kept
// in clear so runs can be listed and sent in events without decrypting anything. Only `openCredentials` decrypts,
// for the engine that hands them to blocks through the CredentialsResolver port below.

import type { TObject } from "@sinclair/typebox";
import { isSealedBox, open, type SealedBox, seal } from "../auth/secret-box.js";
import {
  type Credentials,
  type CredentialsMeta,
  credentialsFields,
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
  { id: "744fdc56-071a-4761-b5a5-0af0ce10a2b5", provider: "ollama", title: "Use Credits for Ollama" },
  { id: "fdb7f412-f519-48d1-9b5f-d2f73d0e01fe", provider: "revid", title: "Use Credits for Revid" },
  { id: "760f84fc-b270-42de-91f6-08efe1b512d0", provider: "ideogram", title: "Use Credits for Ideogram" },
  { id: "6b9fc200-4726-4973-86c9-cd526f5ce5db", provider: "replicate", title: "Use Credits for Replicate" },
  { id: "53c25cb8-e3ee-465c-a4d1-e75a4c899c2a", provider: "openai", title: "Use Credits for OpenAI" },
  { id: "aad82a89-9794-4ebb-977f-d736aa5260a3", provider: "aiml_api", title: "Use Credits for AI/ML API" },
  { id: "24e5d942-d9e3-4798-8151-90143ee55629", provider: "anthropic", title: "Use Credits for Anthropic" },
  { id: "4ec22295-8f97-4dd1-b42b-2c6957a02545", provider: "groq", title: "Use Credits for Groq" },
  { id: "7f7b0654-c36b-4565-8fa7-9a52575dfae2", provider: "d_id", title: "Use Credits for D-ID" },
  { id: "7f26de70-ba0d-494e-ba76-238e65e7b45f", provider: "jina", title: "Use Credits for Jina" },
  { id: "66f20754-1b81-48e4-91d0-f4f0dd82145f", provider: "unreal_speech", title: "Use Credits for Unreal Speech" },
  { id: "b5a0e27d-0c98-4df3-a4b9-10193e1f3c40", provider: "open_router", title: "Use Credits for Open Router" },
  { id: "d9fce73a-6c1d-4e8b-ba2e-12a456789def", provider: "enrichlayer", title: "Use Credits for Enrichlayer" },
  { id: "6c0f5bd0-9008-4638-9d79-4b40b631803e", provider: "fal", title: "Use Credits for FAL" },
  { id: "96153e04-9c6c-4486-895f-5bb683b1ecec", provider: "exa", title: "Use Credits for Exa search" },
  { id: "78d19fd7-4d59-4a16-8277-3ce310acf2b7", provider: "e2b", title: "Use Credits for E2B" },
  { id: "ed55ac19-356e-4243-a6cb-bc599e9b716f", provider: "mem0", title: "Use Credits for Mem0" },
  { id: "96b83908-2789-4dec-9968-18f0ece4ceb3", provider: "nvidia", title: "Use Credits for Nvidia" },
  { id: "3b1bdd16-8818-4bc2-8cbb-b23f9a3439ed", provider: "screenshotone", title: "Use Credits for ScreenshotOne" },
  { id: "544c62b5-1d0f-4156-8fb4-9525f11656eb", provider: "apollo", title: "Use Credits for Apollo" },
  { id: "3bcdbda3-84a3-46af-8fdb-bfd2472298b8", provider: "smartlead", title: "Use Credits for SmartLead" },
  { id: "63a6e279-2dc2-448e-bf57-85776f7176dc", provider: "zerobounce", title: "Use Credits for ZeroBounce" },
  { id: "9aa1bde0-4947-4a70-a20c-84daa3850d52", provider: "google_maps", title: "Use Credits for Google Maps" },
  { id: "d44045af-1c33-4833-9e19-752313214de2", provider: "llama_api", title: "Use Credits for Llama API" },
  { id: "c4e6d1a0-3b5f-4789-a8e2-9b123456789f", provider: "v0", title: "Use Credits for v0 by Vercel" },
  { id: "8b3d4e5f-6a7b-8c9d-0e1f-2a3b4c5d6e7f", provider: "openweathermap", title: "Use Credits for OpenWeatherMap" },
  { id: "f4a8b6c2-3d1e-4f5a-9b8c-7d6e5f4a3b2c", provider: "elevenlabs", title: "Use Credits for ElevenLabs" },
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

/** A credential a pin selects that no source holds; `field` names the pin. */
export class MissingCredentialsError extends Error {
  override name = "MissingCredentialsError";
  constructor(
    readonly field: string,
    meta: CredentialsMeta,
  ) {
    super(`Credentials ${meta.id} (${meta.provider}, ${meta.type}) for \`${field}\` are not available`);
  }
}

/**
 * The decrypted credentials a block's credentials pins select in `input` (each holding a CredentialsMeta), by pin;
 * pins left empty are skipped. One no source holds throws, naming it (never a secret).
 */
export async function resolvePins(
  block: { input: TObject },
  input: Record<string, unknown>,
  resolve: (meta: CredentialsMeta) => Promise<Credentials | undefined>,
): Promise<Record<string, Credentials>> {
  const out: Record<string, Credentials> = {};
  for (const field of credentialsFields(block.input)) {
    const meta = metaOfValue(input[field]);
    if (!meta) continue;
    const found = await resolve(meta);
    if (!found) throw new MissingCredentialsError(field, meta);
    out[field] = found;
  }
  return out;
}
