// The one list of execution statuses (AutoGPT's AgentExecutionStatus): the TypeBox schema every route, the
// database enum and the engine derive theirs from, and the static type that comes with it.
import { type Static, Type } from "@sinclair/typebox";

export const ExecutionStatus = Type.Union(
  [
    Type.Literal("INCOMPLETE"),
    Type.Literal("QUEUED"),
    Type.Literal("RUNNING"),
    Type.Literal("COMPLETED"),
    Type.Literal("TERMINATED"),
    Type.Literal("FAILED"),
    Type.Literal("REVIEW"),
  ],
  { title: "AgentExecutionStatus" },
);

export type ExecutionStatus = Static<typeof ExecutionStatus>;

/** The statuses in AutoGPT's order, as a non-empty tuple (what a database enum is declared with). */
export const EXECUTION_STATUSES = ExecutionStatus.anyOf.map((s) => s.const) as [ExecutionStatus, ...ExecutionStatus[]];

/** Statuses a run never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<ExecutionStatus> = new Set(["COMPLETED", "TERMINATED", "FAILED"]);

/** The same list under another OpenAPI title (External API v2 calls it RunStatus). */
export const executionStatusTitled = (title: string) => Type.Union(ExecutionStatus.anyOf, { title });
