// External API v2: /files — upload a file for agent input (multipart), list, read metadata, download, delete.
//
// Bytes go to a FileStore (local disk under `<dataDir>/files/<user>/<id>`), metadata with its SHA-256 to
// uploaded_files. AutoGPT guards these routes with READ_FILES/WRITE_FILES, which are not core scopes of the
// External API guide: here they all ask for UPLOAD_FILES. Uploads are not virus-scanned and there is no storage
// quota (AutoGPT has both). With several API servers the local store must be on a shared disk.
import { randomUUID } from "node:crypto";
import path from "node:path";
import multipart from "@fastify/multipart";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyRequest, preValidationAsyncHookHandler } from "fastify";
import { ApiError } from "../../../core/errors.js";
import type { Db } from "../../../infra/db/index.js";
import * as repo from "../../../infra/db/repos/files.js";
import { type FileStore, LocalFileStore, type StoredBlob, safeSegment } from "../../../infra/files.js";
import { principalOf } from "../../auth-hooks.js";
import { idempotent } from "../../idempotency.js";
import { scoped } from "../common.js";
import { Page, PageQuery, PageRequest, v2Errors } from "./common.js";
import { toFileInfo, toUploadResponse, UploadWorkspaceFileResponse, WorkspaceFileInfo } from "./files-models.js";

/** Uploads may be this many times the JSON body limit (50 MB with the default 1 MB). */
export const UPLOAD_LIMIT_FACTOR = 50;
const MAX_NAME_LENGTH = 255;

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
interface ReceivedUpload {
  id: string;
  key: string;
  name: string;
  mimeType: string;
  blob: StoredBlob;
  /** Set once its metadata row exists (or its blob is removed); an unclaimed blob is removed before the answer. */
  claimed: boolean;
}

const MIME = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+$/;

/** The name to keep: the last path segment of what the client sent, without control characters. */
function cleanName(filename: string | undefined): string {
  const base = (filename ?? "").split(/[/\\]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const name = base.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return name === "" || name === "." || name === ".." ? "upload" : name;
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

const notFound = (fileId: string) => ApiError.notFound(`File #${fileId}`);
const tooLarge = (maxBytes: number) =>
  new ApiError("PAYLOAD_TOO_LARGE", 413, `File exceeds maximum size of ${Math.floor(maxBytes / (1024 * 1024))} MB`, {
    max_bytes: maxBytes,
  });

export const filesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db: Db = app.platform.database.db;
  const maxBytes = app.platform.config.bodyLimit * UPLOAD_LIMIT_FACTOR;
  const store: FileStore = new LocalFileStore(path.join(app.platform.config.dataDir, "files"));
  const received = new WeakMap<FastifyRequest, ReceivedUpload>();
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
    const name = cleanName(part.filename);
    if (name.length > MAX_NAME_LENGTH) {
      part.file.resume();
      throw ApiError.validation(`The file name is longer than ${MAX_NAME_LENGTH} characters`, [
        { field: "body.file", message: `file name longer than ${MAX_NAME_LENGTH} characters`, location: "body" },
      ]);
    }
    const id = randomUUID();
    const key = `${safeSegment(principalOf(request).user.id)}/${id}`;
    const blob = await store.put(key, part.file).catch(async (err) => {
      await store.delete(key);
      throw uploadError(err);
    });
    if (part.file.truncated) {
      await store.delete(key);
      throw tooLarge(maxBytes);
    }
    const mimeType = MIME.test(part.mimetype ?? "") ? part.mimetype.toLowerCase() : "application/octet-stream";
    received.set(request, { id, key, name, mimeType, blob, claimed: false });
    // What the Idempotency-Key fingerprint and the body schema see: the upload, by content hash.
    request.body = { file: blob.sha256, name, mime_type: mimeType, size_bytes: blob.size };
  };

  const idempotency = idempotent(app);
  const discardUnclaimed = async (request: FastifyRequest) => {
    const upload = received.get(request);
    if (!upload || upload.claimed) return;
    upload.claimed = true;
    await store.delete(upload.key).catch((err) => request.log.warn({ err }, "could not remove a refused upload"));
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
      const { rows, total } = await repo.listFiles(db, principalOf(request).user.id, page);
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
      const upload = received.get(request);
      if (!upload) throw new ApiError("INTERNAL_ERROR", 500, "The upload was not received");
      const userId = principalOf(request).user.id;
      const replaced = await db.transaction(async (tx) => {
        const existing = await repo.findFileByName(tx as unknown as Db, userId, upload.name);
        if (existing && !request.query.overwrite) {
          throw ApiError.conflict(`A file named "${upload.name}" already exists; pass overwrite=true to replace it`, {
            file_id: existing.id,
          });
        }
        if (existing) await repo.deleteFile(tx as unknown as Db, userId, existing.id);
        await repo.insertFile(tx as unknown as Db, {
          id: upload.id,
          userId,
          name: upload.name,
          mimeType: upload.mimeType,
          sizeBytes: upload.blob.size,
          checksum: upload.blob.sha256,
          storagePath: upload.key,
        });
        return existing;
      });
      upload.claimed = true;
      if (replaced) await store.delete(replaced.storagePath).catch(() => {});
      const row = await repo.getFile(db, userId, upload.id);
      if (!row) throw notFound(upload.id);
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
    async (request) => {
      const row = await repo.getFile(db, principalOf(request).user.id, request.params.file_id);
      if (!row) throw notFound(request.params.file_id);
      return toFileInfo(row);
    },
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
      const row = await repo.deleteFile(db, principalOf(request).user.id, request.params.file_id);
      if (!row) throw notFound(request.params.file_id);
      await store.delete(row.storagePath);
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
      const row = await repo.getFile(db, principalOf(request).user.id, request.params.file_id);
      if (!row) throw notFound(request.params.file_id);
      const content = await store.get(row.storagePath);
      if (!content) throw ApiError.notFound(`Content of file #${row.id}`);
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
