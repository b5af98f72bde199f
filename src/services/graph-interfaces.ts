// The computed fields of graph versions (input/output/credentials schemas, trigger flags), kept per version for
// the graph and library services, which both list versions with them.
import { computeInterface } from "../core/graph.js";
import type { GraphInterface, GraphModel } from "../core/graph-types.js";
import { TtlCache } from "../core/ttl-cache.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/graphs.js";

export type VersionRef = { id: string; version: number };
const refKey = (v: VersionRef) => `${v.id}\u0000${v.version}`;

/**
 * The computed fields of graph versions (input/output/credentials schemas, trigger flags), computed once per
 * version from its own nodes and kept: a version never changes once stored, so listings read them from here
 * instead of computing them per request. Missing ones come from one query for all their nodes.
 */
export class GraphInterfaces {
  private readonly cache = new TtlCache<string, GraphInterface>(6 * 3600_000, 20_000);

  constructor(private readonly db: Db) {}

  /** Records a version just written or read in full. */
  remember(graph: { id: string; version: number; nodes: GraphModel["nodes"] }): void {
    this.cache.set(refKey(graph), computeInterface(graph.nodes));
  }

  /** The computed fields of each version, by `id, version`; one query at most, whatever their number. */
  async of(versions: VersionRef[]): Promise<(v: VersionRef) => GraphInterface> {
    const missing = versions.filter((v) => !this.cache.get(refKey(v)));
    const found = new Map<string, GraphInterface>();
    if (missing.length > 0) {
      const nodesOf = await repo.versionNodes(this.db, missing);
      for (const v of missing) {
        const computed = computeInterface(nodesOf(v.id, v.version));
        found.set(refKey(v), computed);
        this.cache.set(refKey(v), computed);
      }
    }
    return (v) => found.get(refKey(v)) ?? this.cache.get(refKey(v)) ?? computeInterface([]);
  }
}
