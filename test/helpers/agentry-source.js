// The `agentry` command run from the TypeScript sources through tsx, so CLI tests exercise what is checked out
// rather than the last build.
import { register } from "tsx/esm/api";

register();
await import("../../src/cli/index.ts");
