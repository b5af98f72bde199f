// drizzle-kit: generates SQL migrations from src/infra/db/schema.ts (run `npm run db:generate` after a schema change).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/infra/db/schema.ts",
  out: "./src/infra/db/migrations",
});
