// Values blocks keep per user across runs (AutoGPT's AgentNodeExecutionKeyValueData): one row per user and key.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../index.js";
import { blockKeyValueData } from "../schema.js";

/** The stored value, or undefined when the user has none under `key`. */
export async function getValue(db: Db, userId: string, key: string): Promise<{ data: unknown } | undefined> {
  const [row] = await db
    .select({ data: blockKeyValueData.data })
    .from(blockKeyValueData)
    .where(and(eq(blockKeyValueData.userId, userId), eq(blockKeyValueData.key, key)));
  return row;
}

/** Stores (or replaces) the user's value under `key`, noting the node execution that wrote it. */
export async function setValue(db: Db, userId: string, key: string, data: unknown, nodeExecId: string): Promise<void> {
  await db
    .insert(blockKeyValueData)
    .values({ userId, key, data, agentNodeExecutionId: nodeExecId })
    .onConflictDoUpdate({
      target: [blockKeyValueData.userId, blockKeyValueData.key],
      set: { data, agentNodeExecutionId: nodeExecId, updatedAt: sql`now()` },
    });
}
