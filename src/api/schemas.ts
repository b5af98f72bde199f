// Schemas shared across route groups: the error envelope, pagination, ids.
import { type TNull, type TSchema, type TUnion, Type } from "@sinclair/typebox";

/** A field error as FastAPI reports it (pydantic's ValidationError item). */
export const ValidationErrorItem = Type.Object(
  {
    loc: Type.Array(Type.Union([Type.String(), Type.Integer()]), {
      description: 'Where: the request part ("body", "query", "path") then the path into it',
    }),
    msg: Type.String(),
    type: Type.String({ description: 'pydantic\'s error type, e.g. "missing", "int_type"', examples: ["missing"] }),
  },
  { title: "ValidationError" },
);

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ examples: ["NOT_FOUND"] }),
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
    detail: Type.Union([Type.String(), Type.Array(ValidationErrorItem)], {
      description:
        "FastAPI's `detail`, for clients written against AutoGPT: the field errors of a 422 validation error, " +
        "the message otherwise",
    }),
  },
  { $id: "ErrorEnvelope", title: "ErrorEnvelope" },
);

const ref = Type.Ref("ErrorEnvelope");
/** The error responses a route can give, for its OpenAPI entry. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ref]));
}

export const Pagination = Type.Object({
  total_items: Type.Integer(),
  total_pages: Type.Integer(),
  current_page: Type.Integer(),
  page_size: Type.Integer(),
});

export const PageQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});

export function pagination(total: number, page: number, pageSize: number) {
  return {
    total_items: total,
    total_pages: Math.ceil(total / pageSize),
    current_page: page,
    page_size: pageSize,
  };
}

export const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

export const DateTime = Type.String({ format: "date-time" });
/**
 * `T | null`. Written as a JSON Schema type list (`"type": ["string", "null"]`) where the schema has one type:
 * with Ajv's type coercion an `anyOf [string, null]` would turn a null in a request body into "".
 */
export function Nullable<T extends TSchema>(schema: T): TUnion<[T, TNull]> {
  const type = (schema as { type?: unknown }).type;
  // The static type stays the union's; only the JSON Schema that Ajv and the serializer read changes.
  if (typeof type === "string") return { ...schema, type: [type, "null"] } as unknown as TUnion<[T, TNull]>;
  return Type.Union([schema, Type.Null()]);
}

/** OpenAPI security of routes open to signed-in users and to API keys / OAuth tokens. */
export const anyCredentials: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];
