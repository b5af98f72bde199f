// The block-storage contract on a real PostgreSQL.
import { describe } from "vitest";
import { openDatabase } from "../../src/infra/db/index.js";
import { createThrowawayDatabase } from "../helpers/postgres.js";
import { blockStorageContract } from "./block-storage-contract.js";

describe("block storage on PostgreSQL", () => {
  blockStorageContract(async () => {
    const pg = await createThrowawayDatabase();
    return { database: await openDatabase({ databaseUrl: pg.url, dataDir: "unused" }), cleanup: pg.drop };
  });
});
