#!/usr/bin/env node
// The `agentry` command: loads the TypeScript sources through tsx and hands over to the CLI.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/index.ts");
