// Input validation before a block runs: AutoGPT's coercion, schema defaults, then a TypeBox check with per-field errors.
import type { TObject, TSchema } from "@sinclair/typebox";
import { FormatRegistry } from "@sinclair/typebox";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import { convertValue, type JsonSchema } from "../core/convert.js";
import type { Block } from "./sdk.js";

export interface FieldError {
  field: string;
  message: string;
}

export type ValidationResult = { ok: true; value: Record<string, unknown> } | { ok: false; errors: FieldError[] };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const KNOWN_FORMATS: Record<string, (value: string) => boolean> = {
  date: (v) => {
    const m = DATE.exec(v);
    if (!m) return false;
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
  },
  time: (v) => /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v),
  "date-time": (v) => /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v) && !Number.isNaN(Date.parse(v)),
};

/**
 * TypeBox fails any string whose format it does not know, while AutoGPT's formats (file, short-text,
 * long-text, table...) are UI hints: register those as accepting anything, the real ones with a check.
 */
function registerFormats(schema: unknown, seen = new WeakSet<object>()): void {
  if (typeof schema !== "object" || schema === null || seen.has(schema)) return;
  seen.add(schema);
  const format = (schema as { format?: unknown }).format;
  if (typeof format === "string" && !FormatRegistry.Has(format)) {
    FormatRegistry.Set(format, KNOWN_FORMATS[format] ?? (() => true));
  }
  for (const child of Object.values(schema)) registerFormats(child, seen);
}

const registered = new WeakSet<object>();

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
  if (!registered.has(schema)) {
    registerFormats(schema);
    registered.add(schema);
  }
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    if (value === null || value === undefined) continue;
    const pin = schema.properties[key] as JsonSchema | undefined;
    data[key] = pin ? convertValue(value, pin) : value;
  }
  const value = Value.Default(schema, data) as Record<string, unknown>;
  if (Value.Check(schema, value)) return { ok: true, value };

  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    const field = error.path.split("/")[1] ?? "";
    if (seen.has(field)) continue;
    seen.add(field);
    errors.push({ field, message: message(error) });
  }
  return { ok: false, errors };
}
