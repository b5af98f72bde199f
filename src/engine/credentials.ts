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
    const providers = (pin.credentials_provider as string[] | undefined) ?? [];
    const types = (pin.credentials_types as string[] | undefined) ?? [];
    const fits = Object.values(this.chosen).filter((m) => providers.includes(m.provider) && types.includes(m.type));
    return fits.length === 1 ? fits[0] : undefined;
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
