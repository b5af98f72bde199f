// The engine's storage ports on the embedded PGlite database.
import fs from "node:fs";
import { describe } from "vitest";
import { openDatabase } from "../../src/infra/db/index.js";
import { freshDataDir } from "../helpers/server.js";
import { executionStoreContract } from "./execution-store-contract.js";

describe("execution and schedule stores on PGlite", () => {
  executionStoreContract({ concurrentSessions: false }, async () => {
    const dir = freshDataDir();
    return {
      database: await openDatabase({ dataDir: dir }),
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  });
});
