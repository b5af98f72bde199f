// /api/store/submissions: the caller's listing submissions (list, submit, edit, delete) and their media uploads,
// and /api/store/media/... where uploaded media is served from.
import multipart from "@fastify/multipart";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import { ApiError } from "../../core/errors.js";
import { MAX_MEDIA_BYTES, MEDIA_CONTENT_TYPES } from "../../services/store.js";
import { principalOf, requireScope } from "../auth-hooks.js";
import { anyCredentials, errors, pagination } from "../schemas.js";
import {
  StorePage,
  StoreSubmission,
  StoreSubmissionEditRequest,
  StoreSubmissionRequest,
  StoreSubmissionsResponse,
  VersionParam,
} from "./schemas.js";

const MediaBody = {
  content: {
    "multipart/form-data": {
      schema: Type.Object({ file: Type.String({ format: "binary" }) }, { title: "Body_postV2Upload submission media" }),
    },
  },
};

/** The uploaded file of a multipart body (field `file`), read whole: media is at most 50 MB. */
async function readMedia(request: FastifyRequest) {
  if (!request.isMultipart()) {
    throw new ApiError(
      "UNSUPPORTED_MEDIA_TYPE",
      415,
      "Upload the file as multipart/form-data, in a field named `file`",
    );
  }
  const part = await request.file().catch((err: { statusCode?: number; message?: string }) => {
    throw ApiError.badRequest(`Malformed multipart body: ${err?.message ?? "unreadable"}`);
  });
  if (part?.fieldname !== "file") {
    part?.file.resume();
    throw ApiError.validation("A file is required in the multipart field `file`", [
      { field: "body.file", message: "Field required", location: "body" },
    ]);
  }
  const data = await part.toBuffer().catch((err: { statusCode?: number; message?: string }) => {
    if (err?.statusCode === 413) throw new ApiError("PAYLOAD_TOO_LARGE", 413, "File too large. Maximum size is 50MB");
    throw ApiError.badRequest(`Malformed multipart body: ${err?.message ?? "unreadable"}`);
  });
  return { contentType: part.mimetype, filename: part.filename, data };
}

export const submissionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.platform;
  const tags = ["store"];
  const common = { tags, security: anyCredentials };
  const read = requireScope("READ_STORE");
  const write = requireScope("WRITE_STORE");
  const userOf = (request: FastifyRequest) => principalOf(request).user.id;

  // Only this plugin's routes accept multipart bodies.
  await app.register(multipart, { limits: { fileSize: MAX_MEDIA_BYTES, files: 1, fields: 10, parts: 11 } });

  app.get(
    "/submissions",
    {
      schema: {
        ...common,
        summary: "List my submissions",
        description: "The caller's listing versions, newest first, with their review status.",
        querystring: Type.Object(StorePage),
        response: { 200: StoreSubmissionsResponse, ...errors(401, 403, 422) },
      },
      preValidation: read,
    },
    async (request) => {
      const { items, total } = await store.listSubmissions(userOf(request), request.query);
      return { submissions: items, pagination: pagination(total, request.query.page, request.query.page_size) };
    },
  );

  app.post(
    "/submissions",
    {
      schema: {
        ...common,
        summary: "Create store submission",
        description:
          "Submits a version of one of the caller's graphs for review (PENDING): a new listing under `slug`, or the " +
          "next version of that listing. Nothing is listed until an admin approves it. Needs a store profile.",
        body: StoreSubmissionRequest,
        response: { 200: StoreSubmission, ...errors(400, 401, 403, 404, 409, 422) },
      },
      preValidation: write,
    },
    async (request) => store.submit(userOf(request), request.body),
  );

  app.put(
    "/submissions/:store_listing_version_id",
    {
      schema: {
        ...common,
        summary: "Edit store submission",
        description:
          "A pending version changes in place; editing an approved or rejected one submits a new pending version.",
        params: VersionParam,
        body: StoreSubmissionEditRequest,
        response: { 200: StoreSubmission, ...errors(401, 403, 404, 422) },
      },
      preValidation: write,
    },
    async (request) => store.editSubmission(userOf(request), request.params.store_listing_version_id, request.body),
  );

  app.delete(
    "/submissions/:submission_id",
    {
      schema: {
        ...common,
        summary: "Delete store submission",
        description:
          "Deletes a listing version of the caller's (a listing id: the whole listing); it stops being listed.",
        params: Type.Object({ submission_id: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: Type.Boolean(), ...errors(401, 403, 404, 422) },
      },
      preValidation: write,
    },
    async (request) => store.deleteSubmission(userOf(request), request.params.submission_id),
  );

  for (const url of ["/submissions/media", "/media"]) {
    app.post(
      url,
      {
        schema: {
          ...common,
          summary: "Upload submission media",
          description:
            `An image or video for a listing (${MEDIA_CONTENT_TYPES.join(", ")}; its bytes must match its type; at ` +
            "most 50 MB), as multipart/form-data in the field `file`. Returns the media's public URL (a JSON string).",
          body: MediaBody,
          response: { 200: Type.String(), ...errors(400, 401, 403, 413, 415, 422) },
        },
        preValidation: [
          write,
          async (request) => {
            const file = await readMedia(request);
            // What the body schema sees: the stored media's URL in place of the file.
            request.body = { file: await store.uploadMedia(userOf(request), file) };
          },
        ],
      },
      // A JSON string, as AutoGPT answers (Fastify would send a bare string as text).
      async (request, reply) =>
        reply.type("application/json").send(JSON.stringify((request.body as { file: string }).file)),
    );
  }

  app.get(
    "/media/:user_id/:kind/:name",
    {
      schema: {
        tags,
        summary: "Get submission media",
        description: "An uploaded listing image or video; public, as listing images are.",
        params: Type.Object({
          user_id: Type.String({ maxLength: 200 }),
          kind: Type.String({ maxLength: 20 }),
          name: Type.String({ maxLength: 200 }),
        }),
        response: { 200: Type.String({ format: "binary" }), ...errors(404) },
      },
    },
    async (request, reply) => {
      const { user_id, kind, name } = request.params;
      const media = await store.openMedia(user_id, kind, name);
      reply.header("content-type", media.type).header("content-length", String(media.size));
      reply.header("x-content-type-options", "nosniff");
      return reply.send(media.stream as never);
    },
  );
};
