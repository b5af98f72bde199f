// API keys of a user: create (the plain key exists only in the answer), list, get, revoke, suspend, re-scope.

import type { Scope } from "../auth/scopes.js";
import type { AuthService, UserRow } from "../auth/service.js";
import { ApiError } from "../core/errors.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/api-keys.js";

export type ApiKey = repo.ApiKeyRow;

export class ApiKeysService {
  constructor(private readonly deps: { db: Db; auth: AuthService }) {}

  create(
    user: UserRow,
    input: { name: string; description?: string | null; permissions: Scope[] },
  ): Promise<{ row: ApiKey; plainText: string }> {
    return this.deps.auth.createApiKey(user, input);
  }

  list(userId: string): Promise<ApiKey[]> {
    return repo.listApiKeys(this.deps.db, userId);
  }

  async get(userId: string, id: string): Promise<ApiKey> {
    const row = await repo.findApiKey(this.deps.db, userId, id);
    if (!row) throw ApiError.notFound("API key");
    return row;
  }

  /** Revoking a revoked key answers it as it is. */
  async revoke(userId: string, id: string): Promise<ApiKey> {
    const existing = await this.get(userId, id);
    if (existing.status === "REVOKED") return existing;
    return this.change(userId, id, { status: "REVOKED", revokedAt: new Date() });
  }

  async suspend(userId: string, id: string): Promise<ApiKey> {
    const existing = await this.get(userId, id);
    if (existing.status === "REVOKED") throw ApiError.conflict("A revoked key cannot be suspended");
    return this.change(userId, id, { status: "SUSPENDED" });
  }

  async setPermissions(userId: string, id: string, permissions: Scope[]): Promise<ApiKey> {
    await this.get(userId, id);
    return this.change(userId, id, { permissions: [...new Set(permissions)] });
  }

  /** Every change makes this process stop trusting the key's cached form. */
  private async change(userId: string, id: string, values: Parameters<typeof repo.updateApiKey>[3]): Promise<ApiKey> {
    const row = await repo.updateApiKey(this.deps.db, userId, id, values);
    if (!row) throw ApiError.notFound("API key");
    this.deps.auth.forgetApiKey(id);
    return row;
  }
}
