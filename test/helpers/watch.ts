// What a test reads of a run beside its HTTP answers: the WebSocket events a subscriber gets, and the rows stored.
import { eq } from "drizzle-orm";
import WebSocket from "ws";
import { graphExecutions, nodeExecutions } from "../../src/infra/db/schema.js";
import type { TestServer } from "./server.js";

/** Subscribes to a graph's run events as the holder of `accessToken`; resolves once the subscription is confirmed. */
export async function watch(t: TestServer, accessToken: string, graphId: string) {
  const messages: string[] = [];
  const ws = new WebSocket(`${t.url.replace("http", "ws")}/ws?token=${accessToken}`);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.on("message", (raw) => messages.push(raw.toString()));
  ws.send(JSON.stringify({ method: "subscribe_graph_executions", data: { graph_id: graphId } }));
  const deadline = Date.now() + 10_000;
  while (!messages.some((m) => m.includes("subscribe_graph_executions")) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return { messages, close: () => ws.close() };
}

/** A run's rows as stored: its node executions and its graph execution. */
export async function storedRows(t: TestServer, runId: string) {
  const { db } = t.server.platform.database;
  const nodes = await db.select().from(nodeExecutions).where(eq(nodeExecutions.graphExecutionId, runId));
  const runs = await db.select().from(graphExecutions).where(eq(graphExecutions.id, runId));
  return { nodes, runs };
}
