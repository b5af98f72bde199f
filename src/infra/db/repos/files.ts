// Uploaded files' metadata (the bytes are in a FileStore, under `storage_path`).
import { and, count, desc, eq, ilike, type SQL } from "drizzle-orm";
import type { Db } from "../index.js";
import { uploadedFiles } from "../schema.js";

export type UploadedFileRow = typeof uploadedFiles.$inferSelect;
export type NewUploadedFile = typeof uploadedFiles.$inferInsert;

export async function insertFile(db: Db, values: NewUploadedFile): Promise<UploadedFileRow> {
  const [row] = await db.insert(uploadedFiles).values(values).returning();
  return row as UploadedFileRow;
}

export async function listFiles(
  db: Db,
  userId: string,
  page: { offset: number; limit: number },
): Promise<{ rows: UploadedFileRow[]; total: number }> {
  const where = eq(uploadedFiles.userId, userId);
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(uploadedFiles)
      .where(where)
      .orderBy(desc(uploadedFiles.createdAt), desc(uploadedFiles.id))
      .limit(page.limit)
      .offset(page.offset),
    db.select({ n: count() }).from(uploadedFiles).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

/** One of the user's files; undefined for anyone else's. */
export async function getFile(db: Db, userId: string, id: string): Promise<UploadedFileRow | undefined> {
  const [row] = await db
    .select()
    .from(uploadedFiles)
    .where(and(eq(uploadedFiles.id, id), eq(uploadedFiles.userId, userId)))
    .limit(1);
  return row;
}

/** The user's file with this name (a workspace path holds one file). */
export async function findFileByName(db: Db, userId: string, name: string): Promise<UploadedFileRow | undefined> {
  const [row] = await db
    .select()
    .from(uploadedFiles)
    .where(and(eq(uploadedFiles.userId, userId), eq(uploadedFiles.name, name)))
    .limit(1);
  return row;
}

/** Deletes the row and returns it (its blob is the caller's to remove); undefined when there was none. */
export async function deleteFile(db: Db, userId: string, id: string): Promise<UploadedFileRow | undefined> {
  const [row] = await db
    .delete(uploadedFiles)
    .where(and(eq(uploadedFiles.id, id), eq(uploadedFiles.userId, userId)))
    .returning();
  return row;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The user's files whose name contains every word. */
export async function searchFiles(db: Db, userId: string, words: string[]): Promise<UploadedFileRow[]> {
  const matches: SQL[] = words.map((w) => ilike(uploadedFiles.name, `%${escapeLike(w)}%`));
  return db
    .select()
    .from(uploadedFiles)
    .where(and(eq(uploadedFiles.userId, userId), ...matches))
    .orderBy(desc(uploadedFiles.createdAt))
    .limit(1000);
}
