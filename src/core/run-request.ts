// What makes a request to run a graph version acceptable, whoever asks (the three APIs, presets, schedules, tools,
// sub-agents): its inputs name only the graph's inputs and give every required one, its credential inputs give
// every credentials field the graph needs, and the graph passes AutoGPT's for-run validation.
//
// Unknown inputs are refused everywhere (422). AutoGPT's executor ignores them, so a misspelled input runs the graph
// without it and the run ends COMPLETED with nothing to show; its External API v2 refuses them for that reason, and
// here every entry point does. Unknown credential inputs are ignored (AutoGPT maps credentials best-effort).
// RunService (src/services/runs.ts) applies these rules to every run it starts; a sub-agent's run, which the engine
// starts inside its parent's (src/engine/executor.ts, runSubgraph), is to be checked with runRequestIssues too.
import { getBlock } from "../blocks/index.js";
import { validateGraph } from "./graph.js";
import type { GraphModel } from "./graph-types.js";

export interface RunIssue {
  node_id?: string;
  field: string;
  message: string;
}

export interface RunInputs {
  inputs?: Record<string, unknown>;
  credentials_inputs?: Record<string, unknown>;
}

const isSet = (value: unknown) => value !== undefined && value !== null;

/** Inputs the graph does not have, sorted. */
export function unknownInputs(graph: GraphModel, inputs: Record<string, unknown>): string[] {
  const known = graph.input_schema.properties;
  return Object.keys(inputs)
    .filter((name) => !Object.hasOwn(known, name))
    .sort();
}

/** Required inputs the request leaves unset (null counts as unset). */
export function missingInputs(graph: GraphModel, inputs: Record<string, unknown>): string[] {
  return (graph.input_schema.required ?? []).filter((name) => !isSet(inputs[name]));
}

type Pin = Record<string, unknown>;
const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v) => typeof v === "string") : []);
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((v) => b.includes(v));

/**
 * Whether every node whose credentials the graph-level field stands for has chosen its credentials itself (in its
 * constant inputs, as the builder stores them): then the run needs none for that field.
 */
function chosenOnNodes(graph: GraphModel, field: Pin): boolean {
  const providers = strings(field.credentials_provider);
  const types = strings(field.credentials_types);
  let users = 0;
  for (const g of [graph, ...graph.sub_graphs]) {
    for (const node of g.nodes) {
      const block = getBlock(node.block_id);
      if (!block) continue;
      for (const [name, raw] of Object.entries(block.input.properties)) {
        const pin = raw as Pin;
        if (!Array.isArray(pin.credentials_provider)) continue;
        let pinProviders = strings(pin.credentials_provider);
        const mapping = pin.discriminator_mapping as Record<string, string> | undefined;
        const chosen = typeof pin.discriminator === "string" ? node.input_default[pin.discriminator] : undefined;
        if (mapping && typeof chosen === "string" && mapping[chosen]) pinProviders = [mapping[chosen]];
        if (!sameSet(pinProviders, providers) || !sameSet(strings(pin.credentials_types), types)) continue;
        users++;
        const value = node.input_default[name] as Pin | undefined;
        if (!value || typeof value !== "object" || typeof value.id !== "string" || !value.id) return false;
      }
    }
  }
  return users > 0;
}

/**
 * Problems with the credential inputs: a required field without credentials (unless the operator holds a system
 * credential of one of its providers, which the engine then uses), or ones of the wrong kind.
 */
export function credentialIssues(
  graph: GraphModel,
  credentials: Record<string, unknown>,
  systemProviders: readonly string[] = [],
): RunIssue[] {
  const schema = graph.credentials_input_schema;
  const required = new Set(schema.required ?? []);
  const issues: RunIssue[] = [];
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const value = credentials[name] as Pin | null | undefined;
    const at = `credentials_inputs.${name}`;
    if (!isSet(value)) {
      const bySystem = strings(field.credentials_provider).some((p) => systemProviders.includes(p));
      if (required.has(name) && !chosenOnNodes(graph, field) && !bySystem) {
        issues.push({ field: at, message: "These credentials are required" });
      }
      continue;
    }
    if (
      typeof value !== "object" ||
      Array.isArray(value) ||
      ["id", "provider", "type"].some((k) => typeof value?.[k] !== "string")
    ) {
      issues.push({ field: at, message: "Expected a credentials reference {id, provider, type}" });
      continue;
    }
    const providers = strings(field.credentials_provider);
    const types = strings(field.credentials_types);
    if (
      (providers.length && !providers.includes(value.provider as string)) ||
      (types.length && !types.includes(value.type as string))
    ) {
      issues.push({
        field: at,
        message: `Credentials of provider ${providers.join("|")} and type ${types.join("|")} are expected, got ${String(value.provider)}/${String(value.type)}`,
      });
    }
  }
  return issues;
}

/** Everything that keeps this request from running the graph; empty when it may run. */
export function runRequestIssues(
  graph: GraphModel,
  request: RunInputs,
  systemProviders: readonly string[] = [],
): RunIssue[] {
  const inputs = request.inputs ?? {};
  const issues: RunIssue[] = [
    ...unknownInputs(graph, inputs).map((name) => ({ field: `inputs.${name}`, message: "Unknown input" })),
    ...missingInputs(graph, inputs).map((name) => ({ field: `inputs.${name}`, message: "This input is required" })),
    ...credentialIssues(graph, request.credentials_inputs ?? {}, systemProviders),
  ];
  for (const issue of validateGraph(graph, { forRun: true, inputs })) issues.push({ ...issue });
  return issues;
}

/** The one message of a refused run request. */
export function runIssuesMessage(issues: RunIssue[]): string {
  const [first] = issues;
  const what = first && issues.length === 1 ? `: ${first.field}: ${first.message}` : `: ${issues.length} issues`;
  return `Graph validation failed${what}`;
}
