// v2 response models of the library (LibraryAgent, AgentPreset) and of the runs it starts (AgentGraphRun), as
// AutoGPT's external v2 models.py has them, and the conversions from Agentry's rows.
import { Type } from "@sinclair/typebox";
import type { Scope } from "../../../auth/scopes.js";
import { executionStatusTitled } from "../../../core/execution-status.js";
import { GraphTriggerInfo } from "../../../core/graph-schema.js";
import { credentialsMeta } from "../../../engine/credentials.js";
import type { RunRecord } from "../../../engine/ports.js";
import type { LibraryAgentRecord } from "../../../services/library.js";
import type { PresetRow } from "../../../services/presets.js";
import { DateTime, Nullable } from "../../schemas.js";

/** The core scope that stands in for AutoGPT's WRITE_LIBRARY, which is not a core scope of the External API guide. */
export const LIBRARY_WRITE: Scope[] = ["WRITE_GRAPH"];

const AnyRecord = Type.Record(Type.String(), Type.Unknown());

/** AutoGPT's TenantedResource: Agentry has no organizations or teams, so both are always null. */
export const tenanted = {
  organization_id: Nullable(Type.String({ description: "Organization the resource belongs to" })),
  team_id: Nullable(Type.String({ description: "Team within the organization; null means organization-wide" })),
};

/** What a library agent and a preset both say of the graph version they are about. */
const aboutGraph = {
  id: Type.String(),
  graph_id: Type.String(),
  graph_version: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
};

export const TriggerSetupInfo = Type.Object(GraphTriggerInfo.properties, { title: "TriggerSetupInfo" });

export const LibraryAgent = Type.Object(
  {
    ...tenanted,
    ...aboutGraph,
    is_favorite: Type.Boolean(),
    can_access_graph: Type.Boolean(),
    is_latest_version: Type.Boolean(),
    image_url: Nullable(Type.String()),
    creator_name: Type.String(),
    input_schema: AnyRecord,
    output_schema: AnyRecord,
    trigger_setup_info: Nullable(TriggerSetupInfo),
    recommended_schedule_cron: Nullable(Type.String()),
    folder_id: Nullable(Type.String({ description: "ID of the folder this agent is in" })),
    folder_name: Nullable(Type.String({ description: "Name of the folder this agent is in" })),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { title: "LibraryAgent" },
);

/** A library agent as v2 shows it: the row, and the name and computed schemas of the graph version it points at. */
export function toLibraryAgent(record: LibraryAgentRecord, userId: string): typeof LibraryAgent.static {
  const { agent, graph, interface: computed } = record;
  const updated = new Date(Math.max(agent.updatedAt.getTime(), graph.updatedAt.getTime()));
  return {
    organization_id: null,
    team_id: null,
    id: agent.id,
    graph_id: agent.graphId,
    graph_version: agent.graphVersion,
    name: graph.name ?? "",
    description: graph.description ?? "",
    is_favorite: agent.isFavorite,
    can_access_graph: graph.userId === userId,
    // As AutoGPT: the library agent always presents the version it points at as current.
    is_latest_version: true,
    image_url: agent.imageUrl,
    creator_name: record.creatorName || "Unknown",
    input_schema: computed.input_schema,
    output_schema: computed.output_schema,
    trigger_setup_info: computed.trigger_setup_info,
    recommended_schedule_cron: graph.recommendedScheduleCron,
    folder_id: null,
    folder_name: null,
    created_at: agent.createdAt.toISOString(),
    updated_at: updated.toISOString(),
  };
}

export const AgentPreset = Type.Object(
  {
    ...tenanted,
    ...aboutGraph,
    is_active: Type.Boolean(),
    inputs: AnyRecord,
    webhook_id: Nullable(Type.String({ description: "Webhook ID if this preset is triggered by a webhook" })),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { title: "AgentPreset" },
);

export function toAgentPreset(row: PresetRow): typeof AgentPreset.static {
  return {
    organization_id: null,
    team_id: null,
    id: row.id,
    graph_id: row.graphId,
    graph_version: row.graphVersion,
    name: row.name,
    description: row.description,
    is_active: row.isActive,
    inputs: row.inputs as Record<string, unknown>,
    webhook_id: null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

const RunStatus = executionStatusTitled("RunStatus");

const CredentialInputInfo = Type.Object(
  { id: Type.String(), title: Nullable(Type.String()), provider: Type.String(), type: Type.String() },
  { title: "CredentialInputInfo" },
);

export const AgentGraphRun = Type.Object(
  {
    ...tenanted,
    id: Type.String(),
    graph_id: Type.String(),
    graph_version: Type.Integer(),
    status: RunStatus,
    started_at: Nullable(DateTime),
    ended_at: Nullable(DateTime),
    inputs: Nullable(AnyRecord),
    credentials_inputs: Nullable(
      Type.Record(Type.String(), CredentialInputInfo, {
        description: "Credential inputs used in this run (metadata only, no secrets)",
      }),
    ),
    preset_id: Nullable(Type.String({ description: "Preset ID used for this run" })),
    is_shared: Type.Boolean({ description: "Whether this run is shared" }),
    share_token: Nullable(Type.String({ description: "Share token for public access" })),
    cost_cents: Type.Integer({ description: "Cost in cents" }),
    duration_seconds: Type.Number({ description: "Wall-clock duration" }),
    node_exec_count: Type.Integer({ description: "Number of nodes executed" }),
    correctness_score: Nullable(Type.Number()),
  },
  { title: "AgentGraphRun" },
);

export function toAgentGraphRun(row: RunRecord): typeof AgentGraphRun.static {
  const stats = (row.stats ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  return {
    organization_id: null,
    team_id: null,
    id: row.id,
    graph_id: row.graphId,
    graph_version: row.graphVersion,
    status: row.status,
    started_at: row.startedAt ? row.startedAt.toISOString() : null,
    ended_at: row.endedAt ? row.endedAt.toISOString() : null,
    inputs: row.inputs as Record<string, unknown>,
    credentials_inputs: credentialsMeta(row.credentialInputs),
    preset_id: row.presetId,
    is_shared: Boolean(row.shareToken),
    share_token: row.shareToken ?? null,
    cost_cents: Math.round(num(stats.cost)),
    duration_seconds: num(stats.duration),
    node_exec_count: Math.round(num(stats.node_exec_count)),
    correctness_score: typeof stats.correctness_score === "number" ? stats.correctness_score : null,
  };
}
