// External API v2: /files — upload a file for agent input (multipart), list, read metadata, download, delete.
//
// FilesService keeps the bytes (local disk under `<dataDir>/files/<user>/<id>`) and the metadata. AutoGPT guards
// these routes with READ_FILES/WRITE_FILES, which are not core scopes of the External API guide: here they all ask
// for UPLOAD_FILES. With several API servers the local store must be on a shared disk.
import multipart from "@fastify/multipart";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyRequest, preValidationAsyncHookHandler } from "fastify";
import { ApiError } from "../../../core/errors.js";
import { type ReceivedUpload, UPLOAD_LIMIT_FACTOR } from "../../../services/files.js";
import { principalOf } from "../../auth-hooks.js";
import { idempotent } from "../../idempotency.js";
import { scoped } from "../common.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";
import { toFileInfo, toUploadResponse, UploadWorkspaceFileResponse, WorkspaceFileInfo } from "./files-models.js";

const FileId = Type.Object({ file_id: Type.String({ minLength: 1, maxLength: 200 }) });

const UploadQuery = Type.Object({
  overwrite: Type.Boolean({ default: false, description: "Replace an existing file with the same path" }),
});

/** The multipart body, for the OpenAPI document (the route reads the stream itself). */
const UploadBody = {
  content: {
    "multipart/form-data": {
      schema: Type.Object(
        { file: Type.String({ format: "binary", description: "The file to upload" }) },
        { title: "Body_uploadWorkspaceFile" },
      ),
    },
  },
};

/** An upload stored before the handler runs (so an Idempotency-Key fingerprint covers its content). */
interface Received {
  upload: ReceivedUpload;
  /** Set once its metadata row exists (or its blob is removed); an unclaimed blob is removed before the answer. */
  claimed: boolean;
}

/** Content-Disposition for a download, as AutoGPT writes it (RFC 5987 form for non-ASCII names). */
function attachment(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: header-breaking characters are removed
  const sanitized = name.replace(/[\r\n\u0000]/g, "").replace(/"/g, '\\"');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII test
  if (/^[\u0000-\u007f]*$/.test(sanitized)) return `attachment; filename="${sanitized}"`;
  return `attachment; filename*=UTF-8''${encodeURIComponent(sanitized)}`;
}

/**
 * A failure while reading the multipart body as the client's fault (malformed body 400, a multipart limit 413);
 * a failure of the disk itself (it has a syscall) stays a server error.
 */
function uploadError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  const e = err as { statusCode?: number; message?: string; syscall?: string };
  if (e?.syscall) return err;
  if (e?.statusCode === 413) return new ApiError("PAYLOAD_TOO_LARGE", 413, e.message ?? "The upload is too large");
  return ApiError.badRequest(`Malformed multipart body: ${e?.message ?? "unreadable"}`);
}

export const filesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { files } = app.platform;
  const maxBytes = files.maxBytes;
  const received = new WeakMap<FastifyRequest, Received>();
  const tags = ["files"];

  // Only this plugin's routes accept multipart bodies.
  await app.register(multipart, {
    limits: { fileSize: maxBytes, files: 1, fields: 20, parts: 21, fieldSize: 64 * 1024 },
    throwFileSizeLimit: false,
  });

  const receive: preValidationAsyncHookHandler = async (request) => {
    if (!request.isMultipart()) {
      throw new ApiError(
        "UNSUPPORTED_MEDIA_TYPE",
        415,
        "Upload the file as multipart/form-data, in a field named `file`",
      );
    }
    const part = await request.file().catch((err) => {
      throw uploadError(err);
    });
    if (part?.fieldname !== "file") {
      part?.file.resume();
      throw ApiError.validation("A file is required in the multipart field `file`", [
        { field: "body.file", message: "Field required", location: "body" },
      ]);
    }
    let name: string;
    try {
      name = files.checkName(part.filename);
    } catch (err) {
      part.file.resume();
      throw err;
    }
    const upload = await files
      .receive(principalOf(request).user.id, {
        name,
        mimeType: part.mimetype,
        stream: part.file,
        truncated: () => part.file.truncated,
      })
      .catch((err) => {
        throw uploadError(err);
      });
    received.set(request, { upload, claimed: false });
    // What the Idempotency-Key fingerprint and the body schema see: the upload, by content hash.
    request.body = { file: upload.blob.sha256, name, mime_type: upload.mimeType, size_bytes: upload.blob.size };
  };

  const idempotency = idempotent(app);
  const discardUnclaimed = async (request: FastifyRequest) => {
    const entry = received.get(request);
    if (!entry || entry.claimed) return;
    entry.claimed = true;
    await files.discard(entry.upload).catch((err) => request.log.warn({ err }, "could not remove a refused upload"));
  };

  app.get(
    "/files",
    scoped(["UPLOAD_FILES"], {
      tags,
      summary: "List workspace files",
      operationId: "listWorkspaceFiles",
      description: "The caller's uploaded files, newest first.",
      querystring: PageQuery,
      response: { 200: Page(WorkspaceFileInfo), ...v2Errors(400, 401, 403, 422) },
    }),
    async (request) => {
      const page = new PageRequest(request.query.limit, request.query.cursor);
      const { rows, total } = await files.list(principalOf(request).user.id, page);
      return page.paged(rows.map(toFileInfo), total);
    },
  );

  app.post(
    "/files/upload",
    {
      ...scoped(["UPLOAD_FILES"], {
        tags,
        summary: "Upload file to workspace",
        operationId: "uploadWorkspaceFile",
        description:
          `Stores a file (multipart/form-data, field \`file\`, at most ${UPLOAD_LIMIT_FACTOR} times the server's ` +
          "JSON body limit: 50 MB by default) in the caller's workspace. It is listed by `GET /files` and can be " +
          "passed to agent file inputs as the returned `file_uri`. A file with the same name is a conflict (409) " +
          "unless `overwrite=true`. Send an `Idempotency-Key` header to make a retry safe.",
        querystring: UploadQuery,
        body: UploadBody,
        response: { 201: UploadWorkspaceFileResponse, ...v2Errors(400, 401, 403, 409, 413, 415, 422) },
      }),
      preHandler: idempotency.preHandler,
      preValidation: receive,
      // The bytes of a refused or replayed upload go before the answer does: a client that saw the answer sees no
      // stray blob. onResponse is the backstop for a request that ended without an answer (client went away).
      onSend: [idempotency.onSend, discardUnclaimed],
      onResponse: discardUnclaimed,
    },
    async (request, reply) => {
      const entry = received.get(request);
      if (!entry) throw new ApiError("INTERNAL_ERROR", 500, "The upload was not received");
      const row = await files.commit(principalOf(request).user.id, entry.upload, request.query.overwrite);
      entry.claimed = true;
      return reply.code(201).send(toUploadResponse(row));
    },
  );

  app.get(
    "/files/:file_id",
    scoped(["UPLOAD_FILES"], {
      tags,
      summary: "Get workspace file metadata",
      operationId: "getWorkspaceFileInfo",
      params: FileId,
      response: { 200: WorkspaceFileInfo, ...v2Errors(401, 403, 404) },
    }),
    async (request) => toFileInfo(await files.get(principalOf(request).user.id, request.params.file_id)),
  );

  app.delete(
    "/files/:file_id",
    scoped(["UPLOAD_FILES"], {
      tags,
      summary: "Delete file from workspace",
      operationId: "deleteWorkspaceFile",
      description: "Deletes the file and its stored content.",
      params: FileId,
      response: { 204: Type.Null({ description: "Deleted" }), ...v2Errors(401, 403, 404) },
    }),
    async (request, reply) => {
      await files.delete(principalOf(request).user.id, request.params.file_id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/files/:file_id/download",
    scoped(["UPLOAD_FILES"], {
      tags,
      summary: "Download file from workspace",
      operationId: "getWorkspaceFileDownload",
      description: "The file's content, with its MIME type, as an attachment. The ETag is its SHA-256.",
      params: FileId,
      response: {
        200: {
          description: "The file's content",
          content: { "application/octet-stream": { schema: Type.String({ format: "binary" }) } },
        },
        ...v2Errors(401, 403, 404),
      },
    }),
    async (request, reply) => {
      const { file: row, ...content } = await files.open(principalOf(request).user.id, request.params.file_id);
      return reply
        .type(row.mimeType)
        .header("content-length", String(content.size))
        .header("content-disposition", attachment(row.name))
        .header("x-content-type-options", "nosniff")
        .header("etag", `"${row.checksum}"`)
        .send(content.stream as never);
    },
  );
};
