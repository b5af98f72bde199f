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
const defaultValidators = (fromFastify("@fastify/ajv-compiler") as () => BuildValidator)();
const defaultSerializers = (fromFastify("@fastify/fast-json-stringify-compiler") as () => BuildSerializer)();

/** Validators that compile on first use; Fastify reads a failed validation's `errors` off the function it called. */
const buildValidator: BuildValidator = (externalSchemas, options) => {
  const compile = defaultValidators(externalSchemas, options);
  return (route) => {
    let compiled: Validate | undefined;
    const validate: Validate = (data) => {
      compiled ??= compile(route);
      const result = compiled(data);
      validate.errors = compiled.errors;
      return result;
    };
    return validate;
  };
};

const buildSerializer: BuildSerializer = (externalSchemas, options) => {
  const compile = defaultSerializers(externalSchemas, options);
  return (route) => {
    let compiled: Serialize | undefined;
    return (data) => {
      compiled ??= compile(route);
      return compiled(data);
    };
  };
};

/** Fastify's `schemaController` option. */
export const lazySchemaController = {
  compilersFactory: { buildValidator, buildSerializer },
} as unknown as FastifyServerOptions["schemaController"];
