// Runs the `agentry` command as a child process for tests, with time budgets fit for a loaded machine.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

/** The CLI from the sources (through tsx); `COMPILED` below is the build `npm start` and `bin/agentry.js` run. */
const BIN = path.resolve("test/helpers/agentry-source.js");
/**
 * What one `agentry` process may take: loading the sources through tsx and opening PGlite can take 10-50 s on a
 * loaded 2-core machine. A test's timeout is this times the processes it starts; nothing waits for a fixed time.
 */
export const PROCESS_MS = 90_000;
export const budget = (processes: number) => processes * PROCESS_MS + 10_000;

/** The parent's environment without settings that would point the child elsewhere than its data dir. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "warn" };
  for (const name of ["DATABASE_URL", "REDIS_URL", "PORT", "HOST", "DATA_DIR", "PUBLIC_URL"]) delete env[name];
  return { ...env, ...extra };
}

/** Children still running when a test ends (it failed or timed out) are killed then, not left holding a lock. */
const children = new Set<ChildProcess>();
export async function killChildren(): Promise<void> {
  const exited = [...children].map(
    (child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve))),
  );
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(exited);
  children.clear();
}

/** The compiled entry `npm start` runs (built by `npm run build`, which `npm ci` runs as `prepare`). */
export const COMPILED = path.resolve("dist/cli/index.js");

function launch(args: string[], env: Record<string, string> = {}, entry = BIN): ChildProcess {
  const child = spawn(process.execPath, [entry, ...args], { env: childEnv(env) });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Starts `agentry ARGS` without waiting for anything: what it printed so far is in `output()`. */
export function start(args: string[], env: Record<string, string> = {}) {
  const child = launch(args, env);
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  return { child, output: () => output };
}

export function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = launch(args, env);
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`agentry ${args.join(" ")} did not finish in ${PROCESS_MS} ms:\n${stdout}\n${stderr}`));
    }, PROCESS_MS);
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `agentry serve` and resolves once it prints where it is running. */
export function serve(dataDir: string, entry = BIN): Promise<{ child: ChildProcess; url: string }> {
  const child = launch(["serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {}, entry);
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start in ${PROCESS_MS} ms:\n${out}\n${err}`));
    }, PROCESS_MS);
    child.stderr?.on("data", (d) => (err += d));
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}\n${err}`));
    });
  });
}

/** Stops a server as an operator would (SIGTERM) and waits until it has exited and released its data dir. */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not stop on SIGTERM in ${PROCESS_MS} ms`));
    }, PROCESS_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
