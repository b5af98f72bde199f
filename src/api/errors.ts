// Turns every failure (thrown ApiError, schema validation, body parsing, unknown route) into the spec's envelope.
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApiError } from "../core/errors.js";
import { isBadValueError, isDatabaseUnavailable } from "../infra/db/errors.js";

/** One field error as FastAPI reports it (pydantic's `{loc, msg, type}`). */
export interface FieldError {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

/**
 * The envelope of the spec, with FastAPI's `detail` beside it so that clients written against AutoGPT read errors
 * too: the list of field errors for a validation error, the message otherwise.
 */
export function envelope(err: ApiError) {
  return {
    error: { code: err.code, message: err.message, details: err.details },
    detail: fieldErrors(err) ?? err.message,
  };
}

/** Our request parts under FastAPI's names for them. */
const LOCATIONS: Record<string, string> = { querystring: "query", params: "path", headers: "header" };

/** `nodes[2].input_default.a` as `["nodes", 2, "input_default", "a"]`; the request part under FastAPI's name. */
function locationOf(field: string): Array<string | number> {
  const loc: Array<string | number> = field
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .filter((part) => part !== "")
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const first = loc[0];
  if (typeof first === "string" && first in LOCATIONS) loc[0] = LOCATIONS[first] as string;
  return loc;
}

/** The field errors of a validation error (`details.errors`, each `{field, message, type?}`) in FastAPI's form. */
export function fieldErrors(err: ApiError): FieldError[] | undefined {
  const errors = err.details.errors;
  if (err.status !== 422 || !Array.isArray(errors)) return undefined;
  return errors.map((e: Record<string, unknown>) => ({
    loc: Array.isArray(e.loc) ? (e.loc as Array<string | number>) : locationOf(String(e.field ?? "")),
    msg: String(e.msg ?? e.message ?? "is invalid"),
    type: typeof e.type === "string" ? e.type : "value_error",
  }));
}

type ValidationIssue = {
  instancePath?: string;
  schemaPath?: string;
  message?: string;
  params?: Record<string, unknown>;
  keyword?: string;
};

/**
 * Ajv reports a value outside a union of literals once per literal and once for the union; the client gets one
 * issue naming the allowed values, as pydantic's literal_error does.
 */
function collapseUnions(issues: ValidationIssue[]): ValidationIssue[] {
  const unions = issues.filter((i) => i.keyword === "anyOf");
  if (unions.length === 0) return issues;
  const branchOf = (issue: ValidationIssue) =>
    unions.find(
      (u) =>
        u !== issue &&
        u.instancePath === issue.instancePath &&
        (issue.schemaPath ?? "").startsWith(`${(u.schemaPath ?? "").replace(/anyOf$/, "")}anyOf/`),
    );
  const allowed = new Map<ValidationIssue, unknown[]>();
  const rest: ValidationIssue[] = [];
  for (const issue of issues) {
    const union = issue.keyword === "const" ? branchOf(issue) : undefined;
    if (union) allowed.set(union, [...(allowed.get(union) ?? []), issue.params?.allowedValue]);
    else rest.push(issue);
  }
  return rest.map((issue) => {
    const values = allowed.get(issue);
    if (!values) return issue;
    const list = values.map((v) => JSON.stringify(v)).join(", ");
    return { ...issue, keyword: "enum", message: `must be one of ${list}` };
  });
}

const JSON_TYPES: Record<string, string> = {
  string: "string_type",
  integer: "int_type",
  number: "float_type",
  boolean: "bool_type",
  object: "dict_type",
  array: "list_type",
  null: "none_required",
};

/** pydantic's error type for what an Ajv keyword checks, so that FastAPI clients can tell errors apart. */
function pydanticType(issue: ValidationIssue): string {
  switch (issue.keyword) {
    case "required":
      return "missing";
    case "additionalProperties":
      return "extra_forbidden";
    case "type": {
      const type = issue.params?.type;
      const first = Array.isArray(type) ? type[0] : type;
      return JSON_TYPES[String(first)] ?? "value_error";
    }
    case "enum":
    case "const":
      return "literal_error";
    case "minimum":
      return "greater_than_equal";
    case "exclusiveMinimum":
      return "greater_than";
    case "maximum":
      return "less_than_equal";
    case "exclusiveMaximum":
      return "less_than";
    case "minLength":
      return "string_too_short";
    case "maxLength":
      return "string_too_long";
    case "pattern":
      return "string_pattern_mismatch";
    case "minItems":
    case "minProperties":
      return "too_short";
    case "maxItems":
    case "maxProperties":
      return "too_long";
    default:
      return "value_error";
  }
}

/** Fastify's Ajv issues as `{field, message, type}`, where field is a dotted path into the request part. */
function validationDetails(err: FastifyError): Array<Record<string, unknown>> {
  const context = (err as { validationContext?: string }).validationContext ?? "body";
  return collapseUnions((err.validation ?? []) as ValidationIssue[]).map((issue) => {
    let field = (issue.instancePath ?? "").replace(/^\//, "").replace(/\//g, ".");
    const missing = issue.params?.missingProperty ?? issue.params?.additionalProperty;
    if (typeof missing === "string") field = field ? `${field}.${missing}` : missing;
    const message = issue.keyword === "additionalProperties" ? "unknown field" : (issue.message ?? "is invalid");
    return { field: field ? `${context}.${field}` : context, message, location: context, type: pydanticType(issue) };
  });
}

/** Any error as the ApiError the client will see. */
export function toApiError(err: FastifyError | ApiError): ApiError {
  return err instanceof ApiError ? err : fromFastifyError(err as FastifyError);
}

/** Logs by severity and sets the headers an error carries (Retry-After); returns it as an ApiError. */
export function reportError(err: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply): ApiError {
  const apiError = toApiError(err);
  if (apiError.status >= 500) {
    request.log.error({ err }, "request failed");
  } else {
    request.log.info({ code: apiError.code, status: apiError.status }, apiError.message);
  }
  if (apiError.code === "RATE_LIMITED" && apiError.details.retry_after !== undefined) {
    reply.header("retry-after", String(apiError.details.retry_after));
  }
  return apiError;
}

function fromFastifyError(err: FastifyError): ApiError {
  if (err.validation) {
    const details = validationDetails(err);
    const first = details[0];
    return ApiError.validation(first ? `Invalid request: ${first.field} ${first.message}` : "Invalid request", details);
  }
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return ApiError.badRequest("The request body is not valid JSON");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError("PAYLOAD_TOO_LARGE", 413, "The request body is too large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError("UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported content type");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return ApiError.badRequest("Invalid Content-Length");
  }
  if (isDatabaseUnavailable(err)) {
    return new ApiError(
      "SERVICE_UNAVAILABLE",
      503,
      "The service is temporarily unavailable (database); try again later",
    );
  }
  // A value PostgreSQL cannot store or compare (out of range, malformed, NUL, bad byte sequence): bad input.
  if (isBadValueError(err)) {
    return ApiError.badRequest("A value in the request is out of range or cannot be stored");
  }
  const status = err.statusCode ?? 500;
  if (status === 404) return ApiError.notFound();
  if (status === 401) return ApiError.unauthorized();
  if (status === 403) return ApiError.forbidden();
  if (status === 429) return new ApiError("RATE_LIMITED", 429, "Too many requests");
  if (status >= 400 && status < 500) return ApiError.badRequest(err.message);
  return new ApiError("INTERNAL_ERROR", 500, "Internal server error");
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = reportError(err, request, reply);
    return reply.status(apiError.status).send(envelope(apiError));
  });

  app.setNotFoundHandler((request, reply) => {
    const err = ApiError.notFound("Route", { method: request.method, path: request.url.split("?")[0] });
    err.message = `Route ${request.method} ${request.url.split("?")[0]} not found`;
    return reply.status(404).send(envelope(err));
  });
}

/** The error a request gets that never reached a route: the HTTP parser refused it, or it timed out. */
function clientErrorOf(err: NodeJS.ErrnoException): ApiError {
  switch (err.code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new ApiError("REQUEST_TIMEOUT", 408, "The request was not received in time");
    case "HPE_HEADER_OVERFLOW":
      return new ApiError("HEADERS_TOO_LARGE", 431, "The request line and headers are too large");
    default:
      return ApiError.badRequest("The request is not valid HTTP/1.1");
  }
}

/**
 * Fastify's `clientErrorHandler`: answers what Node's HTTP parser refuses (400, 431) or times out (408) with the
 * envelope, then closes the connection, whose state is unknown after such an error.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const apiError = clientErrorOf(err);
  this.log.debug({ code: err.code, status: apiError.status }, "client error");
  const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (!socket.writable || started) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(envelope(apiError));
  socket.end(
    `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status]}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
  // A client that stops reading does not keep the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Fastify's `frameworkErrors`: a path that is not valid URL encoding (400) or has a too long parameter (414). */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const apiError =
    err.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? new ApiError("URI_TOO_LONG", 414, "A path segment of the URL is too long")
      : err.code === "FST_ERR_BAD_URL"
        ? ApiError.badRequest("The URL is not valid (bad percent-encoding)")
        : toApiError(err);
  reportError(apiError, request, reply);
  reply.header("x-request-id", request.id).status(apiError.status).send(envelope(apiError));
}
