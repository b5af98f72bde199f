// Webhooks and the graph nodes they trigger (agent_nodes.webhook_id).
import { and, eq, inArray, isNotNull, ne, sql } from "drizzle-orm";
import type { Db } from "../index.js";
import { agentNodes, agentPresets, integrationWebhooks } from "../schema.js";

export type WebhookRow = typeof integrationWebhooks.$inferSelect;

export interface TriggeredNode {
  id: string;
  graphId: string;
  graphVersion: number;
  blockId: string;
  inputDefault: Record<string, unknown>;
}

export async function insertWebhook(db: Db, values: typeof integrationWebhooks.$inferInsert): Promise<WebhookRow> {
  const [row] = await db.insert(integrationWebhooks).values(values).returning();
  return row as WebhookRow;
}

export async function findWebhook(db: Db, id: string): Promise<WebhookRow | undefined> {
  const [row] = await db.select().from(integrationWebhooks).where(eq(integrationWebhooks.id, id)).limit(1);
  return row;
}

/** The nodes a webhook triggers. */
export async function triggeredNodes(db: Db, webhookId: string): Promise<TriggeredNode[]> {
  const rows = await db
    .select({
      id: agentNodes.id,
      graphId: agentNodes.graphId,
      graphVersion: agentNodes.graphVersion,
      blockId: agentNodes.blockId,
      inputDefault: agentNodes.inputDefault,
    })
    .from(agentNodes)
    .where(eq(agentNodes.webhookId, webhookId));
  return rows as TriggeredNode[];
}

/** The user's webhooks that nodes of any version of the graph point at. */
export async function webhooksOfGraph(db: Db, userId: string, graphId: string): Promise<WebhookRow[]> {
  const ids = db
    .selectDistinct({ id: agentNodes.webhookId })
    .from(agentNodes)
    .where(and(eq(agentNodes.graphId, graphId), isNotNull(agentNodes.webhookId)));
  return db
    .select()
    .from(integrationWebhooks)
    .where(and(eq(integrationWebhooks.userId, userId), inArray(integrationWebhooks.id, sql`(${ids})`)));
}

export async function setNodeWebhook(db: Db, nodeId: string, webhookId: string | null): Promise<void> {
  await db.update(agentNodes).set({ webhookId }).where(eq(agentNodes.id, nodeId));
}

/** Unlinks the nodes of the graph's other versions from their webhooks (only the active version is triggered). */
export async function detachOtherVersions(db: Db, graphId: string, version: number): Promise<void> {
  await db
    .update(agentNodes)
    .set({ webhookId: null })
    .where(and(eq(agentNodes.graphId, graphId), ne(agentNodes.graphVersion, version), isNotNull(agentNodes.webhookId)));
}

/** Webhooks in use: a node or a preset (set up with a trigger) points at them. */
function inUse(db: Db) {
  const byNodes = db
    .selectDistinct({ id: agentNodes.webhookId })
    .from(agentNodes)
    .where(isNotNull(agentNodes.webhookId));
  const byPresets = db
    .selectDistinct({ id: agentPresets.webhookId })
    .from(agentPresets)
    .where(and(isNotNull(agentPresets.webhookId), eq(agentPresets.isDeleted, false)));
  return and(sql`${integrationWebhooks.id} not in (${byNodes})`, sql`${integrationWebhooks.id} not in (${byPresets})`);
}

/** The ids of the user's webhooks no node or preset points at. */
export async function danglingOfUser(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .select({ id: integrationWebhooks.id })
    .from(integrationWebhooks)
    .where(and(eq(integrationWebhooks.userId, userId), inUse(db)));
  return rows.map((r) => r.id);
}

/** Deletes the webhooks among `ids` no node or preset points at any more. */
export async function pruneDangling(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.delete(integrationWebhooks).where(and(inArray(integrationWebhooks.id, ids), inUse(db)));
}
