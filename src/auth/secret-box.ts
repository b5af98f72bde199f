// Authenticated encryption of small secrets at rest (AES-256-GCM), tagged with the id of the key that sealed them.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** A sealed value as stored (e.g. in a jsonb column): version, key id, and base64 IV, tag and ciphertext. */
export interface SealedBox {
  v: 1;
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

/** A box that cannot be opened: tampered with, or sealed with a key this process does not have. */
export class SecretBoxError extends Error {
  override name = "SecretBoxError";
}

/** The key's id: the first 8 hex digits of its SHA-256, so a box names its key without revealing it. */
export function keyId(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new SecretBoxError("An encryption key must be 32 bytes (AES-256)");
}

export function isSealedBox(value: unknown): value is SealedBox {
  if (!value || typeof value !== "object") return false;
  const box = value as Record<string, unknown>;
  return (
    box.v === 1 &&
    typeof box.kid === "string" &&
    typeof box.iv === "string" &&
    typeof box.tag === "string" &&
    typeof box.ct === "string"
  );
}

/** Encrypts `plaintext` under `key` with a fresh random 12-byte IV. */
export function seal(key: Buffer, plaintext: string): SealedBox {
  checkKey(key);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return {
    v: 1,
    kid: keyId(key),
    iv: iv.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    ct: ct.toString("base64"),
  };
}

/**
 * Decrypts a box with the key (of `keys`, current first, then retired ones during a rotation) whose id it names.
 * Refuses a box whose key is not given, and one whose IV, tag or ciphertext was altered.
 */
export function open(keys: Buffer | readonly Buffer[], box: SealedBox): string {
  const ring = Array.isArray(keys) ? (keys as readonly Buffer[]) : [keys as Buffer];
  if (!isSealedBox(box)) throw new SecretBoxError("Not a sealed secret (unknown format or version)");
  const key = ring.find((k) => keyId(k) === box.kid);
  if (!key) {
    throw new SecretBoxError(
      `The secret was sealed with key ${box.kid}, but the configured ENCRYPTION_KEY is ${ring.map(keyId).join(", ") || "none"}; ` +
        "restore the key it was sealed with",
    );
  }
  checkKey(key);
  const iv = Buffer.from(box.iv, "base64");
  const tag = Buffer.from(box.tag, "base64");
  if (iv.length !== 12 || tag.length !== 16) throw new SecretBoxError("The sealed secret is damaged (IV or tag)");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(box.ct, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretBoxError("The sealed secret failed its integrity check (tampered with, or a different key)");
  }
}
