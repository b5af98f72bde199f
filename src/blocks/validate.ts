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

/** Whether a schema holds a `default` anywhere below its own top level (inside an object or union pin). */
function hasNestedDefault(schema: unknown, top = true, seen = new WeakSet<object>()): boolean {
  if (typeof schema !== "object" || schema === null || seen.has(schema)) return false;
  seen.add(schema);
  if (!top && !Array.isArray(schema) && "default" in schema) return true;
  for (const [key, child] of Object.entries(schema)) {
    if (key !== "default" && hasNestedDefault(child, false, seen)) return true;
  }
  return false;
}

/**
 * How absent pins get their defaults: for the usual schema (defaults on top-level pins only) a precomputed list,
 * copying object defaults so runs never share one; TypeBox's walk where a pin nests defaults of its own.
 */
function defaultsFor(schema: TObject): (data: Record<string, unknown>) => Record<string, unknown> {
  const pins = Object.entries(schema.properties);
  if (pins.some(([, pin]) => hasNestedDefault(pin))) {
    return (data) => Value.Default(schema, data) as Record<string, unknown>;
  }
  const defaults = pins
    .filter(([, pin]) => "default" in pin)
    .map(([key, pin]) => [key, pin.default, typeof pin.default === "object" && pin.default !== null] as const);
  return (data) => {
    for (const [key, value, copy] of defaults) if (!(key in data)) data[key] = copy ? structuredClone(value) : value;
    return data;
  };
}

interface Compiled {
  check: TypeCheck<TObject>;
  withDefaults: (data: Record<string, unknown>) => Record<string, unknown>;
}

/** Each schema is compiled once, on its first validation, and kept with it: the check and the defaults. */
const compiled = new WeakMap<TObject, Compiled>();

function compiledFor(schema: TObject): Compiled {
  let entry = compiled.get(schema);
  if (!entry) {
    registerFormats(schema);
    entry = { check: TypeCompiler.Compile(schema), withDefaults: defaultsFor(schema) };
    compiled.set(schema, entry);
  }
  return entry;
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
  const { check, withDefaults } = compiledFor(schema);
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    if (value === null || value === undefined) continue;
    const pin = schema.properties[key] as JsonSchema | undefined;
    data[key] = pin ? convertValue(value, pin) : value;
  }
  const value = withDefaults(data);
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
