// Opaque secrets (API keys, refresh tokens, OAuth tokens): random, shown once, stored only as a SHA-256 digest.
import { createHash, randomBytes, randomUUID } from "node:crypto";

/** A random secret with a recognisable prefix, e.g. `agpt_…` for API keys. 32 random bytes, base64url. */
export function generateSecret(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export const newId = (): string => randomUUID();
