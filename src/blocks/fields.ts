// Pin-schema helpers: TypeBox schemas shaped like AutoGPT's SchemaField JSON (title, advanced, secret, required).
import {
  Kind,
  type Static,
  type TObject,
  type TProperties,
  type TSchema,
  type TUnsafe,
  Type,
  TypeRegistry,
} from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { isRecord } from "./python.js";

/** SchemaField's extras, as AutoGPT serializes them beside the JSON type. */
export interface PinOptions {
  title?: string;
  description?: string;
  placeholder?: string;
  advanced?: boolean;
  secret?: boolean;
  hidden?: boolean;
  default?: unknown;
  [keyword: string]: unknown;
}

// An enum serializes as AutoGPT's `{"type": "string", "enum": [...]}`, not TypeBox's anyOf of consts.
TypeRegistry.Set<{ enum: unknown[] }>("StringEnum", (schema, value) => schema.enum.includes(value));

// dict[str, X] serializes as `{"type": "object", "additionalProperties": X | true}`, not patternProperties.
TypeRegistry.Set<{ additionalProperties: TSchema | true }>(
  "Dict",
  (schema, value) =>
    isRecord(value) &&
    (schema.additionalProperties === true ||
      Object.values(value).every((v) => Value.Check(schema.additionalProperties as TSchema, v))),
);

export function StringEnum<const T extends string>(values: readonly T[], options: PinOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ [Kind]: "StringEnum", type: "string", enum: [...values], ...options });
}

export function Dict(options?: PinOptions): TUnsafe<Record<string, unknown>>;
export function Dict<V extends TSchema>(values: V, options?: PinOptions): TUnsafe<Record<string, Static<V>>>;
export function Dict(valuesOrOptions?: TSchema | PinOptions, maybeOptions: PinOptions = {}): TSchema {
  const isSchema = valuesOrOptions !== undefined && (Kind in valuesOrOptions || "type" in valuesOrOptions);
  const values = isSchema ? (valuesOrOptions as TSchema) : true;
  const options = isSchema ? maybeOptions : ((valuesOrOptions as PinOptions | undefined) ?? {});
  return Type.Unsafe({ [Kind]: "Dict", type: "object", additionalProperties: values, ...options });
}

/** Python's `X | None` (Optional[X]). */
export const Nullable = <T extends TSchema>(schema: T, options: PinOptions = {}) =>
  Type.Union([schema, Type.Null()], options);

/** A pin of type `Any`. */
export const AnyValue = (options: PinOptions = {}) => Type.Unknown(options);

/** pydantic's default field title: `round_result` → "Round Result", `value1` → "Value1". */
export function pyTitle(name: string): string {
  let out = "";
  let prevLetter = false;
  for (const ch of name) {
    const isLetter = ch.toLowerCase() !== ch.toUpperCase();
    out += isLetter ? (prevLetter ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    prevLetter = isLetter;
  }
  return out.replaceAll("_", " ").trim();
}

/** Marks the `error` pin of an interface schema (AutoGPT's bare BlockSchema), which is not serialized. */
export const InterfaceErrorPin = Symbol.for("agentry.interfaceErrorPin");

function schemaObject<P extends TProperties>(props: P): TObject<P> {
  const shaped: TProperties = {};
  for (const [key, pin] of Object.entries(props)) {
    const hasDefault = "default" in pin;
    // SchemaField: a pin without default is required and never advanced; one with a default is advanced unless told.
    shaped[key] = {
      ...pin,
      title: pin.title ?? pyTitle(key),
      advanced: (pin as PinOptions).advanced ?? hasDefault,
      secret: (pin as PinOptions).secret ?? false,
    };
  }
  const object = Type.Object(shaped) as TObject<P>;
  const required = Object.entries(shaped)
    .filter(([, pin]) => !("default" in pin))
    .map(([key]) => key);
  if (required.length > 0) object.required = required;
  else Reflect.deleteProperty(object, "required");
  return object;
}

/** A block's input schema: pins with a default are optional, as in AutoGPT. */
export const inputs = <P extends TProperties>(props: P) => schemaObject(props);

const ErrorPin = Type.String({ description: "Error message if the operation failed", default: "" });

/** A block's output schema with AutoGPT's `error` pin (BlockSchemaOutput), first as pydantic orders inherited fields. */
export const outputs = <P extends TProperties>(props: P) => schemaObject({ error: ErrorPin, ...props });

/** An interface output schema (AutoGPT's bare BlockSchema): the engine still gets an error pin, clients do not see it. */
export const interfaceOutputs = <P extends TProperties>(props: P) =>
  schemaObject({ ...props, error: { ...ErrorPin, [InterfaceErrorPin]: true } });
