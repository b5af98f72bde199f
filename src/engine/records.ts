// The API views of stored runs: a RunRecord as AutoGPT's GraphExecution, a node execution as NodeExecutionResult.
import { credentialsMeta } from "./credentials.js";
import type { NodeExecutionRecord, RunRecord } from "./ports.js";
import type { GraphExecution, GraphExecutionStats, NodeExecutionResult } from "./types.js";

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function toGraphExecution(row: RunRecord): GraphExecution {
  return {
    id: row.id,
    user_id: row.userId,
    graph_id: row.graphId,
    graph_version: row.graphVersion,
    inputs: row.inputs as Record<string, unknown>,
    credential_inputs: credentialsMeta(row.credentialInputs),
    nodes_input_masks: (row.nodesInputMasks as Record<string, unknown> | null) ?? null,
    preset_id: row.presetId,
    status: row.status,
    started_at: iso(row.startedAt),
    ended_at: iso(row.endedAt),
    is_shared: Boolean(row.shareToken),
    share_token: row.shareToken ?? null,
    is_dry_run: false,
    stats: (row.stats as GraphExecutionStats | null) ?? null,
    outputs: row.outputs as Record<string, unknown[]>,
  };
}

export function toNodeExecutionResult(row: NodeExecutionRecord, run: RunRecord): NodeExecutionResult {
  return {
    user_id: run.userId,
    graph_id: run.graphId,
    graph_version: run.graphVersion,
    graph_exec_id: row.graphExecutionId,
    node_exec_id: row.id,
    node_id: row.nodeId,
    block_id: row.blockId,
    status: row.status,
    input_data: row.inputData as Record<string, unknown>,
    output_data: row.outputData as Record<string, unknown[]>,
    add_time: row.addedAt.toISOString(),
    queue_time: iso(row.queuedAt),
    start_time: iso(row.startedAt),
    end_time: iso(row.endedAt),
  };
}
