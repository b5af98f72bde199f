// GraphService: the graph use cases of every API (/api, External v1, External v2): import or create, new versions,
// reads, listings, the active version, delete, fork, search. Each rule is here once; the routes only map shapes.
import { ApiError } from "../core/errors.js";
import {
  AGENT_EXECUTOR_BLOCK_ID,
  type GraphDraft,
  type GraphValidationError,
  markStaticLinks,
  prepareGraph,
  reassignIds,
  stripForExport,
  validateGraph,
} from "../core/graph.js";
import type { GraphInput, GraphMeta, GraphModel, GraphVersionMeta, SubGraphModel } from "../core/graph-types.js";
import { nextTurn } from "../core/turn.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/graphs.js";
import type { GraphInterfaces } from "./graph-interfaces.js";
import type { LibraryAgentRecord, LibraryService } from "./library.js";

/** From how many nodes a graph use case yields to the event loop between its synchronous steps. */
const LARGE_GRAPH_NODES = 1000;
/** Words that mean "list everything" rather than a literal search (as AutoGPT's library search). */
const LIST_ALL = new Set(["", "all", "*", "everything", "any"]);

export function isListAll(query: string): boolean {
  return LIST_ALL.has(query.trim().toLowerCase());
}

export const graphNotFound = (graphId: string, version?: number) =>
  ApiError.notFound(version === undefined ? `Graph #${graphId}` : `Graph #${graphId} v${version}`, {
    graph_id: graphId,
    ...(version === undefined ? {} : { version }),
  });

export interface GraphServiceDeps {
  db: Db;
  library: LibraryService;
  interfaces: GraphInterfaces;
  /** Told when a version becomes active (AutoGPT's on_graph_activate: webhook triggers are set up); may update it. */
  onActivated?: (userId: string, graph: GraphModel) => Promise<GraphModel>;
  /** Told when a graph was deleted (its webhooks, now unused, are deleted). */
  onDeleted?: (userId: string, graphId: string) => Promise<void>;
}

export class GraphService {
  private readonly db: Db;
  private readonly library: LibraryService;
  private readonly interfaces: GraphInterfaces;
  private readonly onActivated: GraphServiceDeps["onActivated"];
  private readonly onDeleted: GraphServiceDeps["onDeleted"];

  constructor(deps: GraphServiceDeps) {
    this.db = deps.db;
    this.library = deps.library;
    this.interfaces = deps.interfaces;
    this.onActivated = deps.onActivated;
    this.onDeleted = deps.onDeleted;
  }

  private async activated(userId: string, graph: GraphModel): Promise<GraphModel> {
    return graph.is_active && this.onActivated ? this.onActivated(userId, graph) : graph;
  }

  /**
   * Creates a graph (AutoGPT's create and import): defaults, fresh ids for the graph, its nodes, links and
   * sub-graphs, static links, AutoGPT's save-time validation (422 naming every problem), then one transaction
   * that stores it with its sub-graphs and adds it to the user's library.
   */
  async create(userId: string, input: GraphInput): Promise<GraphModel> {
    return this.activated(userId, await this.store(userId, await this.prepareValid(input, userId, false)));
  }

  /**
   * Stores `input` as version latest+1 of the user's graph (active unless `is_active` is false, and then the only
   * active one); library agents that follow the graph move to it. 404 for a graph the user does not have.
   */
  async createVersion(userId: string, graphId: string, input: GraphInput): Promise<GraphModel> {
    if (input.id && input.id !== graphId) throw ApiError.badRequest("Graph ID does not match ID in URI");
    if (!(await repo.getGraph(this.db, userId, graphId, undefined, { subGraphs: false }))) {
      throw graphNotFound(graphId);
    }
    const draft = await this.prepareValid({ ...input, id: graphId }, userId, true);
    const created = await repo.createVersion(this.db, userId, graphId, draft, (tx) =>
      this.library.graphVersioned(tx, userId, graphId),
    );
    if (!created) throw graphNotFound(graphId);
    this.interfaces.remember(created);
    // Sub-graphs stored before belong to the graph's credentials_input_schema: read it back when it has any.
    if (created.nodes.some((n) => n.block_id === AGENT_EXECUTOR_BLOCK_ID)) {
      return this.activated(userId, (await repo.getGraph(this.db, userId, graphId, created.version)) ?? created);
    }
    if (created.nodes.length > LARGE_GRAPH_NODES) await nextTurn();
    return this.activated(userId, created);
  }

  /**
   * A version of the user's graph with its sub-graphs: `version`, else the active one, else the latest.
   * `forExport` is AutoGPT's export: no owner, no credentials or secret values, no webhook bindings.
   */
  async get(userId: string, graphId: string, version?: number, options: { forExport?: boolean } = {}) {
    const graph = await repo.getGraph(this.db, userId, graphId, version);
    if (!graph) throw graphNotFound(graphId, version);
    // Serializing 10,000 nodes is another synchronous step of its own.
    if (graph.nodes.length > LARGE_GRAPH_NODES) await nextTurn();
    return options.forExport ? stripForExport(graph) : graph;
  }

  /** As `get`, without sub-graphs, and undefined rather than 404. */
  async find(userId: string, graphId: string, version?: number): Promise<GraphModel | undefined> {
    return repo.getGraph(this.db, userId, graphId, version, { subGraphs: false });
  }

  /**
   * The user's graphs (the latest active version of each, newest first) as AutoGPT's GraphMeta, computed fields
   * included: three queries at most, whatever the page size.
   */
  async list(
    userId: string,
    page: { page: number; pageSize: number },
  ): Promise<{ graphs: GraphMeta[]; total: number }> {
    const { graphs, total } = await repo.listGraphs(this.db, userId, page);
    return { graphs: await this.withInterfaces(graphs), total };
  }

  /** Every version of the user's graph, newest first (without sub-graphs); 404 when there is no such graph. */
  async listVersions(userId: string, graphId: string): Promise<GraphModel[]> {
    const versions = await repo.listVersions(this.db, userId, graphId);
    if (versions.length === 0) throw graphNotFound(graphId);
    return versions;
  }

  /** Makes `version` the only active one; library agents that follow the graph move to it. */
  async setActiveVersion(userId: string, graphId: string, version: number): Promise<void> {
    const done = await repo.setActiveVersion(this.db, userId, graphId, version, (tx) =>
      this.library.graphVersioned(tx, userId, graphId),
    );
    if (!done) throw graphNotFound(graphId, version);
    const graph = this.onActivated && (await repo.getGraph(this.db, userId, graphId, version, { subGraphs: false }));
    if (graph) await this.activated(userId, graph);
  }

  /** Deletes every version of the user's graph and its library agents; returns how many versions there were. */
  async delete(userId: string, graphId: string): Promise<number> {
    const deleted = await repo.deleteGraph(this.db, userId, graphId, (tx) => this.library.graphDeleted(tx, graphId));
    if (deleted === 0) throw graphNotFound(graphId);
    await this.onDeleted?.(userId, graphId);
    return deleted;
  }

  /**
   * The user's graphs (each at its latest active version, without sub-graphs) whose name or description contains
   * `query`, most recently created first; every graph for a list-all query. Four queries whatever the limit.
   */
  async search(userId: string, query: string, limit: number): Promise<GraphModel[]> {
    const refs = await repo.searchGraphs(this.db, userId, isListAll(query) ? "" : query.trim(), limit);
    return repo.getVersions(this.db, userId, refs);
  }

  /**
   * AutoGPT's fork of a library agent: a copy of its graph version (and sub-graphs) with new ids, named
   * "… (copy)", forked from the source, stored as a new graph of the user and added to their library.
   */
  async fork(userId: string, agentId: string): Promise<LibraryAgentRecord> {
    const agent = await this.library.get(userId, agentId);
    const source = await repo.getGraph(this.db, agent.graph.userId, agent.agent.graphId, agent.agent.graphVersion);
    if (!source) throw graphNotFound(agent.agent.graphId, agent.agent.graphVersion);
    const draftOf = (g: SubGraphModel): GraphDraft => ({
      ...g,
      is_active: true,
      nodes: g.nodes.map((n) => ({
        id: n.id,
        block_id: n.block_id,
        input_default: structuredClone(n.input_default),
        metadata: structuredClone(n.metadata),
        webhook_id: null,
      })),
      links: g.links.map((l) => ({ ...l })),
      sub_graphs: [],
    });
    const draft: GraphDraft = {
      ...draftOf(source),
      name: `${source.name} (copy)`,
      forked_from_id: source.id,
      forked_from_version: source.version,
      sub_graphs: source.sub_graphs.map(draftOf),
    };
    const forked = await this.store(userId, markStaticLinks(reassignIds(draft, userId)));
    const created = await this.library.ofGraph(userId, forked.id);
    if (!created) throw ApiError.notFound(`Agent for graph #${forked.id}`);
    return created;
  }

  private async store(userId: string, draft: GraphDraft): Promise<GraphModel> {
    const graph = await repo.createGraph(this.db, userId, draft, (tx) => this.library.graphCreated(tx, userId, draft));
    this.interfaces.remember(graph);
    if (graph.nodes.length > LARGE_GRAPH_NODES) await nextTurn();
    return graph;
  }

  private async withInterfaces(graphs: GraphVersionMeta[]): Promise<GraphMeta[]> {
    const interfaceOf = await this.interfaces.of(graphs);
    return graphs.map((g) => ({ ...g, sub_graphs: [], ...interfaceOf(g) }));
  }

  /** Defaults, fresh ids and static links, then AutoGPT's save-time validation (422 on any problem). */
  private async prepareValid(input: GraphInput, userId: string, keepGraphId: boolean): Promise<GraphDraft> {
    const draft = prepareGraph(input, userId, { keepGraphId });
    // Each step is synchronous and linear, some 100 ms for 10,000 nodes: let other requests in between.
    if (draft.nodes.length > LARGE_GRAPH_NODES) await nextTurn();
    rejectInvalid(validateGraph(draft));
    if (draft.nodes.length > LARGE_GRAPH_NODES) await nextTurn();
    return draft;
  }
}

function rejectInvalid(problems: GraphValidationError[]): void {
  const [first] = problems;
  if (!first) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  throw ApiError.validation(
    `Invalid graph: ${first.message}${more}`,
    problems.slice(0, 200).map((p) => ({ ...p })),
  );
}
