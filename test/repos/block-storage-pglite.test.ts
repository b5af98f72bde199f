// The block-storage contract on the embedded PGlite database.
import fs from "node:fs";
import { describe } from "vitest";
import { openDatabase } from "../../src/infra/db/index.js";
import { freshDataDir } from "../helpers/server.js";
import { blockStorageContract } from "./block-storage-contract.js";

describe("block storage on PGlite", () => {
  blockStorageContract(async () => {
    const dir = freshDataDir();
    return {
      database: await openDatabase({ dataDir: dir }),
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  });
});
