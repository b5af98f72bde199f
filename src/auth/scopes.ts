// The permission scopes of API keys and OAuth tokens, exactly as the External API guide lists them.
export const CORE_SCOPES = [
  "IDENTITY",
  "READ_GRAPH",
  "WRITE_GRAPH",
  "READ_BLOCK",
  "READ_STORE",
  "WRITE_STORE",
  "READ_LIBRARY",
  "RUN_AGENT",
  "READ_RUN",
  "WRITE_RUN",
  "READ_RUN_REVIEW",
  "WRITE_RUN_REVIEW",
  "READ_SCHEDULE",
  "WRITE_SCHEDULE",
  "READ_CREDITS",
  "READ_INTEGRATIONS",
  "UPLOAD_FILES",
] as const;

/** Accepted on External API v1 only. */
export const LEGACY_SCOPES = [
  "EXECUTE_GRAPH",
  "EXECUTE_BLOCK",
  "USE_TOOLS",
  "MANAGE_INTEGRATIONS",
  "DELETE_INTEGRATIONS",
] as const;

export const ALL_SCOPES = [...CORE_SCOPES, ...LEGACY_SCOPES] as const;
export type Scope = (typeof ALL_SCOPES)[number];

const known = new Set<string>(ALL_SCOPES);
export function isScope(value: string): value is Scope {
  return known.has(value);
}
