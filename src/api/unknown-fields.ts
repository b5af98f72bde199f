// Request bodies follow pydantic's rule for extra fields, as AutoGPT's models do: an object schema that says nothing
// about other fields ignores them (they are dropped before the handler sees the body, so nothing stores them);
// `additionalProperties: false` forbids them (422, pydantic's extra="forbid"); `additionalProperties: true` or
// `patternProperties` keeps them (extra="allow", free-form maps). An Ajv plugin for the route validator, so that every
// route follows the rule without saying so and the OpenAPI document shows the schemas as written. It applies to
// query strings too (FastAPI ignores unknown query parameters). None of the request models in AutoGPT's OpenAPI
// documents forbids extras; the routes that keep `additionalProperties: false` are Agentry's own (admin).
import type { Ajv, AnySchema } from "ajv";

/** The keyword the compiled copy of a schema carries: the fields it knows, everything else is dropped. */
const KNOWN_FIELDS = "x-known-fields";

/** Keywords under which a branch may fail: dropping fields there could take them from the branch that matches. */
const BRANCHES = new Set(["anyOf", "oneOf", "allOf", "not", "if", "then", "else"]);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A copy of `schema` in which objects that are silent on other fields list their known fields. */
function marked(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(marked);
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    // `properties` maps names to schemas, `default`, `const`, `enum` and `examples` hold data: not schemas to mark.
    if (BRANCHES.has(key) || ["default", "const", "enum", "examples"].includes(key)) out[key] = value;
    else if (key === "properties" && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, marked(sub)]));
    } else out[key] = marked(value);
  }
  if (isObject(schema.properties) && schema.additionalProperties === undefined && !schema.patternProperties) {
    out[KNOWN_FIELDS] = Object.keys(schema.properties);
  }
  return out;
}

/** For `ajv.plugins` in Fastify's options: route validators ignore unknown fields where the schema is silent. */
export function ignoreUnknownFields(ajv: Ajv): Ajv {
  ajv.addKeyword({
    keyword: KNOWN_FIELDS,
    schemaType: "array",
    modifying: true,
    errors: false,
    validate(known: string[], data: unknown) {
      if (isObject(data)) {
        for (const key of Object.keys(data)) if (!known.includes(key)) delete data[key];
      }
      return true;
    },
  });
  const compile = ajv.compile.bind(ajv);
  ajv.compile = ((schema: AnySchema, meta?: boolean) => compile(marked(schema) as AnySchema, meta)) as Ajv["compile"];
  return ajv;
}
