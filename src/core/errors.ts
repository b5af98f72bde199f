// The one error type of the platform: a code and status from the API reference, a message, optional details.
export type ErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "REQUEST_TIMEOUT"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "URI_TOO_LONG"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "VALIDATION_ERROR"
  | "INSUFFICIENT_BALANCE"
  | "RATE_LIMITED"
  | "HEADERS_TOO_LARGE"
  | "NOT_IMPLEMENTED"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_ERROR";

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  static badRequest(message: string, details?: Record<string, unknown>) {
    return new ApiError("BAD_REQUEST", 400, message, details);
  }
  static unauthorized(message = "Authentication required", details?: Record<string, unknown>) {
    return new ApiError("UNAUTHORIZED", 401, message, details);
  }
  static forbidden(message = "You do not have permission to do this", details?: Record<string, unknown>) {
    return new ApiError("FORBIDDEN", 403, message, details);
  }
  static notFound(what = "Resource", details?: Record<string, unknown>) {
    return new ApiError("NOT_FOUND", 404, `${what} not found`, details);
  }
  static conflict(message: string, details?: Record<string, unknown>) {
    return new ApiError("CONFLICT", 409, message, details);
  }
  /** `errors` name each failing field, e.g. `{ field: "nodes[2].input_default.a", message: "…" }`. */
  static validation(message: string, errors: Array<Record<string, unknown>>) {
    return new ApiError("VALIDATION_ERROR", 422, message, { errors });
  }
}
