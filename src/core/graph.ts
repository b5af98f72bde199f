// Graph domain logic as AutoGPT has it: fresh ids on import, computed input/output/credentials schemas, validation.
import { blockToJSON, getBlock } from "../blocks/index.js";
import type { Block } from "../blocks/sdk.js";
import { validateConstants } from "../blocks/validate.js";
import { parsePythonFloat } from "./convert.js";
import { credentialsField } from "./credentials-field.js";
import type {
  GraphInput,
  GraphInterface,
  GraphModel,
  GraphVersionMeta,
  JsonSchemaObject,
  Link,
  Node,
  SubGraphModel,
} from "./graph-types.js";
import { sanitizePinName } from "./pins.js";

export const AGENT_EXECUTOR_BLOCK_ID = "e189baac-8c20-45a1-94a7-55177ea42565";

export type { GraphInput, LinkInput, NodeInput } from "./graph-types.js";

export interface DraftNode {
  id: string;
  block_id: string;
  input_default: Record<string, unknown>;
  metadata: Record<string, unknown>;
  webhook_id?: string | null;
}

/** One graph version ready to store: every id set, links at graph level, nodes and links in submitted order. */
export type GraphDraft = Omit<GraphVersionMeta, "user_id" | "created_at"> & {
  nodes: DraftNode[];
  links: Link[];
  /** AgentExecutor targets uploaded with the graph, flattened (AutoGPT's sub_graphs). */
  sub_graphs: GraphDraft[];
};

/** One validation failure, pointing at the node and the input pin (or link pin) it concerns. */
export interface GraphValidationError {
  node_id: string;
  field: string;
  message: string;
  /** Set when the failure is about a link rather than the node's own inputs. */
  link_id?: string;
}

const uuid = () => globalThis.crypto.randomUUID();

/** A deep copy of JSON data; several times faster than structuredClone on the many small objects of a graph. */
function cloneJson<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
    return structuredClone(value);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const copy = cloneJson((value as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an own key; assigning it would set the copy's prototype instead.
    if (key === "__proto__")
      Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return out as T;
}

/** Fills AutoGPT's defaults: a missing or empty id becomes a new uuid, version 1, active, empty texts. */
export function normalizeGraph(input: GraphInput, depth = 0): GraphDraft {
  return {
    id: input.id || uuid(),
    version: input.version ?? 1,
    is_active: input.is_active ?? true,
    name: input.name ?? "",
    description: input.description ?? "",
    instructions: input.instructions ?? null,
    recommended_schedule_cron: input.recommended_schedule_cron ?? null,
    forked_from_id: input.forked_from_id ?? null,
    forked_from_version: input.forked_from_version ?? null,
    nodes: (input.nodes ?? []).map((n) => ({
      id: n.id || uuid(),
      block_id: n.block_id,
      input_default: cloneJson(n.input_default ?? {}),
      metadata: cloneJson(n.metadata ?? {}),
    })),
    links: (input.links ?? []).map((l) => ({
      id: l.id || uuid(),
      source_id: l.source_id,
      sink_id: l.sink_id,
      source_name: l.source_name,
      sink_name: l.sink_name,
      is_static: l.is_static ?? false,
    })),
    // AutoGPT flattens sub-graphs into the top graph's list; nested lists are not part of its format.
    sub_graphs: depth === 0 ? (input.sub_graphs ?? []).map((g) => normalizeGraph(g, 1)) : [],
  };
}

/**
 * New uuids for every node and link (links follow their nodes), and for the graph itself unless `keepGraphId`.
 * Sub-graphs always get new ids: they are stored as graphs of this user, and an upload must never land on
 * existing ones. AgentExecutor nodes are rebound to the uploading user and to the renamed sub-graphs.
 */
export function reassignIds(graph: GraphDraft, userId: string, options: { keepGraphId?: boolean } = {}): GraphDraft {
  const graphIds = new Map<string, string>(graph.sub_graphs.map((g) => [g.id, uuid()]));
  if (!options.keepGraphId) graphIds.set(graph.id, uuid());
  const one = (g: GraphDraft): GraphDraft => {
    // A repeated id keeps its value, so validation can name it to the client (the graph is then refused).
    const repeated = repeatedIds(g);
    const nodeIds = new Map(g.nodes.map((n) => [n.id, repeated.nodes.has(n.id) ? n.id : uuid()]));
    const nodes = g.nodes.map((n) => {
      const node = { ...n, id: nodeIds.get(n.id) as string, input_default: { ...n.input_default } };
      if (node.block_id === AGENT_EXECUTOR_BLOCK_ID) {
        node.input_default.user_id = userId;
        if (!("inputs" in node.input_default)) node.input_default.inputs = {};
        const target = node.input_default.graph_id;
        if (typeof target === "string" && graphIds.has(target)) node.input_default.graph_id = graphIds.get(target);
      }
      return node;
    });
    // A link to an id that is not a node of this graph keeps it, so validation can name it.
    const links = g.links.map((l) => ({
      ...l,
      id: repeated.links.has(l.id) ? l.id : uuid(),
      source_id: nodeIds.get(l.source_id) ?? l.source_id,
      sink_id: nodeIds.get(l.sink_id) ?? l.sink_id,
    }));
    return { ...g, id: graphIds.get(g.id) ?? g.id, nodes, links, sub_graphs: [] };
  };
  return { ...one(graph), sub_graphs: graph.sub_graphs.map(one) };
}

/** Links out of a static-output block (AgentInput, AgentOutput, StoreValue...) are static, whatever was sent. */
export function markStaticLinks(graph: GraphDraft): GraphDraft {
  const one = (g: GraphDraft): GraphDraft => {
    const blockOf = new Map(g.nodes.map((n) => [n.id, n.block_id]));
    const links = g.links.map((l) => {
      const source = getBlock(blockOf.get(l.source_id) ?? "");
      return source?.staticOutput && !l.is_static ? { ...l, is_static: true } : l;
    });
    return { ...g, links };
  };
  return { ...one(graph), sub_graphs: graph.sub_graphs.map(one) };
}

/** What POST/PUT do before validating: defaults, fresh ids, static links. */
export function prepareGraph(input: GraphInput, userId: string, options: { keepGraphId?: boolean } = {}): GraphDraft {
  return markStaticLinks(reassignIds(normalizeGraph(input), userId, options));
}

// ---------------------------------------------------------------------------------------------
// Computed fields

const valueSchemas = new WeakMap<Block, Record<string, unknown>>();
/** The block's `value` pin as its served schema has it, without description and default: the base of a property. */
function valueSchemaOf(block: Block): Record<string, unknown> {
  let schema = valueSchemas.get(block);
  if (!schema) {
    const pins = blockToJSON(block).inputSchema.properties as Record<string, Record<string, unknown>> | undefined;
    schema = { ...(pins?.value ?? {}) };
    delete schema.description;
    delete schema.default;
    valueSchemas.set(block, schema);
  }
  return schema;
}

interface SchemaNode {
  block_id: string;
  input_default: Record<string, unknown>;
}

/** AutoGPT's BaseGraph._generate_schema over the graph's Input (or Output) blocks, in node order. */
function interfaceSchema(nodes: SchemaNode[], blockType: "Input" | "Output"): JsonSchemaObject {
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  for (const node of nodes) {
    const block = getBlock(node.block_id);
    if (!block || block.blockType !== blockType) continue;
    const d = node.input_default;
    // AutoGPT logs and skips an interface node it cannot read; the name is its only required field.
    if (typeof d.name !== "string") continue;
    const value = d.value ?? null;
    properties[d.name] = {
      ...valueSchemaOf(block),
      secret: d.secret ?? false,
      // A default value has to be set for a field to be advanced.
      advanced: Boolean(d.advanced) && value !== null,
      title: d.title || d.name,
      ...(d.description ? { description: d.description } : {}),
      ...(value !== null ? { default: value } : {}),
    };
    if (value === null) required.push(d.name);
  }
  return { type: "object", properties, required };
}

export function computeInputSchema(nodes: SchemaNode[]): JsonSchemaObject {
  return interfaceSchema(nodes, "Input");
}

export function computeOutputSchema(nodes: SchemaNode[]): JsonSchemaObject {
  return interfaceSchema(nodes, "Output");
}

export function isCredentialsFieldName(name: string): boolean {
  return name === "credentials" || name.endsWith("_credentials");
}

type PinSchema = Record<string, unknown>;
const isCredentialsPin = (name: string, pin: PinSchema | undefined) =>
  Array.isArray(pin?.credentials_provider) || (isCredentialsFieldName(name) && pin?.type === "object");

interface CredentialsGraph {
  nodes: Array<SchemaNode & { id: string; metadata?: Record<string, unknown> }>;
  sub_graphs?: CredentialsGraph[];
}

/**
 * AutoGPT's credentials_input_schema: the credentials pins of every node (graph and sub-graphs), merged by
 * provider and type into one `<providers>_<types>_credentials` field each; required unless every node using it
 * marks its credentials optional. Graphs without credential pins get the empty object schema.
 */
export function computeCredentialsInputSchema(graph: CredentialsGraph): JsonSchemaObject {
  const fields = new Map<
    string,
    { providers: string[]; types: string[]; required: boolean; extra: Record<string, unknown>; values: Set<unknown> }
  >();
  for (const g of [graph, ...(graph.sub_graphs ?? [])]) {
    for (const node of g.nodes) {
      const block = getBlock(node.block_id);
      if (!block) continue;
      const requiredPins = new Set(block.input.required ?? []);
      for (const [name, raw] of Object.entries(block.input.properties)) {
        const pin = raw as PinSchema;
        if (!isCredentialsPin(name, pin)) continue;
        const { key, providers, types, discriminator, mapping, chosen } = credentialsField(pin, node.input_default);
        const required = requiredPins.has(name) && node.metadata?.credentials_optional !== true;
        const field = fields.get(key);
        if (field) {
          field.required ||= required;
          if (chosen !== undefined) field.values.add(chosen);
        } else {
          const extra: Record<string, unknown> = {};
          if (discriminator) extra.discriminator = discriminator;
          if (mapping) extra.discriminator_mapping = mapping;
          const values = new Set<unknown>(chosen !== undefined ? [chosen] : []);
          fields.set(key, { providers, types, required, extra, values });
        }
      }
    }
  }
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  for (const [key, f] of fields) {
    const choice = (list: string[]) => (list.length > 1 ? { enum: list } : { const: list[0] });
    properties[key] = {
      credentials_provider: f.providers,
      credentials_types: f.types,
      type: "object",
      properties: {
        id: { title: "Id", type: "string" },
        title: { anyOf: [{ type: "string" }, { type: "null" }], default: null, title: "Title" },
        provider: { title: "Provider", type: "string", ...choice(f.providers) },
        type: { title: "Type", type: "string", ...choice(f.types) },
      },
      required: ["id", "provider", "type"],
      ...f.extra,
      ...(f.extra.discriminator ? { discriminator_values: [...f.values] } : {}),
    };
    if (f.required) required.push(key);
  }
  return { type: "object", properties, required };
}

const blockTypesOf = (nodes: SchemaNode[]) => new Set(nodes.map((n) => getBlock(n.block_id)?.blockType));

/**
 * The fields AutoGPT computes from a version's nodes; the sub-graphs' credentials pins belong to its
 * credentials_input_schema too. No built-in block is a webhook trigger or a sensitive action yet, so
 * `trigger_setup_info` stays null and `has_sensitive_action` false.
 */
export function computeInterface(nodes: CredentialsGraph["nodes"], subGraphs: CredentialsGraph[] = []): GraphInterface {
  const types = blockTypesOf(nodes);
  return {
    input_schema: computeInputSchema(nodes),
    output_schema: computeOutputSchema(nodes),
    has_external_trigger: types.has("Webhook") || types.has("Webhook (manual)"),
    has_human_in_the_loop: types.has("Human In The Loop"),
    has_sensitive_action: false,
    trigger_setup_info: null,
    credentials_input_schema: computeCredentialsInputSchema({ nodes, sub_graphs: subGraphs }),
  };
}

/** A version's own fields (without nodes and computed ones), from a draft or a stored model. */
export function versionMetaOf(
  graph: Omit<GraphVersionMeta, "user_id" | "created_at">,
  owner: { user_id: string; created_at: string },
): GraphVersionMeta {
  return {
    id: graph.id,
    version: graph.version,
    is_active: graph.is_active,
    name: graph.name,
    description: graph.description,
    instructions: graph.instructions,
    recommended_schedule_cron: graph.recommended_schedule_cron,
    forked_from_id: graph.forked_from_id,
    forked_from_version: graph.forked_from_version,
    user_id: owner.user_id,
    created_at: owner.created_at,
  };
}

/** The stored graph as the API returns it. `input_links`/`output_links` are derived from the graph's links. */
export function toGraphModel(
  graph: GraphDraft,
  meta: { user_id: string; created_at: string },
  subGraphs: SubGraphModel[] = [],
): GraphModel {
  const inbound = new Map<string, Link[]>();
  const outbound = new Map<string, Link[]>();
  for (const link of graph.links) {
    (inbound.get(link.sink_id) ?? inbound.set(link.sink_id, []).get(link.sink_id))?.push(link);
    (outbound.get(link.source_id) ?? outbound.set(link.source_id, []).get(link.source_id))?.push(link);
  }
  const nodes: Node[] = graph.nodes.map((n) => ({
    id: n.id,
    block_id: n.block_id,
    input_default: n.input_default,
    metadata: n.metadata,
    input_links: inbound.get(n.id) ?? [],
    output_links: outbound.get(n.id) ?? [],
    graph_id: graph.id,
    graph_version: graph.version,
    webhook_id: n.webhook_id ?? null,
  }));
  return {
    ...versionMetaOf(graph, meta),
    nodes,
    links: graph.links,
    sub_graphs: subGraphs,
    ...computeInterface(graph.nodes, subGraphs),
  };
}

const SENSITIVE_KEYS = ["credentials", "api_key", "password", "token", "secret"];

function withoutSecrets(input: Record<string, unknown>, schema: PinSchema | undefined): Record<string, unknown> {
  const pins = (schema?.properties ?? {}) as Record<string, PinSchema>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const pin = pins[key];
    const sensitiveName = SENSITIVE_KEYS.some((k) => key.toLowerCase().includes(k)) && typeof value !== "boolean";
    if (pin?.secret === true || sensitiveName) continue;
    out[key] =
      value && typeof value === "object" && !Array.isArray(value)
        ? withoutSecrets(value as Record<string, unknown>, pin)
        : value;
  }
  return out;
}

/** AutoGPT's `for_export`: no owner, no credentials or secret values, no webhook bindings. */
export function stripForExport(graph: GraphModel): GraphModel {
  return { ...stripOne(graph), sub_graphs: graph.sub_graphs.map(stripOne) };
}

function stripOne<G extends SubGraphModel>(graph: G): G {
  const nodes = graph.nodes.map((n) => {
    const block = getBlock(n.block_id);
    const input_default = withoutSecrets(n.input_default, block?.input as PinSchema | undefined);
    if (block?.blockType === "Input" && input_default.secret === true) delete input_default.value;
    return { ...n, input_default, webhook_id: null };
  });
  return { ...graph, user_id: "", nodes };
}

// ---------------------------------------------------------------------------------------------
// Validation

interface ValidatableGraph {
  nodes: Array<{ id: string; block_id: string; input_default: Record<string, unknown> }>;
  links: Array<Pick<Link, "source_id" | "sink_id" | "source_name" | "sink_name"> & { id?: string }>;
  sub_graphs?: ValidatableGraph[];
}

export interface ValidateOptions {
  /** Validate for a run: required inputs of every block must be provided, not only interface blocks'. */
  forRun?: boolean;
  /** The run's graph inputs by name; an Input block whose name is given gets its `value` from them. */
  inputs?: Record<string, unknown>;
  /** Per-node input overrides of the run (AutoGPT's nodes_input_masks), which count as provided. */
  nodesInputMasks?: Record<string, Record<string, unknown>>;
}

const isToolPin = (name: string) => name.startsWith("tools_^_");
const CHECKED_AT_SAVE = new Set(["Input", "Output", "Agent"]);

const pinCache = new WeakMap<Block, { source: Set<string>; sink: Set<string> }>();
function pinsOf(block: Block, inputDefault: Record<string, unknown>, end: "source" | "sink"): Set<string> {
  if (block.blockType === "Agent") {
    // An AgentExecutor node's pins are the sub-graph's interface, copied into its constant inputs.
    const schema = inputDefault[end === "source" ? "output_schema" : "input_schema"] as PinSchema | undefined;
    const names = Object.keys((schema?.properties as Record<string, unknown> | undefined) ?? {});
    return new Set(end === "source" ? [...names, "error"] : names);
  }
  let pins = pinCache.get(block);
  if (!pins) {
    pins = {
      source: new Set([...Object.keys(block.output.properties), "error"]),
      sink: new Set(Object.keys(block.input.properties)),
    };
    pinCache.set(block, pins);
  }
  return pins[end];
}

const describeValue = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/**
 * Constant inputs checked against the block's pin types after AutoGPT's coercion. Stricter than AutoGPT in one
 * way: a non-numeric string for a number pin is an error, where AutoGPT would quietly run it as 0. Null and ""
 * count as unset (the builder writes them for cleared fields); dynamic pins (`values_#_a`) are not checked.
 */
function constantErrors(node: ValidatableGraph["nodes"][number], block: Block): GraphValidationError[] {
  const errors: GraphValidationError[] = [];
  const constants: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node.input_default)) {
    const pin = block.input.properties[key] as PinSchema | undefined;
    if (!pin || value === null || value === undefined || value === "" || sanitizePinName(key) !== key) continue;
    if (isCredentialsPin(key, pin)) continue;
    if (
      typeof value === "string" &&
      (pin.type === "number" || pin.type === "integer") &&
      parsePythonFloat(value) === undefined
    ) {
      errors.push({ node_id: node.id, field: key, message: `Expected a number, got ${describeValue(value)}` });
      continue;
    }
    constants[key] = value;
  }
  if (Object.keys(constants).length === 0) return errors;
  const result = validateConstants(block, constants);
  if (!result.ok) {
    for (const e of result.errors) {
      if (e.field in constants) errors.push({ node_id: node.id, field: e.field, message: e.message });
    }
  }
  return errors;
}

function validateOne(graph: ValidatableGraph, options: ValidateOptions): GraphValidationError[] {
  const errors: GraphValidationError[] = [];
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const blocks = new Map<string, Block>();
  for (const node of graph.nodes) {
    const block = getBlock(node.block_id);
    if (block) blocks.set(node.id, block);
    else
      errors.push({
        node_id: node.id,
        field: "block_id",
        message: `Invalid block ${node.block_id} for node #${node.id}`,
      });
  }

  const inbound = new Map<string, string[]>();
  for (const link of graph.links) {
    // Built only for a failure: a graph of 10,000 valid links should not format 20,000 messages.
    const prefix = () =>
      `Link ('${link.source_id}', '${link.source_name}') <-> ('${link.sink_id}', '${link.sink_name}')`;
    for (let end: "source" | "sink" = "source"; ; end = "sink") {
      const nodeId = end === "source" ? link.source_id : link.sink_id;
      const pin = end === "source" ? link.source_name : link.sink_name;
      const node = nodes.get(nodeId);
      const at = link.id ? { link_id: link.id } : {};
      if (!node) {
        errors.push({
          node_id: nodeId,
          field: `${end}_id`,
          message: `${prefix()}, ${nodeId} is invalid node id`,
          ...at,
        });
      } else {
        const block = blocks.get(nodeId);
        if (block && !isToolPin(pin)) {
          const allowed = pinsOf(block, node.input_default, end);
          if (!allowed.has(sanitizePinName(pin))) {
            const message = `${prefix()}, \`${pin}\` invalid, Allowed fields: ${[...allowed].join(", ")}`;
            errors.push({ node_id: nodeId, field: pin, message, ...at });
          }
        }
      }
      if (end === "sink") break;
    }
    (inbound.get(link.sink_id) ?? inbound.set(link.sink_id, []).get(link.sink_id))?.push(link.sink_name);
  }

  for (const node of graph.nodes) {
    const block = blocks.get(node.id);
    if (!block) continue;
    const d = node.input_default;
    const mask = options.nodesInputMasks?.[node.id] ?? {};
    const provided = new Set([
      ...Object.keys(d).map(sanitizePinName),
      ...(inbound.get(node.id) ?? []).map(sanitizePinName),
      ...Object.keys(mask),
    ]);
    if (block.blockType === "Input" && typeof d.name === "string" && options.inputs && d.name in options.inputs) {
      provided.add("value");
    }
    const properties = block.input.properties as Record<string, PinSchema>;
    if (options.forRun || CHECKED_AT_SAVE.has(block.blockType ?? "Standard")) {
      for (const name of block.input.required ?? []) {
        if (!provided.has(name) && !isCredentialsPin(name, properties[name])) {
          errors.push({ node_id: node.id, field: name, message: "This field is required" });
        }
      }
    }
    if (block.blockType === "Input" && typeof d.name === "string" && isCredentialsFieldName(d.name)) {
      const message = `'${d.name}' is a reserved input name: 'credentials' and \`*_credentials\` are reserved`;
      errors.push({ node_id: node.id, field: "name", message });
    }
    if (options.forRun) errors.push(...dependencyErrors(node.id, d, mask, properties, block.input.required ?? []));
    errors.push(...constantErrors(node, block));
  }
  return errors;
}

/** A pin's `depends_on` siblings must be set before a run (AutoGPT checks this only for runs). */
function dependencyErrors(
  nodeId: string,
  input: Record<string, unknown>,
  mask: Record<string, unknown>,
  properties: Record<string, PinSchema>,
  required: string[],
): GraphValidationError[] {
  const set = (v: unknown) => v !== null && v !== undefined && String(v).trim() !== "";
  const hasValue = (name: string) =>
    set(input[name]) ||
    (properties[name] && "default" in properties[name] && properties[name].default !== null) ||
    set(mask[name]);
  const errors: GraphValidationError[] = [];
  for (const [name, pin] of Object.entries(properties)) {
    const deps = Array.isArray(pin.depends_on) ? (pin.depends_on as string[]) : [];
    const missing = deps.filter((dep) => !hasValue(dep));
    if (missing.length > 0 && (hasValue(name) || required.includes(name))) {
      errors.push({ node_id: nodeId, field: name, message: `Requires ${missing.join(", ")} to be set` });
    }
  }
  return errors;
}

/**
 * Every problem of the graph and its sub-graphs, in the order AutoGPT checks them: unknown blocks, links
 * (endpoints that are not nodes, pins the block does not have), then each node's required inputs (at save only
 * Input/Output/Agent blocks, for a run every block), reserved input names and constant types.
 * There is no cycle check: loops are legal in AutoGPT graphs (a node may feed an earlier one).
 */
export function validateGraph(graph: ValidatableGraph, options: ValidateOptions = {}): GraphValidationError[] {
  const graphs = [graph, ...(graph.sub_graphs ?? [])];
  // Every other check looks nodes up by id: with repeated ids their answers would be about the wrong node.
  const duplicates = graphs.flatMap(duplicateIdErrors);
  if (duplicates.length > 0) return duplicates;
  return graphs.flatMap((g) => validateOne(g, options));
}

/** Node ids and link ids that occur more than once in one graph. */
function repeatedIds(graph: Pick<ValidatableGraph, "nodes" | "links">): { nodes: Set<string>; links: Set<string> } {
  const repeats = (ids: Array<string | undefined>) => {
    const seen = new Set<string>();
    const twice = new Set<string>();
    for (const id of ids) if (id) (seen.has(id) ? twice : seen).add(id);
    return twice;
  };
  return { nodes: repeats(graph.nodes.map((n) => n.id)), links: repeats(graph.links.map((l) => l.id)) };
}

/** One error per node id and per link id used more than once. */
export function duplicateIdErrors(graph: ValidatableGraph): GraphValidationError[] {
  const { nodes, links } = repeatedIds(graph);
  return [
    ...[...nodes].map((id) => ({
      node_id: id,
      field: "id",
      message: `Duplicate node id ${id}: node ids must be unique`,
    })),
    ...[...links].map((id) => {
      const link = graph.links.find((l) => l.id === id);
      return {
        node_id: link?.sink_id ?? "",
        link_id: id,
        field: "id",
        message: `Duplicate link id ${id}: link ids must be unique`,
      };
    }),
  ];
}
