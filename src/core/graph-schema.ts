// The graph model of the AutoGPT Platform API, defined once in TypeBox: the static types of core and engine
// (graph-types.ts) and the route schemas of /api, External v1 and External v2 are all derived from these.
import { type TNull, type TSchema, type TUnion, Type } from "@sinclair/typebox";

const Json = Type.Record(Type.String(), Type.Unknown());

/**
 * `T | null`, written as a JSON Schema type list where `T` has one type: with Ajv's type coercion an
 * `anyOf [string, null]` would turn a null in a request body into "" (and an integer's null into 0).
 */
function Nullable<T extends TSchema>(schema: T): TUnion<[T, TNull]> {
  const type = (schema as { type?: unknown }).type;
  if (typeof type === "string") return { ...schema, type: [type, "null"] } as unknown as TUnion<[T, TNull]>;
  return Type.Union([schema, Type.Null()]);
}

export const Link = Type.Object(
  {
    id: Type.String(),
    source_id: Type.String(),
    sink_id: Type.String(),
    source_name: Type.String(),
    sink_name: Type.String(),
    is_static: Type.Boolean(),
  },
  { title: "Link" },
);

/** A stored node (AutoGPT's NodeModel): its links are derived from the graph's. */
export const NodeModel = Type.Object(
  {
    id: Type.String(),
    block_id: Type.String(),
    input_default: Json,
    metadata: Json,
    input_links: Type.Array(Link),
    output_links: Type.Array(Link),
    graph_id: Type.Optional(Type.String()),
    graph_version: Type.Optional(Type.Integer()),
    webhook_id: Type.Optional(Nullable(Type.String())),
  },
  { title: "NodeModel" },
);

/** A JSON Schema object as the computed input/output/credentials schemas are. */
export const JsonSchemaObject = Type.Object(
  { type: Type.Literal("object"), properties: Type.Record(Type.String(), Json), required: Type.Array(Type.String()) },
  { additionalProperties: true },
);

export const GraphTriggerInfo = Type.Object(
  { provider: Type.String(), config_schema: Json, credentials_input_name: Nullable(Type.String()) },
  { title: "GraphTriggerInfo" },
);

/** One version's own fields, in the order AutoGPT serializes them. */
export const graphMetaFields = {
  id: Type.String(),
  version: Type.Integer(),
  is_active: Type.Boolean(),
  name: Type.String(),
  description: Type.String(),
  instructions: Nullable(Type.String()),
  recommended_schedule_cron: Nullable(Type.String()),
  forked_from_id: Nullable(Type.String()),
  forked_from_version: Nullable(Type.Integer()),
  user_id: Type.String(),
  created_at: Type.String({ format: "date-time" }),
};

/** What is computed from a version's nodes (AutoGPT's read-only computed fields), once per version. */
export const graphInterfaceFields = {
  input_schema: JsonSchemaObject,
  output_schema: JsonSchemaObject,
  has_external_trigger: Type.Boolean(),
  has_human_in_the_loop: Type.Boolean(),
  has_sensitive_action: Type.Boolean(),
  trigger_setup_info: Nullable(GraphTriggerInfo),
  credentials_input_schema: JsonSchemaObject,
};

export const GraphInterface = Type.Object(graphInterfaceFields);

/** A sub-graph as AutoGPT lists it (BaseGraph): a full version without nested sub-graphs. */
export const SubGraphModel = Type.Object(
  { ...graphMetaFields, nodes: Type.Array(NodeModel), links: Type.Array(Link), ...graphInterfaceFields },
  { title: "BaseGraph" },
);

/** A stored graph version as the API returns it (AutoGPT's GraphModel), with its sub-graphs flattened. */
export const GraphModel = Type.Object(
  {
    ...graphMetaFields,
    nodes: Type.Array(NodeModel),
    links: Type.Array(Link),
    sub_graphs: Type.Array(SubGraphModel),
    ...graphInterfaceFields,
  },
  { title: "GraphModel" },
);

/** The listing shape (AutoGPT's GraphMeta): a version without nodes and links, its computed fields included. */
export const GraphMeta = Type.Object(
  { ...graphMetaFields, sub_graphs: Type.Array(SubGraphModel), ...graphInterfaceFields },
  { title: "GraphMeta" },
);

/** A version's own fields without the computed ones (what a listing reads from the graph row). */
export const GraphVersionMeta = Type.Object(graphMetaFields);

// ---------------------------------------------------------------------------------------------
// What a client submits

export const LinkInput = Type.Object({
  id: Type.Optional(Nullable(Type.String())),
  source_id: Type.String(),
  sink_id: Type.String(),
  source_name: Type.String(),
  sink_name: Type.String(),
  is_static: Type.Optional(Nullable(Type.Boolean())),
});

export const NodeInput = Type.Object({
  id: Type.Optional(Nullable(Type.String())),
  block_id: Type.String({ minLength: 1 }),
  input_default: Type.Optional(Json),
  metadata: Type.Optional(Json),
});

const graphInputFields = {
  id: Type.Optional(Nullable(Type.String())),
  version: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  is_active: Type.Optional(Nullable(Type.Boolean())),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  instructions: Type.Optional(Nullable(Type.String())),
  recommended_schedule_cron: Type.Optional(Nullable(Type.String())),
  forked_from_id: Type.Optional(Nullable(Type.String())),
  forked_from_version: Type.Optional(Nullable(Type.Integer())),
  nodes: Type.Optional(Type.Array(NodeInput, { maxItems: 20_000 })),
  links: Type.Optional(Type.Array(LinkInput, { maxItems: 100_000 })),
};

/** AutoGPT's `Graph` request body: computed fields and other extra keys of an export are accepted and ignored. */
export const GraphInput = Type.Object(
  { ...graphInputFields, sub_graphs: Type.Optional(Type.Array(Type.Object(graphInputFields), { maxItems: 1000 })) },
  { title: "Graph" },
);
