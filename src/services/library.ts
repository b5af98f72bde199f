// LibraryService: a user's library of agents (AutoGPT's LibraryAgent), maintained as graphs are written (created,
// versioned, deleted, added from the marketplace) rather than reconciled when it is read; listings take a bounded
// number of queries whatever the page size.
import { ApiError } from "../core/errors.js";
import type { GraphInterface, GraphModel } from "../core/graph-types.js";
import type { Db } from "../infra/db/index.js";
import * as graphRepo from "../infra/db/repos/graphs.js";
import * as repo from "../infra/db/repos/library.js";
import type { GraphInterfaces } from "./graph-interfaces.js";

/** A library row, the graph version it points at, its owner's name, and that version's computed fields. */
export interface LibraryAgentRecord extends repo.LibraryEntry {
  interface: GraphInterface;
}

export interface LibraryAgentUpdate {
  /** Pins this version (and stops following the active one, unless `autoUpdateVersion` says otherwise). */
  graphVersion?: number;
  autoUpdateVersion?: boolean;
  isFavorite?: boolean;
  isArchived?: boolean;
}

/** What the library asks the store: the graph version a listing version publishes (404 when there is none). */
export interface ListingGraphs {
  graphOfListingVersion(listingVersionId: string): Promise<{ id: string; version: number }>;
}

export interface LibraryServiceDeps {
  db: Db;
  interfaces: GraphInterfaces;
}

const agentNotFound = (agentId: string) => ApiError.notFound(`Agent #${agentId}`, { agent_id: agentId });

export class LibraryService {
  private readonly db: Db;
  private readonly interfaces: GraphInterfaces;

  constructor(deps: LibraryServiceDeps) {
    this.db = deps.db;
    this.interfaces = deps.interfaces;
  }

  // -------------------------------------------------------------------------------------------
  // Maintained on write: GraphService calls these inside its transactions.

  /** A graph the user created (or imported, or forked) joins their library, following its active version. */
  async graphCreated(tx: graphRepo.Executor, userId: string, graph: { id: string; version: number }): Promise<void> {
    await repo.insertLibraryAgent(tx, userId, graph);
  }

  /** A new or newly active version: the user's agents that follow the graph move to its current version. */
  async graphVersioned(tx: graphRepo.Executor, userId: string, graphId: string): Promise<void> {
    await repo.followCurrentVersion(tx, userId, graphId);
  }

  /** A deleted graph leaves every library it was in. */
  async graphDeleted(tx: graphRepo.Executor, graphId: string): Promise<void> {
    await repo.removeGraph(tx, graphId);
  }

  /** For the marketplace: adds someone else's listed graph version to the user's library. */
  async addFromMarketplace(userId: string, graph: { id: string; version: number }): Promise<LibraryAgentRecord> {
    const row = await repo.insertLibraryAgent(this.db, userId, graph, { createdByUser: false });
    return this.get(userId, row.id);
  }

  /**
   * Once at start: libraries written before they were maintained on write get a row for each graph they lack,
   * and following rows their graph's current version. Two statements; nothing to do costs two cheap queries.
   */
  async backfill(): Promise<number> {
    return repo.backfillLibrary(this.db);
  }

  // -------------------------------------------------------------------------------------------
  // Reads and the user's own changes

  /**
   * The user's library, newest first by `filter.sortBy` (updated, unless created), optionally only the agents whose
   * name or description contains `filter.search`: three queries at most, whatever the page size.
   */
  async list(userId: string, filter: repo.LibraryFilter): Promise<{ agents: LibraryAgentRecord[]; total: number }> {
    const { entries, total } = await repo.listLibraryAgents(this.db, userId, filter);
    return { agents: await this.withInterfaces(entries), total };
  }

  /** One of the user's library agents; 404 for anyone else's. */
  async get(userId: string, agentId: string): Promise<LibraryAgentRecord> {
    const entry = await repo.getLibraryAgent(this.db, userId, agentId);
    if (!entry) throw agentNotFound(agentId);
    const [agent] = await this.withInterfaces([entry]);
    return agent as LibraryAgentRecord;
  }

  /**
   * The user's library agent of graph `graphId`, if it is in their library; with `version`, only if the agent
   * points at that version (as AutoGPT's by-graph lookup).
   */
  async ofGraph(userId: string, graphId: string, version?: number): Promise<LibraryAgentRecord | undefined> {
    const id = await repo.libraryAgentIdOfGraph(this.db, userId, graphId);
    const agent = id ? await this.get(userId, id) : undefined;
    return version === undefined || agent?.agent.graphVersion === version ? agent : undefined;
  }

  /**
   * The user's library agent of the graph version a store listing version publishes, if they have it; 404 when
   * the listing version does not exist.
   */
  async ofListing(
    userId: string,
    listingVersionId: string,
    listings: ListingGraphs,
  ): Promise<LibraryAgentRecord | null> {
    const graph = await listings.graphOfListingVersion(listingVersionId);
    return (await this.ofGraph(userId, graph.id, graph.version)) ?? null;
  }

  /**
   * Adds the graph version a store listing version publishes to the user's library (AutoGPT's "add marketplace
   * agent"); the agent they already have when it is there. 404 when the listing version does not exist.
   */
  async addFromListing(userId: string, listingVersionId: string, listings: ListingGraphs): Promise<LibraryAgentRecord> {
    const graph = await listings.graphOfListingVersion(listingVersionId);
    const existing = await this.ofGraph(userId, graph.id);
    if (existing) return existing;
    return this.addFromMarketplace(userId, graph);
  }

  /** Changes only what is given; a pinned version must exist (404). */
  async update(userId: string, agentId: string, update: LibraryAgentUpdate): Promise<LibraryAgentRecord> {
    const entry = await this.get(userId, agentId);
    const changes: repo.LibraryAgentChanges = {};
    if (update.graphVersion !== undefined) {
      const version = await graphRepo.getGraph(this.db, entry.graph.userId, entry.agent.graphId, update.graphVersion, {
        subGraphs: false,
      });
      if (!version) throw ApiError.notFound(`Graph #${entry.agent.graphId} v${update.graphVersion}`);
      changes.graphVersion = update.graphVersion;
      changes.useGraphIsActiveVersion = false;
    }
    if (update.autoUpdateVersion !== undefined) changes.useGraphIsActiveVersion = update.autoUpdateVersion;
    if (update.isFavorite !== undefined) changes.isFavorite = update.isFavorite;
    if (update.isArchived !== undefined) changes.isArchived = update.isArchived;
    if (!(await repo.updateLibraryAgent(this.db, userId, agentId, changes))) throw agentNotFound(agentId);
    // Following again means pointing at the graph's current version now, not at the next write.
    if (changes.useGraphIsActiveVersion === true) await repo.followCurrentVersion(this.db, userId, entry.agent.graphId);
    return this.get(userId, agentId);
  }

  /** Removes an agent from the library (its graph stays); 404 when the user has no such agent. */
  async remove(userId: string, agentId: string): Promise<void> {
    if (!(await repo.deleteLibraryAgent(this.db, userId, agentId))) throw agentNotFound(agentId);
  }

  /** Merges `changes` into the settings of the user's agent of graph `graphId`; returns every setting stored. */
  async updateSettings(
    userId: string,
    graphId: string,
    changes: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const id = await repo.libraryAgentIdOfGraph(this.db, userId, graphId);
    if (!id) throw ApiError.notFound(`Graph #${graphId}`, { graph_id: graphId });
    return repo.updateLibrarySettings(this.db, id, changes);
  }

  /**
   * AutoGPT's run_agent identifier: a library agent id of the user, or else one of the user's graph ids, with the
   * graph version to run. Undefined when neither matches (another user's agent included).
   */
  async resolve(userId: string, id: string): Promise<{ graph: GraphModel; libraryAgentId: string | null } | undefined> {
    const entry = await repo.getLibraryAgent(this.db, userId, id);
    if (entry) {
      const version = entry.agent.useGraphIsActiveVersion ? undefined : entry.agent.graphVersion;
      const graph = await graphRepo.getGraphForRun(this.db, userId, entry.agent.graphId, version);
      return graph ? { graph, libraryAgentId: entry.agent.id } : undefined;
    }
    const graph = await graphRepo.getGraphForRun(this.db, userId, id);
    if (!graph) return undefined;
    return { graph, libraryAgentId: (await repo.libraryAgentIdOfGraph(this.db, userId, graph.id)) ?? null };
  }

  private async withInterfaces(entries: repo.LibraryEntry[]): Promise<LibraryAgentRecord[]> {
    const interfaceOf = await this.interfaces.of(entries.map((e) => ({ id: e.graph.id, version: e.graph.version })));
    return entries.map((e) => ({ ...e, interface: interfaceOf({ id: e.graph.id, version: e.graph.version }) }));
  }
}
