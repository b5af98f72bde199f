// Route schemas compiled on a route's first request instead of all at start. Compiling every route's validators (Ajv)
// and response serializers (fast-json-stringify) took most of a second of `app.ready()` and kept code for routes a
// process never serves; a route's first request now pays its few milliseconds. The compilers are Fastify's own
// defaults, loaded from where Fastify resolves them, so the options (the `ajv` option among them) apply unchanged.
import { createRequire } from "node:module";
import type { FastifyServerOptions } from "fastify";

type Validate = ((data: unknown) => unknown) & { errors?: unknown };
type Serialize = (data: unknown) => string;
type BuildValidator = (externalSchemas: unknown, options: unknown) => (route: unknown) => Validate;
type BuildSerializer = (externalSchemas: unknown, options: unknown) => (route: unknown) => Serialize;

const fromFastify = createRequire(createRequire(import.meta.url).resolve("fastify"));
// Loaded on the first compilation too (Ajv and fast-json-stringify are some 100 modules).
let defaultValidators: BuildValidator | undefined;
let defaultSerializers: BuildSerializer | undefined;

/** Validators that compile on first use; Fastify reads a failed validation's `errors` off the function it called. */
const buildValidator: BuildValidator = (externalSchemas, options) => {
  let compile: ((route: unknown) => Validate) | undefined;
  return (route) => {
    let compiled: Validate | undefined;
    const validate: Validate = (data) => {
      if (!compiled) {
        defaultValidators ??= (fromFastify("@fastify/ajv-compiler") as () => BuildValidator)();
        compile ??= defaultValidators(externalSchemas, options);
        compiled = compile(route);
      }
      const result = compiled(data);
      validate.errors = compiled.errors;
      return result;
    };
    return validate;
  };
};

const buildSerializer: BuildSerializer = (externalSchemas, options) => {
  let compile: ((route: unknown) => Serialize) | undefined;
  return (route) => {
    let compiled: Serialize | undefined;
    return (data) => {
      if (!compiled) {
        defaultSerializers ??= (fromFastify("@fastify/fast-json-stringify-compiler") as () => BuildSerializer)();
        compile ??= defaultSerializers(externalSchemas, options);
        compiled = compile(route);
      }
      return compiled(data);
    };
  };
};

/** Fastify's `schemaController` option. */
export const lazySchemaController = {
  compilersFactory: { buildValidator, buildSerializer },
} as unknown as FastifyServerOptions["schemaController"];
