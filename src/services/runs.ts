// Runs of graphs, whoever starts them: the one start-run use case (the same checks of inputs and credentials, the
// same queueing and events for /api, External v1 and v2, presets, schedules and tools), and reading, listing,
// stopping and deleting runs. Queueing and stopping are the engine's (ExecutionService); the rules are here.
import type pino from "pino";
import { ApiError } from "../core/errors.js";
import type { GraphModel } from "../core/graph-types.js";
import { type RunInputs, runIssuesMessage, runRequestIssues } from "../core/run-request.js";
import type { GraphLoader } from "../engine/executor.js";
import type { ExecutionService } from "../engine/service.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/executions.js";

/** Who asked for a run (logged with it). */
export type RunSource = "api" | "external-v1" | "external-v2" | "preset" | "schedule" | "tool" | "webhook";

export interface RunRequest extends RunInputs {
  /** The preset the run was started from. */
  presetId?: string | null;
  /** Inputs of particular nodes by id (AutoGPT's nodes_input_masks: a webhook's payload for its trigger node). */
  nodesInputMasks?: Record<string, Record<string, unknown>> | null;
}

export interface RunServiceOptions {
  db: Db;
  executions: ExecutionService;
  loadGraph: GraphLoader;
  log: Pick<pino.Logger, "debug">;
  /** Providers with an operator (system) credential: their credentials fields may be left empty. */
  systemProviders?: readonly string[];
}

export type RunFilter = repo.RunFilter;
export type { RunInputs };

export class RunService {
  constructor(private readonly options: RunServiceOptions) {}

  /** The graph version the user may run (its active one without `version`), or 404. */
  async graphToRun(userId: string, graphId: string, version?: number): Promise<GraphModel> {
    const graph = await this.options.loadGraph(userId, graphId, version);
    if (!graph) throw ApiError.notFound(version ? `Graph #${graphId} v${version}` : `Graph #${graphId}`);
    return graph;
  }

  /** Refuses (422, one entry per problem in `details.errors`) a request that may not run `graph`. */
  checkRequest(graph: GraphModel, request: RunInputs): void {
    const issues = runRequestIssues(graph, request, this.options.systemProviders);
    if (issues.length > 0) {
      throw ApiError.validation(
        runIssuesMessage(issues),
        issues.map((issue) => ({ ...issue })),
      );
    }
  }

  /** The graph a request would run, once it passed the checks a start makes (a schedule checks it when made). */
  async check(userId: string, graphId: string, version: number | undefined, request: RunInputs): Promise<GraphModel> {
    const graph = await this.graphToRun(userId, graphId, version);
    this.checkRequest(graph, request);
    return graph;
  }

  /**
   * Starts a run: 404 for a graph the user cannot run, 422 for a request that may not run it; else the run is
   * recorded QUEUED, announced (graph_execution_event) and queued.
   */
  async start(
    userId: string,
    graphId: string,
    version: number | undefined,
    request: RunRequest,
    source: RunSource,
  ): Promise<repo.GraphExecutionRow> {
    const graph = await this.check(userId, graphId, version, request);
    const row = await this.options.executions.start(userId, graph, {
      inputs: request.inputs ?? {},
      credentials_inputs: request.credentials_inputs,
      presetId: request.presetId ?? null,
      nodesInputMasks: request.nodesInputMasks ?? null,
    });
    this.options.log.debug({ graphExecId: row.id, graphId: graph.id, source }, "run queued");
    return row;
  }

  /** The user's run (of `graphId` when given), or 404. */
  async find(userId: string, runId: string, graphId?: string): Promise<repo.GraphExecutionRow> {
    return this.options.executions.mustFind(userId, runId, graphId);
  }

  /** The user's run with one page of its node executions. */
  async get(userId: string, runId: string, graphId?: string, page?: { page: number; pageSize: number }) {
    return this.options.executions.get(userId, runId, graphId, page);
  }

  /** One page of a run's node executions (in the order they were created) and how many it has. */
  async nodeExecutions(run: repo.GraphExecutionRow, page: { offset: number; limit: number }) {
    const [rows, total] = await Promise.all([
      repo.listNodeExecutions(this.options.db, run.id, page),
      repo.countNodeExecutions(this.options.db, run.id),
    ]);
    return { rows, total };
  }

  /** The user's runs, newest first. */
  async list(userId: string, filter: RunFilter) {
    return repo.listRuns(this.options.db, userId, filter);
  }

  /** Stops the user's run (a finished one is returned as it is). */
  async stop(userId: string, runId: string, graphId?: string): Promise<repo.GraphExecutionRow> {
    return this.options.executions.stop(userId, runId, graphId);
  }

  /** Deletes the user's finished run; 409 for one that has not finished. */
  async remove(userId: string, runId: string): Promise<void> {
    await this.options.executions.remove(userId, runId);
  }
}

/** Runs as AutoGPT's GraphExecution shapes them (what the APIs return and events carry). */
export { type GraphExecutionRow, toGraphExecution, toNodeExecutionResult } from "../infra/db/repos/executions.js";
