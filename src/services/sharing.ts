// Execution sharing (AutoGPT's share links): the owner turns a run's public link on or off; anyone holding the token
// reads what AutoGPT's SharedExecutionResponse shows (graph name and description, status, the graph's outputs) and
// nothing else: no inputs, no credentials, no node executions, no user.
import { randomUUID } from "node:crypto";
import { ApiError } from "../core/errors.js";
import type { ExecutionStatus } from "../engine/types.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/sharing.js";

export interface SharingServiceOptions {
  db: Db;
  /** The frontend that serves `/share/{token}` pages (AutoGPT's frontend_base_url). */
  frontendUrl: string;
  now?: () => Date;
}

export interface SharedExecution {
  id: string;
  graph_name: string;
  graph_description: string | null;
  status: ExecutionStatus;
  created_at: string;
  outputs: Record<string, unknown[]>;
}

export class SharingService {
  constructor(private readonly options: SharingServiceOptions) {}

  /** Turns sharing on with a fresh token (a link given out earlier stops working); 404 for a run not the user's. */
  async share(userId: string, graphId: string, executionId: string) {
    const token = randomUUID();
    const now = this.options.now?.() ?? new Date();
    if (!(await repo.setShareToken(this.options.db, userId, graphId, executionId, token, now))) {
      throw ApiError.notFound(`Graph execution #${executionId}`);
    }
    return { share_url: `${this.options.frontendUrl.replace(/\/+$/, "")}/share/${token}`, share_token: token };
  }

  /** Turns sharing off: the token no longer opens the run. 404 for a run not the user's. */
  async unshare(userId: string, graphId: string, executionId: string): Promise<void> {
    const now = this.options.now?.() ?? new Date();
    if (!(await repo.setShareToken(this.options.db, userId, graphId, executionId, null, now))) {
      throw ApiError.notFound(`Graph execution #${executionId}`);
    }
  }

  /** The public view of a shared run; 404 once it is unshared or deleted. */
  async read(token: string): Promise<SharedExecution> {
    const row = await repo.findShared(this.options.db, token);
    if (!row) throw ApiError.notFound("Shared execution");
    return {
      id: row.id,
      graph_name: row.graphName ?? "",
      graph_description: row.graphDescription ?? null,
      status: row.status,
      created_at: row.createdAt.toISOString(),
      outputs: row.outputs as Record<string, unknown[]>,
    };
  }
}
