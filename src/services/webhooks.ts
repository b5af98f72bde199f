// Webhooks that trigger graphs (AutoGPT's integrations webhooks): set up when a graph with a trigger block becomes
// active (or for a preset, by POST /api/library/presets/setup-trigger), posted to at
// /api/integrations/{provider}/webhooks/{id}/ingress, each post starting a run of every node and active preset
// attached to the webhook with the payload as the trigger's input.
//
// Only manual webhooks exist here (AutoGPT's GenericWebhooksManager: nothing is registered with a provider; the
// URL, plus an optional X-Webhook-Secret, is the credential). Provider-registered webhooks (GitHub…) would add a
// manager per provider behind the same service.
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type pino from "pino";
import { seal } from "../auth/secret-box.js";
import { WEBHOOK_TRIGGERS } from "../blocks/webhook.js";
import { ApiError } from "../core/errors.js";
import type { GraphModel } from "../core/graph-types.js";
import { openCredentials } from "../engine/credentials.js";
import type { Db } from "../infra/db/index.js";
import { presetsOfWebhook } from "../infra/db/repos/library.js";
import * as repo from "../infra/db/repos/webhooks.js";
import type { RunService } from "./runs.js";

/** The header a generic webhook's secret token comes in (AutoGPT's GenericWebhooksManager.SECRET_HEADER). */
export const SECRET_HEADER = "x-webhook-secret";

/** The trigger-node input holding that token. */
const SECRET_TOKEN_INPUT = "secret_token";

export interface WebhooksDeps {
  db: Db;
  runs: RunService;
  encryptionKey: Buffer;
  log: Pick<pino.Logger, "warn" | "debug">;
  /** The base URL ingress URLs are built on (PUBLIC_URL). */
  publicUrl: string;
}

/** AutoGPT's Webhook model, as the service answers it (its secret never). */
export interface Webhook {
  id: string;
  userId: string;
  provider: string;
  credentialsId: string;
  webhookType: string;
  resource: string;
  events: string[];
  config: Record<string, unknown>;
  providerWebhookId: string;
  url: string;
}

const equalSecrets = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export class WebhooksService {
  constructor(private readonly deps: WebhooksDeps) {}

  /** Where a webhook takes posts. */
  ingressUrl(provider: string, id: string): string {
    return `${this.deps.publicUrl.replace(/\/+$/, "")}/api/integrations/${provider}/webhooks/${id}/ingress`;
  }

  private view(row: repo.WebhookRow): Webhook {
    return {
      id: row.id,
      userId: row.userId,
      provider: row.provider,
      credentialsId: row.credentialsId,
      webhookType: row.webhookType,
      resource: row.resource,
      events: row.events,
      config: row.config as Record<string, unknown>,
      providerWebhookId: row.providerWebhookId,
      url: this.ingressUrl(row.provider, row.id),
    };
  }

  /** The user's webhook, or 404. */
  async get(userId: string, webhookId: string): Promise<Webhook> {
    const row = await repo.findWebhook(this.deps.db, webhookId);
    if (!row || row.userId !== userId) throw ApiError.notFound(`Webhook #${webhookId}`, { webhook_id: webhookId });
    return this.view(row);
  }

  /**
   * AutoGPT's graph activation hook: the active version's trigger nodes get a webhook (the one earlier versions of
   * the graph used, so its URL stays the same), the other versions' nodes are unlinked, and webhooks no node uses
   * any more are deleted. Returns the graph with its nodes' `webhook_id`.
   */
  async activateGraph(userId: string, graph: GraphModel): Promise<GraphModel> {
    if (!graph.is_active) return graph;
    const { db } = this.deps;
    const known = await repo.webhooksOfGraph(db, userId, graph.id);
    if (known.length === 0 && !graph.nodes.some((n) => WEBHOOK_TRIGGERS.has(n.block_id))) return graph;
    await repo.detachOtherVersions(db, graph.id, graph.version);
    const nodes = [];
    for (const node of graph.nodes) {
      const config = WEBHOOK_TRIGGERS.get(node.block_id);
      if (!config) {
        nodes.push(node);
        continue;
      }
      let hook = known.find((w) => w.provider === config.provider && w.webhookType === config.webhookType);
      if (!hook) {
        hook = await this.insert(userId, config);
        known.push(hook);
      }
      await repo.setNodeWebhook(db, node.id, hook.id);
      nodes.push({ ...node, webhook_id: hook.id });
    }
    await repo.pruneDangling(
      db,
      known.map((w) => w.id),
    );
    return { ...graph, nodes };
  }

  private insert(userId: string, config: { provider: string; webhookType: string }): Promise<repo.WebhookRow> {
    return repo.insertWebhook(this.deps.db, {
      id: randomUUID(),
      userId,
      provider: config.provider,
      webhookType: config.webhookType,
      // Manual webhooks are registered with nobody; the secret is AutoGPT's, kept for providers that sign.
      secret: seal(this.deps.encryptionKey, randomBytes(32).toString("hex")),
    });
  }

  /**
   * A new webhook of its own for a trigger node of `graph` (AutoGPT's setup_webhook_for_block, for a preset set up
   * with a trigger); 400 when the graph has no webhook trigger.
   */
  async createForTrigger(userId: string, graph: GraphModel): Promise<Webhook> {
    const config = graph.nodes.map((n) => WEBHOOK_TRIGGERS.get(n.block_id)).find((c) => c !== undefined);
    if (!config) throw ApiError.badRequest("Graph does not have a webhook trigger", { graph_id: graph.id });
    return this.view(await this.insert(userId, config));
  }

  /** Deletes the user's webhooks no node uses any more (after a graph was deleted). */
  async pruneUnused(userId: string): Promise<void> {
    const { db } = this.deps;
    await repo.pruneDangling(db, await repo.danglingOfUser(db, userId));
  }

  /**
   * A post to a webhook (no user: the URL, and the secret token when a trigger sets one, are the credential): 404
   * for an unknown webhook or another provider's, 403 for a wrong or missing X-Webhook-Secret, 400 for a payload
   * that is not a JSON object. Starts a run of every node attached, each with the payload as its `payload` input;
   * one run that cannot start does not keep the others from starting (as AutoGPT). Returns the runs started.
   */
  async ingress(
    provider: string,
    webhookId: string,
    payload: unknown,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<string[]> {
    const { db, runs, log } = this.deps;
    const row = await repo.findWebhook(db, webhookId);
    if (!row || row.provider !== provider) {
      throw ApiError.notFound(`Webhook #${webhookId}`, { webhook_id: webhookId, provider });
    }
    const nodes = await repo.triggeredNodes(db, webhookId);
    const presets = await presetsOfWebhook(db, webhookId);
    // A preset's inputs are its trigger's configuration (AutoGPT's trigger_config), its secret token included.
    const expected = [...nodes.map((n) => n.inputDefault), ...presets.map((p) => p.inputs as Record<string, unknown>)]
      .map((inputs) => inputs[SECRET_TOKEN_INPUT])
      .find((v): v is string => typeof v === "string" && v.trim() !== "");
    if (expected) {
      const given = headers[SECRET_HEADER];
      const provided = Array.isArray(given) ? given[0] : given;
      if (!provided || !equalSecrets(provided, expected)) {
        throw ApiError.forbidden("Invalid or missing X-Webhook-Secret header", { webhook_id: webhookId });
      }
    }
    if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
      throw ApiError.badRequest("The webhook payload must be a JSON object", { webhook_id: webhookId });
    }
    const started: string[] = [];
    for (const node of nodes) {
      try {
        const run = await runs.start(
          row.userId,
          node.graphId,
          node.graphVersion,
          { inputs: {}, nodesInputMasks: { [node.id]: { payload } } },
          "webhook",
        );
        started.push(run.id);
      } catch (err) {
        log.warn({ err, webhookId, graphId: node.graphId, nodeId: node.id }, "webhook could not start a run");
      }
    }
    for (const preset of presets) {
      try {
        const graph = await runs.graphToRun(row.userId, preset.graphId, preset.graphVersion);
        const trigger = graph.nodes.find((n) => WEBHOOK_TRIGGERS.has(n.block_id));
        if (!trigger) throw ApiError.badRequest("Graph does not have a webhook trigger", { graph_id: graph.id });
        const run = await runs.start(
          row.userId,
          preset.graphId,
          preset.graphVersion,
          {
            inputs: {},
            credentials_inputs: openCredentials(this.deps.encryptionKey, preset.credentials),
            nodesInputMasks: { [trigger.id]: { ...(preset.inputs as Record<string, unknown>), payload } },
            presetId: preset.id,
          },
          "webhook",
        );
        started.push(run.id);
      } catch (err) {
        log.warn({ err, webhookId, presetId: preset.id }, "webhook could not start a preset's run");
      }
    }
    log.debug({ webhookId, runs: started.length }, "webhook received");
    return started;
  }

  /**
   * Asks the provider to ping the webhook. The generic provider cannot be asked (AutoGPT's manual webhook managers
   * raise NotImplementedError), so the answer is false, as AutoGPT's.
   */
  async ping(userId: string, webhookId: string): Promise<boolean> {
    await this.get(userId, webhookId);
    return false;
  }
}
