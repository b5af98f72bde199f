#!/usr/bin/env node
// The `agentry` command: the compiled CLI (dist/, which `npm ci` builds); in a checkout that has not been built,
// the TypeScript sources through tsx.
import fs from "node:fs";

const compiled = new URL("../dist/cli/index.js", import.meta.url);
if (fs.existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/index.ts");
}
