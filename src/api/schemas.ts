// Schemas shared across route groups: the error envelope, pagination, ids.
import { type TSchema, Type } from "@sinclair/typebox";

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ examples: ["NOT_FOUND"] }),
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
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
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
