// The engine's storage ports on a real PostgreSQL.
import { describe } from "vitest";
import { openDatabase } from "../../src/infra/db/index.js";
import { createThrowawayDatabase } from "../helpers/postgres.js";
import { executionStoreContract } from "./execution-store-contract.js";

describe("execution and schedule stores on PostgreSQL", () => {
  executionStoreContract({ concurrentSessions: true }, async () => {
    const pg = await createThrowawayDatabase();
    return { database: await openDatabase({ databaseUrl: pg.url, dataDir: "unused" }), cleanup: pg.drop };
  });
});
