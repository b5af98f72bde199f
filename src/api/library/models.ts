// /api/library response and request models as AutoGPT's library model.py has them (LibraryAgent, AgentPreset and
// their pages), and the conversions from the library and preset services' records.
import { Type } from "@sinclair/typebox";
import { GraphTriggerInfo } from "../../core/graph-schema.js";
import { credentialsMeta } from "../../engine/credentials.js";
import type { LibraryAgentRecord } from "../../services/library.js";
import type { PresetRow } from "../../services/presets.js";
import type { Webhook as WebhookRecord } from "../../services/webhooks.js";
import { DateTime, Nullable, Pagination } from "../schemas.js";

const AnyRecord = Type.Record(Type.String(), Type.Unknown());

const CredentialsMetaInput = Type.Object(
  {
    id: Type.String({ maxLength: 200 }),
    title: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    provider: Type.String({ maxLength: 200 }),
    type: Type.Union([
      Type.Literal("api_key"),
      Type.Literal("oauth2"),
      Type.Literal("user_password"),
      Type.Literal("host_scoped"),
    ]),
  },
  { title: "CredentialsMetaInput" },
);
const CredentialsInputs = Type.Record(Type.String(), CredentialsMetaInput);

/** AutoGPT's GraphSettings of a library agent, with its defaults. */
export const GraphSettings = Type.Object(
  {
    human_in_the_loop_safe_mode: Type.Boolean({ default: true }),
    sensitive_action_safe_mode: Type.Boolean({ default: false }),
  },
  { title: "GraphSettings" },
);

/** Both of AutoGPT's documents' LibraryAgent: v0.6.44's fields and the later document's. */
export const LibraryAgent = Type.Object(
  {
    id: Type.String(),
    graph_id: Type.String(),
    graph_version: Type.Integer(),
    owner_user_id: Type.String(),
    image_url: Nullable(Type.String()),
    creator_name: Type.String(),
    creator_image_url: Type.String(),
    status: Type.Union([
      Type.Literal("COMPLETED"),
      Type.Literal("HEALTHY"),
      Type.Literal("WAITING"),
      Type.Literal("ERROR"),
    ]),
    created_at: DateTime,
    updated_at: DateTime,
    name: Type.String(),
    description: Type.String(),
    instructions: Nullable(Type.String()),
    input_schema: AnyRecord,
    output_schema: AnyRecord,
    credentials_input_schema: Nullable(AnyRecord),
    has_external_trigger: Type.Boolean(),
    has_human_in_the_loop: Type.Boolean(),
    has_sensitive_action: Type.Boolean(),
    trigger_setup_info: Nullable(Type.Object(GraphTriggerInfo.properties, { title: "GraphTriggerInfo" })),
    new_output: Type.Boolean(),
    can_access_graph: Type.Boolean(),
    is_latest_version: Type.Boolean(),
    is_favorite: Type.Boolean(),
    recommended_schedule_cron: Nullable(Type.String()),
    settings: GraphSettings,
    marketplace_listing: Type.Null({ description: "Agentry has no marketplace listing of a library agent yet" }),
  },
  { title: "LibraryAgent" },
);

export const LibraryAgentResponse = Type.Object(
  { agents: Type.Array(LibraryAgent), pagination: Pagination },
  { title: "LibraryAgentResponse" },
);

export function toLibraryAgent(record: LibraryAgentRecord, userId: string): typeof LibraryAgent.static {
  const { agent, graph, interface: computed } = record;
  const settings = (agent.settings ?? {}) as Record<string, unknown>;
  return {
    id: agent.id,
    graph_id: agent.graphId,
    graph_version: agent.graphVersion,
    owner_user_id: graph.userId,
    image_url: agent.imageUrl,
    creator_name: record.creatorName || "Unknown",
    creator_image_url: "",
    // AutoGPT's status of an agent without recent runs; Agentry does not derive it from runs yet.
    status: "COMPLETED",
    created_at: agent.createdAt.toISOString(),
    updated_at: new Date(Math.max(agent.updatedAt.getTime(), graph.updatedAt.getTime())).toISOString(),
    name: graph.name ?? "",
    description: graph.description ?? "",
    instructions: graph.instructions ?? null,
    input_schema: computed.input_schema,
    output_schema: computed.output_schema,
    credentials_input_schema: computed.credentials_input_schema,
    has_external_trigger: computed.has_external_trigger,
    has_human_in_the_loop: computed.has_human_in_the_loop,
    has_sensitive_action: computed.has_sensitive_action,
    trigger_setup_info: computed.trigger_setup_info,
    new_output: false,
    can_access_graph: graph.userId === userId,
    // As AutoGPT: the library agent presents the version it points at as current.
    is_latest_version: true,
    is_favorite: agent.isFavorite,
    recommended_schedule_cron: graph.recommendedScheduleCron,
    settings: {
      human_in_the_loop_safe_mode: settings.human_in_the_loop_safe_mode !== false,
      sensitive_action_safe_mode: settings.sensitive_action_safe_mode === true,
    },
    marketplace_listing: null,
  };
}

/** AutoGPT's Webhook; its secret is never shown (masked as AutoGPT masks secrets elsewhere). */
export const Webhook = Type.Object(
  {
    id: Type.String(),
    user_id: Type.String(),
    provider: Type.String(),
    credentials_id: Type.String(),
    webhook_type: Type.String(),
    resource: Type.String(),
    events: Type.Array(Type.String()),
    config: AnyRecord,
    secret: Type.String({ description: "Always masked" }),
    provider_webhook_id: Type.String(),
    url: Type.String({ description: "Where the webhook takes posts (its ingress URL)" }),
  },
  { title: "Webhook" },
);

function toWebhook(hook: WebhookRecord): typeof Webhook.static {
  return {
    id: hook.id,
    user_id: hook.userId,
    provider: hook.provider,
    credentials_id: hook.credentialsId,
    webhook_type: hook.webhookType,
    resource: hook.resource,
    events: hook.events,
    config: hook.config,
    secret: "**********",
    provider_webhook_id: hook.providerWebhookId,
    url: hook.url,
  };
}

export const LibraryAgentPreset = Type.Object(
  {
    id: Type.String(),
    user_id: Type.String(),
    graph_id: Type.String(),
    graph_version: Type.Integer(),
    inputs: AnyRecord,
    credentials: CredentialsInputs,
    name: Type.String(),
    description: Type.String(),
    is_active: Type.Boolean(),
    webhook_id: Nullable(Type.String()),
    webhook: Nullable(
      Type.Object(Webhook.properties, {
        title: "Webhook",
        description: "The webhook that triggers the preset, when one is attached (not filled in in lists)",
      }),
    ),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { title: "LibraryAgentPreset" },
);

export const LibraryAgentPresetResponse = Type.Object(
  { presets: Type.Array(LibraryAgentPreset), pagination: Pagination },
  { title: "LibraryAgentPresetResponse" },
);

export function toPreset(row: PresetRow, webhook?: WebhookRecord): typeof LibraryAgentPreset.static {
  return {
    id: row.id,
    user_id: row.userId,
    graph_id: row.graphId,
    graph_version: row.graphVersion,
    inputs: row.inputs as Record<string, unknown>,
    credentials: (credentialsMeta(row.credentials) ?? {}) as typeof CredentialsInputs.static,
    name: row.name,
    description: row.description,
    is_active: row.isActive,
    webhook_id: row.webhookId,
    webhook: webhook ? toWebhook(webhook) : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

// -------------------------------------------------------------------------------------------------
// Requests

export const LibraryAgentUpdateRequest = Type.Object(
  {
    auto_update_version: Type.Optional(Nullable(Type.Boolean({ description: "Auto-update the agent version" }))),
    graph_version: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: "Graph version to pin" }))),
    is_favorite: Type.Optional(Nullable(Type.Boolean({ description: "Mark the agent as a favorite" }))),
    is_archived: Type.Optional(Nullable(Type.Boolean({ description: "Archive the agent" }))),
    settings: Type.Optional(Nullable(Type.Partial(GraphSettings))),
  },
  { title: "LibraryAgentUpdateRequest" },
);

const Name = Type.String({ minLength: 1, maxLength: 500 });
const Description = Type.String({ maxLength: 10_000 });

export const LibraryAgentPresetCreatable = Type.Object(
  {
    graph_id: Type.String({ minLength: 1, maxLength: 200 }),
    graph_version: Type.Integer({ minimum: 1 }),
    inputs: AnyRecord,
    credentials: CredentialsInputs,
    name: Name,
    description: Description,
    is_active: Type.Optional(Type.Boolean({ description: "true unless sent (defaults cannot sit in a union)" })),
    webhook_id: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  },
  { title: "LibraryAgentPresetCreatable" },
);

export const LibraryAgentPresetCreatableFromGraphExecution = Type.Object(
  {
    graph_execution_id: Type.String({ minLength: 1, maxLength: 200 }),
    name: Name,
    description: Description,
    is_active: Type.Optional(Type.Boolean({ description: "true unless sent" })),
  },
  { title: "LibraryAgentPresetCreatableFromGraphExecution" },
);

export const LibraryAgentPresetUpdatable = Type.Object(
  {
    inputs: Type.Optional(Nullable(AnyRecord)),
    credentials: Type.Optional(Nullable(CredentialsInputs)),
    name: Type.Optional(Nullable(Name)),
    description: Type.Optional(Nullable(Description)),
    is_active: Type.Optional(Nullable(Type.Boolean())),
  },
  { title: "LibraryAgentPresetUpdatable" },
);

export const TriggeredPresetSetupRequest = Type.Object(
  {
    name: Name,
    description: Type.String({ maxLength: 10_000, default: "" }),
    graph_id: Type.String({ minLength: 1, maxLength: 200 }),
    graph_version: Type.Integer({ minimum: 1 }),
    trigger_config: AnyRecord,
    agent_credentials: Type.Record(Type.String(), CredentialsMetaInput, { default: {} }),
  },
  { title: "TriggeredPresetSetupRequest" },
);

export const PresetExecuteBody = Nullable(
  Type.Object(
    { inputs: Type.Optional(AnyRecord), credential_inputs: Type.Optional(CredentialsInputs) },
    { title: "Body_postV2Execute a preset" },
  ),
);
