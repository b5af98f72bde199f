// Every sealed secret at rest, for `agentry secrets rotate`: each (table, jsonb column) that holds a SealedBox, read
// and rewritten a page at a time by primary key.
import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Db } from "../index.js";
import { agentPresets, graphExecutions, integrationCredentials, integrationWebhooks, schedules } from "../schema.js";

interface SealedColumn {
  /** What the column holds, as the rotation reports it. */
  name: string;
  table: PgTable;
  id: PgColumn;
  value: PgColumn;
  /** A text column naming the key the value is sealed with, kept in step (integration_credentials.key_id). */
  keyId?: PgColumn;
}

/** The columns that hold sealed secrets (grep `seal(` and `sealCredentials(` when adding one). */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    name: "integration credentials",
    table: integrationCredentials,
    id: integrationCredentials.id,
    value: integrationCredentials.secret,
    keyId: integrationCredentials.keyId,
  },
  {
    name: "run credential inputs",
    table: graphExecutions,
    id: graphExecutions.id,
    value: graphExecutions.credentialInputs,
  },
  { name: "preset credentials", table: agentPresets, id: agentPresets.id, value: agentPresets.credentials },
  { name: "schedule credentials", table: schedules, id: schedules.id, value: schedules.credentials },
  {
    name: "webhook secrets",
    table: integrationWebhooks,
    id: integrationWebhooks.id,
    value: integrationWebhooks.secret,
  },
];

/** One page of a column's sealed values not sealed with `kid`, after `afterId`, in id order. */
export async function sealedPage(
  db: Db,
  column: SealedColumn,
  kid: string,
  afterId: string,
  limit: number,
): Promise<Array<{ id: string; value: unknown }>> {
  const rows = await db
    .select({ id: column.id, value: column.value })
    .from(column.table)
    .where(
      and(gt(column.id, afterId), sql`${column.value} ->> 'kid' is not null`, sql`${column.value} ->> 'kid' <> ${kid}`),
    )
    .orderBy(asc(column.id))
    .limit(limit);
  return rows as Array<{ id: string; value: unknown }>;
}

export async function writeSealed(db: Db, column: SealedColumn, id: string, value: unknown, kid: string) {
  const set: Record<string, unknown> = { [columnKey(column.table, column.value)]: value };
  if (column.keyId) set[columnKey(column.table, column.keyId)] = kid;
  await db.update(column.table).set(set).where(eq(column.id, id));
}

/** The property name drizzle knows a column by in its table (what `.set()` takes). */
function columnKey(table: PgTable, column: PgColumn): string {
  for (const [key, value] of Object.entries(table)) if (value === column) return key;
  throw new Error(`column ${column.name} is not in its table`);
}
