// The graph repository contract on the embedded PGlite database.
import fs from "node:fs";
import { describe } from "vitest";
import { openDatabase } from "../../src/infra/db/index.js";
import { freshDataDir } from "../helpers/server.js";
import { graphRepositoryContract } from "./graphs-contract.js";

describe("graph repository on PGlite", () => {
  graphRepositoryContract(async () => {
    const dir = freshDataDir();
    return {
      database: await openDatabase({ dataDir: dir }),
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  });
});
