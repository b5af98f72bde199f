// JSON shapes External API v1 shares between its route files (the graph model is core/graph-schema.ts).
import { Type } from "@sinclair/typebox";

export const Json = Type.Record(Type.String(), Type.Unknown());

export const Id = Type.String({ minLength: 1, maxLength: 200 });

/** A string that is one of `values` (a JSON Schema enum, typed as their union). */
export function StringEnum<T extends string>(values: readonly T[], options: Record<string, unknown> = {}) {
  return Type.Unsafe<T>({ ...options, type: "string", enum: [...values] });
}
