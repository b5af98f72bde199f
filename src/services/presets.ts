// Presets (AutoGPT's AgentPreset): saved inputs and credentials for one of the user's graph versions, and runs
// started from them, through the one start-run use case (the preset's inputs overridden by the request's).
import { ApiError } from "../core/errors.js";
import type { GraphModel } from "../core/graph-types.js";
import { openCredentials, sealCredentials } from "../engine/credentials.js";
import type { Db } from "../infra/db/index.js";
import type { GraphExecutionRow } from "../infra/db/repos/executions.js";
import * as repo from "../infra/db/repos/library.js";
import type { RunInputs, RunService, RunSource } from "./runs.js";

export type PresetRow = repo.PresetRow;

export interface NewPresetRequest {
  graphId: string;
  graphVersion: number;
  name: string;
  description: string;
  inputs: Record<string, unknown>;
  credentials_inputs: Record<string, unknown>;
  isActive: boolean;
}

/** The fields to change; absent (or null) ones stay as they are. */
export interface PresetUpdate {
  name?: string | null;
  description?: string | null;
  inputs?: Record<string, unknown> | null;
  credentials_inputs?: Record<string, unknown> | null;
  isActive?: boolean | null;
}

/** AutoGPT's TriggeredPresetSetupRequest. */
export interface TriggeredPresetRequest {
  name: string;
  description: string;
  graphId: string;
  graphVersion: number;
  /** The trigger node's inputs (its constants and secret token, for the generic webhook trigger). */
  triggerConfig: Record<string, unknown>;
  agentCredentials: Record<string, unknown>;
}

/** What setting up a triggered preset asks of the webhooks: a webhook of its own for the graph's trigger node. */
export interface TriggerWebhooks {
  createForTrigger(userId: string, graph: GraphModel): Promise<{ id: string }>;
}

export interface PresetServiceOptions {
  db: Db;
  runs: RunService;
  /** ENCRYPTION_KEY: presets' credential inputs are stored sealed with it. */
  encryptionKey: Buffer;
  /** Retired keys that still open older credentials (ENCRYPTION_KEYS_RETIRED). */
  retiredKeys?: readonly Buffer[];
}

const notFound = (presetId: string) => ApiError.notFound(`Preset #${presetId}`);

export class PresetService {
  constructor(private readonly options: PresetServiceOptions) {}

  private get db() {
    return this.options.db;
  }

  async list(userId: string, filter: { graphId?: string; offset: number; limit: number }) {
    return repo.listPresets(this.db, userId, filter);
  }

  /** The user's preset, or 404. */
  async get(userId: string, presetId: string): Promise<PresetRow> {
    const row = await repo.getPreset(this.db, userId, presetId);
    if (!row) throw notFound(presetId);
    return row;
  }

  /** Saves a preset of one of the user's graph versions (404 for another's or an unknown one). */
  async create(userId: string, preset: NewPresetRequest): Promise<PresetRow> {
    await this.options.runs.graphToRun(userId, preset.graphId, preset.graphVersion);
    return repo.createPreset(this.db, userId, {
      graphId: preset.graphId,
      graphVersion: preset.graphVersion,
      name: preset.name,
      description: preset.description,
      inputs: preset.inputs,
      credentials: sealCredentials(this.options.encryptionKey, preset.credentials_inputs),
      isActive: preset.isActive,
    });
  }

  /**
   * Saves the inputs and credentials of one of the user's runs as a preset of its graph version (AutoGPT's
   * LibraryAgentPresetCreatableFromGraphExecution); 404 for another's run or an unknown one.
   */
  async createFromRun(
    userId: string,
    runId: string,
    preset: { name: string; description: string; isActive: boolean },
  ): Promise<PresetRow> {
    const run = await this.options.runs.find(userId, runId);
    return this.create(userId, {
      ...preset,
      graphId: run.graphId,
      graphVersion: run.graphVersion,
      inputs: (run.inputs ?? {}) as Record<string, unknown>,
      credentials_inputs: openCredentials(this.keys, run.credentialInputs),
    });
  }

  /**
   * AutoGPT's setup-trigger: a webhook of its own for the trigger node of one of the user's graph versions, and an
   * active preset holding the trigger's configuration that each post to that webhook runs (404 for another's graph,
   * 400 for a graph without a webhook trigger).
   */
  async setupTrigger(userId: string, request: TriggeredPresetRequest, webhooks: TriggerWebhooks): Promise<PresetRow> {
    const graph = await this.options.runs.graphToRun(userId, request.graphId, request.graphVersion);
    const webhook = await webhooks.createForTrigger(userId, graph);
    return repo.createPreset(this.db, userId, {
      graphId: graph.id,
      graphVersion: graph.version,
      name: request.name,
      description: request.description,
      inputs: request.triggerConfig,
      credentials: sealCredentials(this.options.encryptionKey, request.agentCredentials),
      isActive: true,
      webhookId: webhook.id,
    });
  }

  private get keys(): Buffer[] {
    return [this.options.encryptionKey, ...(this.options.retiredKeys ?? [])];
  }

  async update(userId: string, presetId: string, update: PresetUpdate): Promise<PresetRow> {
    const changes: repo.PresetChanges = {};
    if (update.name != null) changes.name = update.name;
    if (update.description != null) changes.description = update.description;
    if (update.inputs != null) changes.inputs = update.inputs;
    if (update.credentials_inputs != null) {
      changes.credentials = sealCredentials(this.options.encryptionKey, update.credentials_inputs);
    }
    if (update.isActive != null) changes.isActive = update.isActive;
    const row = await repo.updatePreset(this.db, userId, presetId, changes);
    if (!row) throw notFound(presetId);
    return row;
  }

  async delete(userId: string, presetId: string): Promise<void> {
    if (!(await repo.deletePreset(this.db, userId, presetId))) throw notFound(presetId);
  }

  /** Starts a run of the preset's graph version with its inputs and credentials, overridden by the request's. */
  async run(
    userId: string,
    presetId: string,
    request: RunInputs = {},
    source: RunSource = "preset",
  ): Promise<GraphExecutionRow> {
    const preset = await this.get(userId, presetId);
    return this.options.runs.start(
      userId,
      preset.graphId,
      preset.graphVersion,
      {
        inputs: { ...(preset.inputs as Record<string, unknown>), ...(request.inputs ?? {}) },
        credentials_inputs: {
          ...openCredentials(this.keys, preset.credentials),
          ...(request.credentials_inputs ?? {}),
        },
        presetId: preset.id,
      },
      source,
    );
  }
}
