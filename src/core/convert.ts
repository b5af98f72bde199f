// Input coercion as AutoGPT's backend/util/type.py convert() does it, driven by a pin's JSON schema instead of a Python annotation.

/** The parts of a JSON schema that coercion looks at. */
export interface JsonSchema {
  type?: string | string[];
  items?: JsonSchema | JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  [keyword: string]: unknown;
}

type Target = "string" | "integer" | "number" | "boolean" | "array" | "object";
const TARGETS = new Set<string>(["string", "integer", "number", "boolean", "array", "object"]);

/**
 * Coerces `value` towards `schema` the way AutoGPT's executor does before validating a node's input:
 * only plain types convert (str, int, float, bool, list, dict); unions, enums and `Any` pass unchanged,
 * because AutoGPT converts by annotation and a Python Union/Enum/Any is never converted.
 * `null` passes unchanged too: the executor never converts None.
 */
export function convertValue(value: unknown, schema: JsonSchema | undefined): unknown {
  if (value === null || value === undefined || !isRecord(schema)) return value;
  const target = targetOf(schema);
  if (!target) return value;
  if (isOfType(value, target)) return convertElements(value, target, schema);
  switch (target) {
    case "string":
      return pythonJsonDumps(value);
    case "integer":
      return toNumber(value, true);
    case "number":
      return toNumber(value, false);
    case "boolean":
      return typeof value === "string" ? ["true", "1"].includes(value.toLowerCase()) : pythonTruthy(value);
    case "array":
      return convertElements(toList(value), "array", schema);
    case "object":
      return convertElements(toDict(value), "object", schema);
  }
}

function targetOf(schema: JsonSchema): Target | undefined {
  // A `["integer", "null"]` type list is Python's Optional[int]: a Union, which AutoGPT leaves alone.
  return typeof schema.type === "string" && TARGETS.has(schema.type) ? (schema.type as Target) : undefined;
}

function isOfType(value: unknown, target: Target): boolean {
  switch (target) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return isRecord(value);
  }
}

/** list[X] and dict[str, X] convert their elements too; list[Any] and dict[str, Any] keep them. */
function convertElements(value: unknown, target: Target, schema: JsonSchema): unknown {
  if (target === "array" && Array.isArray(value) && isRecord(schema.items)) {
    const items = schema.items as JsonSchema;
    return value.map((v) => convertValue(v, items));
  }
  if (target === "object" && isRecord(value) && isRecord(schema.additionalProperties)) {
    const inner = schema.additionalProperties as JsonSchema;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertValue(v, inner)]));
  }
  return value;
}

function toNumber(value: unknown, integer: boolean): number {
  let n: number;
  if (Array.isArray(value)) n = value.length;
  else if (isRecord(value)) n = Object.keys(value).length;
  // Python's bool is an int; JSON Schema's boolean is not, so True becomes 1 rather than staying True.
  else if (typeof value === "boolean") n = value ? 1 : 0;
  else if (typeof value === "number") n = value;
  else if (typeof value === "string") n = parsePythonFloat(value) ?? 0;
  else n = 0;
  if (!integer) return n;
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** Python's float(str): surrounding whitespace, underscores between digits, inf/nan spellings. */
export function parsePythonFloat(text: string): number | undefined {
  const s = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return Number.NaN;
  const digits = String.raw`\d(?:_?\d)*`;
  const re = new RegExp(`^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`);
  if (!re.test(s)) return undefined;
  return Number(s.replaceAll("_", ""));
}

function toList(value: unknown): unknown[] {
  if (isRecord(value)) return Object.entries(value).map(([k, v]) => [k, v]);
  if (typeof value === "string") {
    const s = value.trim();
    if (s.startsWith("[") && s.endsWith("]")) {
      try {
        return JSON.parse(s) as unknown[];
      } catch {
        return [s];
      }
    }
    return [s];
  }
  return [value];
}

function toDict(value: unknown): Record<string, unknown> {
  if (typeof value === "string") {
    try {
      const parsed: unknown = JSON.parse(value);
      return isRecord(parsed) ? parsed : { value: parsed };
    } catch {
      return { value };
    }
  }
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), v]));
  return { value };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Python's bool(x) for JSON values. */
export function pythonTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0; // NaN is truthy in Python too
  if (typeof value === "string") return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return true;
}

/** Python's repr(float) / str(int) for a JS number. */
export function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (Number.isInteger(n)) return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
  // Python switches to exponent notation outside 1e-4 <= |n| < 1e16 and pads the exponent to 2 digits.
  const [mantissa, expText] = n.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return String(n);
}

/** Python's json.dumps(value) with its defaults: ", " and ": " separators, ensure_ascii. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
    return pythonNumber(value);
  }
  if (typeof value === "string") {
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  if (isRecord(value)) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`)
      .join(", ")}}`;
  }
  return pythonJsonDumps(String(value));
}
