// A block context outside a graph run: the direct block run (POST /blocks/{id}/execute, run_block) and block tests.
import { randomUUID } from "node:crypto";
import { type Http, HttpClient } from "../infra/http/client.js";
import type { Credentials } from "./credentials.js";
import type { BlockContext, BlockOutput, Usage } from "./sdk.js";

/** A direct block run has no graph around it: a block that asks for a sub-graph run fails. */
function noSubgraphs(): AsyncIterable<BlockOutput> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.reject(new Error("This block runs other agents and can only run inside a graph")),
    }),
  };
}

export interface StandaloneContextOptions extends Partial<Omit<BlockContext, "http" | "credentialsFor">> {
  /** The shared client; a guarded one without allow-list or provider overrides if absent. */
  http?: Http;
  /** Credentials by input name (`credentials`, `github_credentials`...). */
  credentialsByField?: Record<string, Credentials>;
  /** Receives what the block reports. */
  usage?: Usage[];
}

let defaultClient: HttpClient | undefined;

export function standaloneContext(options: StandaloneContextOptions = {}): BlockContext {
  const { http, credentialsByField = {}, usage, ...rest } = options;
  const signal = rest.signal ?? new AbortController().signal;
  if (!http) defaultClient ??= new HttpClient();
  const client = http ?? (defaultClient as HttpClient);
  return {
    userId: "",
    graphId: "",
    graphVersion: 0,
    graphExecId: "",
    nodeId: "",
    nodeExecId: randomUUID(),
    credentials: credentialsByField.credentials,
    runSubgraph: noSubgraphs,
    linkedNodes: [],
    graphInfo: async () => undefined,
    reportUsage: (u) => void usage?.push(u),
    ...rest,
    signal,
    http: client instanceof HttpClient ? client.withSignal(signal) : client,
    credentialsFor: (field) => credentialsByField[field],
  };
}
