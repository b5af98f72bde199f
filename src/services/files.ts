// Uploaded files: bytes in a FileStore (`<owner>/<id>` keys), metadata with its SHA-256 in uploaded_files.
//
// An upload is received first (its bytes stored, so a request fingerprint can cover their hash) and then either
// committed (its metadata row written, replacing a same-named file when asked) or discarded. Uploads are not
// virus-scanned and there is no storage quota (AutoGPT has both).
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { ApiError } from "../core/errors.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/files.js";
import { type FileStore, type StoredBlob, safeSegment } from "../infra/files.js";

export type StoredFile = repo.UploadedFileRow;

export const MAX_NAME_LENGTH = 255;
/** Uploads may be this many times the JSON body limit (50 MB with the default 1 MB). */
export const UPLOAD_LIMIT_FACTOR = 50;
const MIME = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+$/;

/** Files sit at the root of the caller's workspace: the path is the name. */
export const filePath = (name: string) => `/${name}`;

/** Bytes stored for a file whose metadata is not written yet. */
export interface ReceivedUpload {
  id: string;
  key: string;
  name: string;
  mimeType: string;
  blob: StoredBlob;
}

/** The name to keep: the last path segment of what the client sent, without control characters. */
export function cleanName(filename: string | undefined): string {
  const base = (filename ?? "").split(/[/\\]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const name = base.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return name === "" || name === "." || name === ".." ? "upload" : name;
}

const notFound = (fileId: string) => ApiError.notFound(`File #${fileId}`);

export class FilesService {
  constructor(private readonly deps: { db: Db; store: FileStore; maxBytes: number }) {}

  get maxBytes(): number {
    return this.deps.maxBytes;
  }

  /** Checks a file name before its bytes are read; the cleaned name. */
  checkName(filename: string | undefined): string {
    const name = cleanName(filename);
    if (name.length > MAX_NAME_LENGTH) {
      throw ApiError.validation(`The file name is longer than ${MAX_NAME_LENGTH} characters`, [
        { field: "body.file", message: `file name longer than ${MAX_NAME_LENGTH} characters`, location: "body" },
      ]);
    }
    return name;
  }

  /**
   * Stores the bytes of an upload. A read failure removes what was written and is thrown as it came; an upload
   * cut at the size limit (`truncated()`) is removed and refused (413).
   */
  async receive(
    userId: string,
    input: { name: string; mimeType: string | undefined; stream: Readable; truncated: () => boolean },
  ): Promise<ReceivedUpload> {
    const id = randomUUID();
    const key = `${safeSegment(userId)}/${id}`;
    const { store } = this.deps;
    const blob = await store.put(key, input.stream).catch(async (err) => {
      await store.delete(key);
      throw err;
    });
    if (input.truncated()) {
      await store.delete(key);
      const max = this.deps.maxBytes;
      throw new ApiError(
        "PAYLOAD_TOO_LARGE",
        413,
        `File exceeds maximum size of ${Math.floor(max / (1024 * 1024))} MB`,
        {
          max_bytes: max,
        },
      );
    }
    const mimeType = MIME.test(input.mimeType ?? "")
      ? (input.mimeType as string).toLowerCase()
      : "application/octet-stream";
    return { id, key, name: input.name, mimeType, blob };
  }

  /** Removes the bytes of an upload that will not be committed. */
  discard(upload: ReceivedUpload): Promise<void> {
    return this.deps.store.delete(upload.key);
  }

  /**
   * Writes the upload's metadata. A file with the same name is a conflict unless `overwrite`, which replaces it
   * (its bytes go once the new row is in). The committed file is answered.
   */
  async commit(userId: string, upload: ReceivedUpload, overwrite: boolean): Promise<StoredFile> {
    const { db, store } = this.deps;
    const replaced = await db.transaction(async (tx) => {
      const t = tx as unknown as Db;
      const existing = await repo.findFileByName(t, userId, upload.name);
      if (existing && !overwrite) {
        throw ApiError.conflict(`A file named "${upload.name}" already exists; pass overwrite=true to replace it`, {
          file_id: existing.id,
        });
      }
      if (existing) await repo.deleteFile(t, userId, existing.id);
      await repo.insertFile(t, {
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
    if (replaced) await store.delete(replaced.storagePath).catch(() => {});
    return this.get(userId, upload.id);
  }

  /** A page of the user's files, newest first. */
  list(userId: string, page: { offset: number; limit: number }): Promise<{ rows: StoredFile[]; total: number }> {
    return repo.listFiles(this.deps.db, userId, page);
  }

  async get(userId: string, id: string): Promise<StoredFile> {
    const row = await repo.getFile(this.deps.db, userId, id);
    if (!row) throw notFound(id);
    return row;
  }

  /** The file and a stream of its bytes. */
  async open(userId: string, id: string): Promise<{ file: StoredFile; stream: Readable; size: number }> {
    const file = await this.get(userId, id);
    const content = await this.deps.store.get(file.storagePath);
    if (!content) throw ApiError.notFound(`Content of file #${file.id}`);
    return { file, ...content };
  }

  /** Deletes the file and its bytes. */
  async delete(userId: string, id: string): Promise<void> {
    const row = await repo.deleteFile(this.deps.db, userId, id);
    if (!row) throw notFound(id);
    await this.deps.store.delete(row.storagePath);
  }

  /** The user's files whose name holds every word. */
  search(userId: string, words: string[]): Promise<StoredFile[]> {
    return repo.searchFiles(this.deps.db, userId, words);
  }
}
