// The engine's UserStorage port (ctx.storage for blocks) on the database, over the block-storage repository.
import type { UserStorage } from "../../../blocks/sdk.js";
import type { Db } from "../index.js";
import * as repo from "../repos/block-storage.js";

export class SqlUserStorage implements UserStorage {
  constructor(private readonly db: Db) {}

  async get(userId: string, key: string): Promise<unknown> {
    return (await repo.getValue(this.db, userId, key))?.data ?? undefined;
  }

  set(userId: string, key: string, value: unknown, nodeExecId: string): Promise<void> {
    return repo.setValue(this.db, userId, key, value, nodeExecId);
  }
}
