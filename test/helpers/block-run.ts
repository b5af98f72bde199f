// Runs one block as a user would: a one-node graph created over HTTP, executed with the given credentials as the
// run's `credentials_inputs`, and waited for; returns the run and what the node yielded on each pin.
import { expect } from "vitest";
import type { Client } from "./client.js";
import { create, ended, graph, waitFor } from "./runs.js";

export interface BlockRunResult {
  run: any;
  status: string;
  /** Pin name to the values yielded on it, in order (AutoGPT's output_data). */
  outputs: Record<string, unknown[]>;
  /** The node execution as GET /api/executions/{id} shows it. */
  node: any;
}

/**
 * Runs `blockId` with `input` as its node's input_default. `credentials`, when given, is the credential with its
 * secret (`{id, provider, type, title, api_key...}`) chosen for the graph's one credentials field; pass
 * `credentialsInputs` instead to name the fields yourself (or `{}` to give none).
 */
export async function runBlock(
  api: Client,
  blockId: string,
  input: Record<string, unknown>,
  options: { credentials?: Record<string, unknown>; credentialsInputs?: Record<string, unknown> } = {},
): Promise<BlockRunResult> {
  const g = await create(api, graph(`run ${blockId}`, [{ id: "node", block_id: blockId, input_default: input }], []));
  let credentialsInputs = options.credentialsInputs;
  if (!credentialsInputs && options.credentials) {
    const fields = Object.keys(g.credentials_input_schema?.properties ?? {});
    expect(fields, "the block should ask for exactly one credential").toHaveLength(1);
    credentialsInputs = { [fields[0] as string]: options.credentials };
  }
  const res = await api.post(`/api/graphs/${g.id}/execute/${g.version}`, {
    inputs: {},
    credentials_inputs: credentialsInputs ?? {},
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const run = await waitFor(api, res.body.id, ended);
  const node = run.node_executions.find((n: any) => n.block_id === blockId) ?? run.node_executions[0];
  return { run, status: run.status, outputs: node?.output_data ?? {}, node };
}
