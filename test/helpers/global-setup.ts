// Creates, once per schema, a migrated PGlite data dir that every test server copies (a cold init costs seconds).
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { openDatabase } from "../../src/infra/db/index.js";

export const TEMPLATE_ROOT = path.resolve(".data-test");

function migrationsDigest(): string {
  const dir = path.resolve("src/infra/db/migrations");
  const hash = createHash("sha256");
  for (const file of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const full = path.join(dir, file);
    if (fs.statSync(full).isFile()) hash.update(file).update(fs.readFileSync(full));
  }
  return hash.digest("hex").slice(0, 16);
}

export default async function setup({ provide }: { provide: (key: string, value: unknown) => void }) {
  const template = path.join(TEMPLATE_ROOT, `template-${migrationsDigest()}`);
  if (!fs.existsSync(path.join(template, "ready"))) {
    fs.rmSync(template, { recursive: true, force: true });
    const database = await openDatabase({ dataDir: template });
    await database.close();
    fs.writeFileSync(path.join(template, "ready"), "");
  }
  provide("pgliteTemplate", template);
}

declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}
