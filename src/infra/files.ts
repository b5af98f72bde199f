// Where uploaded files' bytes live: a small store interface, and its local-disk implementation under the data dir.
import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface StoredBlob {
  /** Bytes written. */
  size: number;
  /** Hex SHA-256 of the bytes written. */
  sha256: string;
}

/**
 * Blobs by key (`<owner>/<id>`). A put is atomic: a reader sees the whole blob or none. Another implementation
 * (an object store) can replace the local one when API servers do not share a disk.
 */
export interface FileStore {
  put(key: string, data: Readable | Buffer): Promise<StoredBlob>;
  /** The blob's bytes, or undefined when there is no such blob. */
  get(key: string): Promise<{ stream: Readable; size: number } | undefined>;
  /** Removes the blob; a missing one is not an error. */
  delete(key: string): Promise<void>;
}

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** A path segment safe on any filesystem for an arbitrary id (user ids may come from an external provider). */
export function safeSegment(id: string): string {
  return SEGMENT.test(id) ? id : `h-${createHash("sha256").update(id).digest("hex")}`;
}

export class LocalFileStore implements FileStore {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    const parts = key.split("/");
    if (parts.length === 0 || parts.some((p) => !SEGMENT.test(p))) throw new Error(`Invalid file key: ${key}`);
    return path.join(this.root, ...parts);
  }

  async put(key: string, data: Readable | Buffer): Promise<StoredBlob> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    // Written beside the target and renamed into place, so a crash or a failed upload never leaves half a file.
    const partial = `${target}.${randomUUID()}.partial`;
    const hash = createHash("sha256");
    let size = 0;
    try {
      if (Buffer.isBuffer(data)) {
        hash.update(data);
        size = data.length;
        await fs.writeFile(partial, data);
      } else {
        const measure = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        });
        const out = createWriteStream(partial);
        try {
          await pipeline(data, measure, out);
        } catch (err) {
          // A source that fails at once can reject the pipeline before the file is even open: removing it then
          // would race the open that creates it. Wait until the stream has closed.
          if (!out.closed) await once(out, "close").catch(() => {});
          throw err;
        }
      }
      await fs.rename(partial, target);
    } catch (err) {
      await fs.rm(partial, { force: true });
      throw err;
    }
    return { size, sha256: hash.digest("hex") };
  }

  async get(key: string): Promise<{ stream: Readable; size: number } | undefined> {
    const file = this.pathOf(key);
    try {
      const stat = await fs.stat(file);
      return { stream: createReadStream(file), size: stat.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }
}
