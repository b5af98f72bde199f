// Runs one template render or regular-expression search in a worker thread, where it can be stopped.
import { parentPort } from "node:worker_threads";
import { pyFindAllUnbounded } from "../pyregex.js";
import { renderTemplate } from "../template.js";
import { type SandboxReply, type SandboxTask, STARTED } from "./protocol.js";

export function evaluate(task: SandboxTask): SandboxReply {
  parentPort?.postMessage({ [STARTED]: task.id });
  try {
    const value =
      task.kind === "template"
        ? renderTemplate(task.source, task.values, { autoescape: task.autoescape, limits: task.limits })
        : pyFindAllUnbounded(task.pattern, task.text, task.options);
    return { ok: true, value };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { ok: false, name: e.name, message: e.message };
  }
}
