// What the main thread and a sandbox worker send each other.
import type { PyFindOptions } from "../pyregex.js";
import type { TemplateLimits } from "../template.js";

export type SandboxTask =
  | {
      id: number;
      kind: "template";
      source: string;
      values: Record<string, unknown>;
      autoescape: boolean;
      limits: TemplateLimits;
    }
  | { id: number; kind: "regex"; pattern: string; text: string; options: PyFindOptions };

/** Errors travel as name and message: structured cloning keeps neither our classes nor their names. */
export type SandboxReply = { ok: true; value: unknown } | { ok: false; name: string; message: string };

/** Key of the message a worker posts when it starts a task; the time limit counts from then, not from queueing. */
export const STARTED = "agentrySandboxStarted";
