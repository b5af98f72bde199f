// Instance secrets (JWT signing secret, encryption key): from config, or generated once into the data dir.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface InstanceSecrets {
  jwtSecret: Uint8Array;
  encryptionKey: Buffer;
}

export function decodeKey(value: string): Buffer {
  const buf = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, "hex") : Buffer.from(value, "base64");
  if (buf.length !== 32) throw new Error("ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64");
  return buf;
}

/**
 * Values given in config win. Otherwise they are read from (or written to) `secrets.json` in the data dir,
 * readable by the owner only, so a restart keeps tokens valid and encrypted data readable.
 */
export function loadInstanceSecrets(options: {
  dataDir: string;
  jwtSecret?: string;
  encryptionKey?: string;
}): InstanceSecrets {
  let stored: { jwtSecret?: string; encryptionKey?: string } = {};
  const file = path.join(options.dataDir, "secrets.json");
  if (!options.jwtSecret || !options.encryptionKey) {
    if (fs.existsSync(file)) stored = JSON.parse(fs.readFileSync(file, "utf8"));
    let changed = false;
    if (!stored.jwtSecret) {
      stored.jwtSecret = randomBytes(32).toString("base64url");
      changed = true;
    }
    if (!stored.encryptionKey) {
      stored.encryptionKey = randomBytes(32).toString("hex");
      changed = true;
    }
    if (changed) {
      fs.mkdirSync(options.dataDir, { recursive: true });
      fs.writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    }
  }
  return {
    jwtSecret: new TextEncoder().encode(options.jwtSecret ?? stored.jwtSecret),
    encryptionKey: decodeKey(options.encryptionKey ?? (stored.encryptionKey as string)),
  };
}
