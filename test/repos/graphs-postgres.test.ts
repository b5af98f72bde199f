// The graph repository contract on a real PostgreSQL.
import { describe } from "vitest";
import { openDatabase } from "../../src/infra/db/index.js";
import { createThrowawayDatabase } from "../helpers/postgres.js";
import { graphRepositoryContract } from "./graphs-contract.js";

describe("graph repository on PostgreSQL", () => {
  graphRepositoryContract(async () => {
    const pg = await createThrowawayDatabase();
    return { database: await openDatabase({ databaseUrl: pg.url, dataDir: "unused" }), cleanup: pg.drop };
  });
});
