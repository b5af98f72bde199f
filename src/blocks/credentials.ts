// Credentials as blocks see them: AutoGPT's four kinds, the `credentials` pin that selects one, and the usual header.
import { type TObject, type TSchema, Type } from "@sinclair/typebox";
import { credentialsField } from "../core/credentials-field.js";
import type { PinOptions } from "./fields.js";

/** AutoGPT's CredentialsType values, plus `host_scoped` (headers sent only to one host). */
export type CredentialsType = "api_key" | "oauth2" | "user_password" | "host_scoped";

/** AutoGPT's CredentialsMetaInput: which credential a node uses, never the secret. What node inputs hold. */
export interface CredentialsMeta {
  id: string;
  title: string | null;
  provider: string;
  type: string;
}

interface BaseCredentials {
  id: string;
  provider: string;
  title: string | null;
}

export interface APIKeyCredentials extends BaseCredentials {
  type: "api_key";
  api_key: string;
  /** Unix seconds. */
  expires_at: number | null;
}

export interface OAuth2Credentials extends BaseCredentials {
  type: "oauth2";
  username: string | null;
  access_token: string;
  access_token_expires_at: number | null;
  refresh_token: string | null;
  refresh_token_expires_at: number | null;
  scopes: string[];
  metadata: Record<string, unknown>;
}

export interface UserPasswordCredentials extends BaseCredentials {
  type: "user_password";
  username: string;
  password: string;
}

export interface HostScopedCredentials extends BaseCredentials {
  type: "host_scoped";
  /** The host the headers may be sent to. */
  host: string;
  headers: Record<string, string>;
}

/** Decrypted credentials, as `ctx.credentials`. They serialize (JSON, logs, util.inspect) as their meta only. */
export type Credentials = APIKeyCredentials | OAuth2Credentials | UserPasswordCredentials | HostScopedCredentials;

/** AutoGPT's `is_credentials_field_name`: `credentials` or `*_credentials`. */
export const isCredentialsField = (name: string) => name === "credentials" || name.endsWith("_credentials");

/** A block's credentials pins, by name (cached per schema). */
const fieldsOf = new WeakMap<TObject, string[]>();
export function credentialsFields(schema: TObject): string[] {
  let fields = fieldsOf.get(schema);
  if (!fields) {
    fields = Object.entries(schema.properties)
      .filter(([name, pin]) => isCredentialsField(name) && (pin as { type?: unknown }).type === "object")
      .map(([name]) => name);
    fieldsOf.set(schema, fields);
  }
  return fields;
}

/**
 * The `credentials` pin of a block (AutoGPT's CredentialsField): a CredentialsMetaInput for one of `providers`
 * and `types`, serialized with `credentials_provider` / `credentials_types` as AutoGPT's UI expects.
 */
export function CredentialsField(
  options: { providers: string[]; types: CredentialsType[]; scopes?: string[] } & PinOptions,
): TSchema {
  const { providers, types, scopes, ...extras } = options;
  const choice = (values: string[]) =>
    values.length === 1 ? Type.Literal(values[0]) : Type.Union(values.map((v) => Type.Literal(v)));
  return Type.Object(
    {
      id: Type.String({ title: "Id" }),
      title: Type.Optional(Type.Union([Type.String(), Type.Null()], { default: null, title: "Title" })),
      provider: { ...choice(providers), title: "Provider" },
      type: { ...choice(types), title: "Type" },
    },
    {
      credentials_provider: providers,
      credentials_types: types,
      ...(scopes?.length ? { credentials_scopes: scopes } : {}),
      ...extras,
    },
  );
}

/**
 * The key of the graph's credentials_input_schema field a node's credentials pin is merged into (AutoGPT's
 * aggregate_credentials_inputs): `<providers>_<types>_credentials`, as computeCredentialsInputSchema names them.
 */
export function credentialsInputKey(pin: Record<string, unknown>, inputDefault: Record<string, unknown>): string {
  return credentialsField(pin, inputDefault).key;
}

/** The meta view of a value that names a credential, or undefined if it does not. */
export function metaOf(value: unknown): CredentialsMeta | undefined {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== "object" || typeof v.id !== "string") return undefined;
  if (typeof v.provider !== "string" || typeof v.type !== "string") return undefined;
  return { id: v.id, title: typeof v.title === "string" ? v.title : null, provider: v.provider, type: v.type };
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const num = (v: unknown) => (typeof v === "number" ? v : null);

/**
 * Credentials from a stored record (the run's credential inputs, later the credentials store), or undefined when
 * it carries no secret. The result hides its secrets from JSON.stringify and util.inspect.
 */
export function toCredentials(raw: unknown): Credentials | undefined {
  const meta = metaOf(raw);
  if (!meta) return undefined;
  const r = raw as Record<string, unknown>;
  const base = { id: meta.id, provider: meta.provider, title: meta.title };
  let credentials: Credentials | undefined;
  switch (meta.type) {
    case "api_key": {
      const key = str(r.api_key);
      if (key) credentials = { ...base, type: "api_key", api_key: key, expires_at: num(r.expires_at) };
      break;
    }
    case "oauth2": {
      const token = str(r.access_token);
      if (token) {
        credentials = {
          ...base,
          type: "oauth2",
          username: str(r.username) ?? null,
          access_token: token,
          access_token_expires_at: num(r.access_token_expires_at),
          refresh_token: str(r.refresh_token) ?? null,
          refresh_token_expires_at: num(r.refresh_token_expires_at),
          scopes: Array.isArray(r.scopes) ? r.scopes.filter((s): s is string => typeof s === "string") : [],
          metadata: r.metadata && typeof r.metadata === "object" ? (r.metadata as Record<string, unknown>) : {},
        };
      }
      break;
    }
    case "user_password": {
      const username = str(r.username);
      const password = str(r.password);
      if (username !== undefined && password !== undefined) {
        credentials = { ...base, type: "user_password", username, password };
      }
      break;
    }
    case "host_scoped": {
      const host = str(r.host);
      const headers = r.headers && typeof r.headers === "object" ? (r.headers as Record<string, unknown>) : undefined;
      if (host && headers) {
        const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => typeof v === "string")) as Record<
          string,
          string
        >;
        credentials = { ...base, type: "host_scoped", host, headers: clean };
      }
      break;
    }
  }
  if (!credentials) return undefined;
  const view = () => ({ ...meta });
  Object.defineProperty(credentials, "toJSON", { value: view, enumerable: false });
  Object.defineProperty(credentials, Symbol.for("nodejs.util.inspect.custom"), { value: view, enumerable: false });
  return credentials;
}

/** The secret strings of a credential, for scrubbing them from what a node reports. */
export function secretsOf(credentials: Credentials): string[] {
  switch (credentials.type) {
    case "api_key":
      return [credentials.api_key];
    case "oauth2":
      return [credentials.access_token, credentials.refresh_token ?? ""].filter(Boolean);
    case "user_password":
      return [credentials.password];
    case "host_scoped":
      return Object.values(credentials.headers);
  }
}

/** `text` with every secret replaced. */
export function redactSecretsInText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.replaceAll(secret, "<redacted>");
  return out;
}

/** A yielded value with every secret in its strings (and keys) replaced; the value itself when none occurs. */
export function redactSecrets(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return redactSecretsInText(value, secrets);
  // What a value says as JSON is what gets stored: credentials say only their meta.
  const toJSON = (value as { toJSON?: unknown } | null)?.toJSON;
  if (typeof toJSON === "function") return redactSecrets(toJSON.call(value), secrets);
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, secrets));
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [redactSecretsInText(k, secrets), redactSecrets(v, secrets)]),
    );
  }
  return value;
}

/** AutoGPT's `auth_header()`: `Bearer <key or token>`, or Basic for a username and password. */
export function authHeader(credentials: Credentials): string {
  switch (credentials.type) {
    case "api_key":
      return `Bearer ${credentials.api_key}`;
    case "oauth2":
      return `Bearer ${credentials.access_token}`;
    case "user_password":
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    case "host_scoped":
      throw new Error("Host-scoped credentials are headers for their host, not one Authorization header");
  }
}

const KIND_LABELS: Record<CredentialsType, string> = {
  api_key: "API key",
  oauth2: "OAuth2",
  user_password: "username and password",
  host_scoped: "host-scoped",
};

/**
 * The node's credentials for `field` (the block's `credentials` pin unless named), checked to be one of `types`;
 * otherwise a clear error naming what the block needs (`Missing Jina API key credentials for \`credentials\``),
 * never a crash. `label` is the provider as users know it ("DataForSEO").
 */
export function requireCredentials<T extends CredentialsType>(
  ctx: { credentials?: Credentials; credentialsFor(field: string): Credentials | undefined },
  label: string,
  types: readonly T[],
  field = "credentials",
): Extract<Credentials, { type: T }> {
  const credentials =
    field === "credentials" ? (ctx.credentials ?? ctx.credentialsFor(field)) : ctx.credentialsFor(field);
  const kinds = types.map((t) => KIND_LABELS[t]).join(" or ");
  if (!credentials) throw new Error(`Missing ${label} ${kinds} credentials for \`${field}\``);
  if (!(types as readonly string[]).includes(credentials.type)) {
    throw new Error(
      `The \`${field}\` credentials are ${credentials.provider} ${KIND_LABELS[credentials.type]}; this block needs ${label} ${kinds} credentials`,
    );
  }
  return credentials as Extract<Credentials, { type: T }>;
}
