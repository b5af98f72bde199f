// The graph JSON shapes of the AutoGPT Platform API (GraphModel, NodeModel, Link), shared by the API and the engine:
// the static types of the TypeBox model in graph-schema.ts.
import type { Static } from "@sinclair/typebox";
import type * as S from "./graph-schema.js";

export type Link = Static<typeof S.Link>;
export type Node = Static<typeof S.NodeModel>;
export type JsonSchemaObject = Static<typeof S.JsonSchemaObject>;
export type GraphTriggerInfo = Static<typeof S.GraphTriggerInfo>;
/** The fields computed from a version's nodes. */
export type GraphInterface = Static<typeof S.GraphInterface>;
/** A stored graph version as the API returns it (AutoGPT's GraphModel). */
export type GraphModel = Static<typeof S.GraphModel>;
/** A sub-graph of a GraphModel (AutoGPT's BaseGraph): no nested sub-graphs. */
export type SubGraphModel = Static<typeof S.SubGraphModel>;
/** The listing shape (AutoGPT's GraphMeta). */
export type GraphMeta = Static<typeof S.GraphMeta>;
/** A version's own fields, without nodes or computed fields. */
export type GraphVersionMeta = Static<typeof S.GraphVersionMeta>;
/** A graph as a client submits it (AutoGPT's `Graph`). */
export type GraphInput = Static<typeof S.GraphInput>;
export type NodeInput = Static<typeof S.NodeInput>;
export type LinkInput = Static<typeof S.LinkInput>;
