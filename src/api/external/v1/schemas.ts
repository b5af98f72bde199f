// JSON shapes External API v1 shares between its route files: graphs as AutoGPT serializes them, ids in paths.
import { Type } from "@sinclair/typebox";
import { DateTime, Nullable } from "../../schemas.js";

export const Json = Type.Record(Type.String(), Type.Unknown());

export const Id = Type.String({ minLength: 1, maxLength: 200 });

/** A string that is one of `values` (a JSON Schema enum, typed as their union). */
export function StringEnum<T extends string>(values: readonly T[], options: Record<string, unknown> = {}) {
  return Type.Unsafe<T>({ ...options, type: "string", enum: [...values] });
}

const Link = Type.Object({
  id: Type.String(),
  source_id: Type.String(),
  sink_id: Type.String(),
  source_name: Type.String(),
  sink_name: Type.String(),
  is_static: Type.Boolean(),
});

const metaFields = {
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
  created_at: DateTime,
};

/** AutoGPT's GraphMeta: one version's metadata, as GET /graphs lists it. */
export const GraphMeta = Type.Object(metaFields, { title: "GraphMeta" });

const modelFields = {
  ...metaFields,
  nodes: Type.Array(
    Type.Object({
      id: Type.String(),
      block_id: Type.String(),
      input_default: Json,
      metadata: Json,
      input_links: Type.Array(Link),
      output_links: Type.Array(Link),
      graph_id: Type.Optional(Type.String()),
      graph_version: Type.Optional(Type.Integer()),
      webhook_id: Type.Optional(Nullable(Type.String())),
    }),
  ),
  links: Type.Array(Link),
  input_schema: Json,
  output_schema: Json,
  has_external_trigger: Type.Boolean(),
  has_human_in_the_loop: Type.Boolean(),
  has_sensitive_action: Type.Boolean(),
  trigger_setup_info: Nullable(Json),
  credentials_input_schema: Json,
};

/** AutoGPT's GraphModel: a stored version with its computed schemas and its sub-graphs (no nested sub-graphs). */
export const GraphModel = Type.Object(
  { ...modelFields, sub_graphs: Type.Array(Type.Object(modelFields)) },
  { title: "GraphModel" },
);

/** A nullable request field as a JSON type list, so Ajv's type coercion never turns a null into "" or 0. */
function OrNull(type: "string" | "integer" | "boolean") {
  return Type.Unsafe<string | number | boolean | null>({ type: [type, "null"] });
}

const NodeBody = Type.Object({
  id: Type.Optional(OrNull("string")),
  block_id: Type.String({ minLength: 1 }),
  input_default: Type.Optional(Json),
  metadata: Type.Optional(Json),
});

const LinkBody = Type.Object({
  id: Type.Optional(OrNull("string")),
  source_id: Type.String(),
  sink_id: Type.String(),
  source_name: Type.String(),
  sink_name: Type.String(),
  is_static: Type.Optional(OrNull("boolean")),
});

const graphBodyFields = {
  id: Type.Optional(OrNull("string")),
  version: Type.Optional(OrNull("integer")),
  is_active: Type.Optional(OrNull("boolean")),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  instructions: Type.Optional(OrNull("string")),
  recommended_schedule_cron: Type.Optional(OrNull("string")),
  forked_from_id: Type.Optional(OrNull("string")),
  forked_from_version: Type.Optional(OrNull("integer")),
  nodes: Type.Optional(Type.Array(NodeBody, { maxItems: 20_000 })),
  links: Type.Optional(Type.Array(LinkBody, { maxItems: 100_000 })),
};

/** AutoGPT's `Graph` request body; computed fields and other extra keys of an export are accepted and ignored. */
export const GraphBody = Type.Object(
  {
    ...graphBodyFields,
    sub_graphs: Type.Optional(Type.Array(Type.Object(graphBodyFields), { maxItems: 1000 })),
  },
  { title: "Graph" },
);

// `scoped()` puts the route's scopes in its config; without this, TypeScript rejects that config as unrelated
// to FastifyContextConfig (a type whose properties are all optional). Identical to any declaration in common.ts.
declare module "fastify" {
  interface FastifyContextConfig {
    scopes?: import("../../../auth/scopes.js").Scope[];
  }
}
