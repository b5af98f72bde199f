// External API v2's own conventions, as AutoGPT's: lowercase error codes in the envelope, and cursor pagination
// (`?limit=&cursor=` in, `{items, next_cursor, total_count}` out).
import { type TSchema, Type } from "@sinclair/typebox";
import type { FastifyError, FastifyInstance } from "fastify";
import { ApiError } from "../../../core/errors.js";
import { fieldErrors, reportError } from "../../errors.js";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  402: "payment_required",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "validation_error",
  428: "precondition_required",
  429: "rate_limit_exceeded",
  500: "internal_error",
  502: "upstream_error",
  503: "service_unavailable",
};

export function v2Code(status: number): string {
  return CODES[status] ?? (status >= 500 ? "internal_error" : "request_failed");
}

/**
 * The details of a v2 error; a validation error's field errors also carry pydantic's `loc`, `msg` and `type`, as
 * AutoGPT's v2 lists them (v2 has no FastAPI `detail`: its envelope is the whole contract).
 */
function v2Details(apiError: ApiError): Record<string, unknown> | null {
  if (Object.keys(apiError.details).length === 0) return null;
  const pydantic = fieldErrors(apiError);
  if (!pydantic) return apiError.details;
  const errors = apiError.details.errors as Array<Record<string, unknown>>;
  return { ...apiError.details, errors: errors.map((e, i) => ({ ...e, ...pydantic[i] })) };
}

/** v2 answers failures as `{"error": {"code": "not_found", "message", "details"}}`: lowercase codes, null details. */
export function installV2Errors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    const apiError = reportError(err, request, reply);
    const details = v2Details(apiError);
    return reply
      .status(apiError.status)
      .send({ error: { code: v2Code(apiError.status), message: apiError.message, details } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: {
        code: "not_found",
        message: `Route ${request.method} ${request.url.split("?")[0]} not found`,
        details: null,
      },
    }),
  );
}

export const V2Error = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ examples: ["not_found"] }),
      message: Type.String(),
      details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    }),
  },
  { title: "ErrorResponse" },
);

/** The error responses of a v2 route, for its OpenAPI entry. */
export function v2Errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, V2Error]));
}

export const PageQuery = Type.Object({
  limit: Type.Integer({
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
    description: `Items per page (max ${MAX_PAGE_SIZE})`,
  }),
  cursor: Type.Optional(Type.String({ maxLength: 500, description: "`next_cursor` from the previous response" })),
});

export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: "Pass as `cursor` to fetch the next page. `null` on the last page.",
    }),
    total_count: Type.Union([Type.Integer(), Type.Null()]),
  });
}

function encode(payload: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(payload)).toString("base64url");
}

function decode(cursor: string | undefined): Record<string, unknown> {
  if (!cursor) return {};
  try {
    const payload = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (payload && typeof payload === "object" && !Array.isArray(payload)) return payload;
  } catch {}
  throw ApiError.badRequest("Malformed cursor. Pass back the `next_cursor` of a previous response.");
}

/** The `limit`/`cursor` of one request, over an offset-paginated source (the cursor is opaque to clients). */
export class PageRequest {
  readonly page: number;
  constructor(
    readonly limit: number,
    cursor?: string,
  ) {
    const page = decode(cursor).p ?? 1;
    if (typeof page !== "number" || !Number.isInteger(page) || page < 1) {
      throw ApiError.badRequest("Malformed cursor. Pass back the `next_cursor` of a previous response.");
    }
    this.page = page;
  }

  get offset(): number {
    return (this.page - 1) * this.limit;
  }

  /** A page of a source that reports its total. */
  paged<T>(items: T[], totalCount: number) {
    return {
      items,
      next_cursor: this.page * this.limit < totalCount ? encode({ p: this.page + 1 }) : null,
      total_count: totalCount,
    };
  }

  /** A page cut from everything a source returned. */
  slice<T>(all: T[]) {
    return this.paged(all.slice(this.offset, this.offset + this.limit), all.length);
  }
}
