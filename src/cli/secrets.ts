// `agentry secrets rotate`: re-seals every secret at rest (integration credentials, the credential inputs of runs,
// presets and schedules, webhook secrets) under the current ENCRYPTION_KEY, opening them with the retired keys.
//
// With ENCRYPTION_KEY set, that key is the new one and ENCRYPTION_KEYS_RETIRED (plus the key in DATA_DIR/secrets.json,
// if it differs) open the old values. Without it, a new key is generated and written into DATA_DIR/secrets.json in
// place of the old one once every value is re-sealed. Nothing secret is printed: keys appear by their id only.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { isSealedBox, keyId, open, type SealedBox, seal } from "../auth/secret-box.js";
import { decodeKey } from "../auth/secrets.js";
import type { Config } from "../config.js";
import type { Database } from "../infra/db/index.js";

const PAGE = 200;

export interface RotationReport {
  keyId: string;
  counts: Record<string, number>;
}

/** Re-seals every sealed value not sealed with `key`, each opened with one of `ring`. */
export async function rotateSealed(database: Database, key: Buffer, ring: readonly Buffer[]): Promise<RotationReport> {
  const { SEALED_COLUMNS, sealedPage, writeSealed } = await import("../infra/db/repos/sealed.js");
  const kid = keyId(key);
  const keys = [key, ...ring.filter((k) => keyId(k) !== kid)];
  const counts: Record<string, number> = {};
  await database.db.transaction(async (tx) => {
    for (const column of SEALED_COLUMNS) {
      let after = "";
      let n = 0;
      for (;;) {
        const page = await sealedPage(tx, column, kid, after, PAGE);
        for (const row of page) {
          after = row.id;
          if (!isSealedBox(row.value)) continue;
          // Fields beside the box (a run's credentials `meta`) stay as they are.
          const resealed = { ...(row.value as object), ...seal(key, open(keys, row.value as SealedBox)) };
          await writeSealed(tx, column, row.id, resealed, kid);
          n++;
        }
        if (page.length < PAGE) break;
      }
      counts[column.name] = n;
    }
  });
  return { keyId: kid, counts };
}

export async function rotateSecrets(config: Config, database: Database, out: NodeJS.WritableStream): Promise<void> {
  const file = path.join(config.dataDir, "secrets.json");
  const stored: { jwtSecret?: string; encryptionKey?: string } = fs.existsSync(file)
    ? JSON.parse(fs.readFileSync(file, "utf8"))
    : {};
  const retired = config.encryptionKeysRetired.map((k, i) => {
    try {
      return decodeKey(k);
    } catch {
      throw new Error(`ENCRYPTION_KEYS_RETIRED entry ${i + 1} is not a 32-byte key (64 hex characters or base64)`);
    }
  });
  if (stored.encryptionKey) retired.push(decodeKey(stored.encryptionKey));
  const generated = !config.encryptionKey;
  const key = config.encryptionKey ? decodeKey(config.encryptionKey) : randomBytes(32);
  const report = await rotateSealed(database, key, retired);
  if (generated) {
    // Only once every value is re-sealed (the transaction committed) does the new key replace the old one.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify({ ...stored, encryptionKey: key.toString("hex") }, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  const total = Object.values(report.counts).reduce((a, b) => a + b, 0);
  const detail = Object.entries(report.counts)
    .map(([name, n]) => `${name}: ${n}`)
    .join(", ");
  out.write(`Re-encrypted ${total} secret${total === 1 ? "" : "s"} under key ${report.keyId} (${detail}).\n`);
  out.write(
    generated
      ? `The new key is in ${file}; back it up. The old key can no longer read anything.\n`
      : "Start the server with this ENCRYPTION_KEY; ENCRYPTION_KEYS_RETIRED is no longer needed.\n",
  );
}
