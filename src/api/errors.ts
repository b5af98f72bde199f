// Turns every failure (thrown ApiError, schema validation, body parsing, unknown route) into the spec's envelope.
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApiError } from "../core/errors.js";
import { isBadValueError, isDatabaseUnavailable } from "../infra/db/errors.js";

export function envelope(err: ApiError) {
  return { error: { code: err.code, message: err.message, details: err.details } };
}

type ValidationIssue = { instancePath?: string; message?: string; params?: Record<string, unknown>; keyword?: string };

/** Fastify's Ajv issues as `{field, message}`, where field is a dotted path into the request part. */
function validationDetails(err: FastifyError): Array<Record<string, unknown>> {
  const context = (err as { validationContext?: string }).validationContext ?? "body";
  return ((err.validation ?? []) as ValidationIssue[]).map((issue) => {
    let field = (issue.instancePath ?? "").replace(/^\//, "").replace(/\//g, ".");
    const missing = issue.params?.missingProperty ?? issue.params?.additionalProperty;
    if (typeof missing === "string") field = field ? `${field}.${missing}` : missing;
    const message = issue.keyword === "additionalProperties" ? "unknown field" : (issue.message ?? "is invalid");
    return { field: field ? `${context}.${field}` : context, message, location: context };
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
