// Input validation before a block runs: AutoGPT's coercion, schema defaults, then a check compiled once per block schema.
import type { TObject, TSchema } from "@sinclair/typebox";
import { type TypeCheck, TypeCompiler } from "@sinclair/typebox/compiler";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import { convertValue, type JsonSchema } from "../core/convert.js";
import { useFormat } from "../core/formats.js";
import type { Block } from "./sdk.js";

export interface FieldError {
  field: string;
  message: string;
}

export type ValidationResult = { ok: true; value: Record<string, unknown> } | { ok: false; errors: FieldError[] };

/** Registers every format a schema uses with the shared registry (src/core/formats.ts) before it is compiled. */
function registerFormats(schema: unknown, seen = new WeakSet<object>()): void {
  if (typeof schema !== "object" || schema === null || seen.has(schema)) return;
  seen.add(schema);
  const format = (schema as { format?: unknown }).format;
  if (typeof format === "string") useFormat(format);
  for (const child of Object.values(schema)) registerFormats(child, seen);
}

/** Each schema is compiled to a checking function once, on its first validation, and kept with it. */
const compiled = new WeakMap<TObject, TypeCheck<TObject>>();

function checkerFor(schema: TObject): TypeCheck<TObject> {
  let check = compiled.get(schema);
  if (!check) {
    registerFormats(schema);
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check;
}

function message(error: { type: ValueErrorType; message: string; schema: TSchema }): string {
  if (error.type === ValueErrorType.ObjectRequiredProperty) return "Field required";
  const schema = error.schema as { enum?: unknown[]; type?: unknown };
  if (error.type === ValueErrorType.Kind && Array.isArray(schema.enum)) {
    return `Expected one of: ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  if (error.type === ValueErrorType.Kind && schema.type === "object") return "Expected an object";
  return error.message;
}

/**
 * Validates a node's input for `block`. As AutoGPT does: null values count as absent, each pin's value is
 * coerced to the pin's type (convertValue), absent pins take their schema default; then the whole is checked.
 */
export function validateInput(block: Block, input: Record<string, unknown>): ValidationResult {
  return validateAgainst(block.input, input);
}

const partials = new WeakMap<Block, TObject>();

/**
 * Validates some of a node's inputs (its constants, at save time) as validateInput does, without requiring the
 * rest: checking against the block's schema would fail on every missing pin and make TypeBox list all the
 * errors, for each of a graph's nodes.
 */
export function validateConstants(block: Block, input: Record<string, unknown>): ValidationResult {
  let schema = partials.get(block);
  if (!schema) {
    schema = { ...block.input, required: [] } as unknown as TObject;
    partials.set(block, schema);
  }
  return validateAgainst(schema, input);
}

function validateAgainst(schema: TObject, input: Record<string, unknown>): ValidationResult {
  const check = checkerFor(schema);
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    if (value === null || value === undefined) continue;
    const pin = schema.properties[key] as JsonSchema | undefined;
    data[key] = pin ? convertValue(value, pin) : value;
  }
  const value = Value.Default(schema, data) as Record<string, unknown>;
  if (check.Check(value)) return { ok: true, value };

  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of check.Errors(value)) {
    const field = error.path.split("/")[1] ?? "";
    if (seen.has(field)) continue;
    seen.add(field);
    errors.push({ field, message: message(error) });
  }
  return { ok: false, errors };
}
