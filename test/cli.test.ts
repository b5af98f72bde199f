// The `agentry` command as a user runs it: create an admin and a key, serve, the data-dir lock, data kept across restarts.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { client } from "./helpers/client.js";
import { freshDataDir } from "./helpers/server.js";

const BIN = path.resolve("bin/agentry.js");
/**
 * What one `agentry` process may take: loading the sources through tsx and opening PGlite can take 10-50 s on a
 * loaded 2-core machine. A test's timeout is this times the processes it starts; nothing waits for a fixed time.
 */
const PROCESS_MS = 90_000;
const budget = (processes: number) => processes * PROCESS_MS + 10_000;

/** The parent's environment without settings that would point the child elsewhere than its data dir. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "warn", ...extra };
  for (const name of ["DATABASE_URL", "REDIS_URL", "PORT", "HOST", "DATA_DIR", "PUBLIC_URL"]) delete env[name];
  return env;
}

/** Children still running when a test ends (it failed or timed out) are killed then, not left holding a lock. */
const children = new Set<ChildProcess>();
async function killChildren(): Promise<void> {
  const exited = [...children].map(
    (child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve))),
  );
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(exited);
  children.clear();
}

function launch(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env) });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function run(args: string[], env: Record<string, string> = {}) {
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
function serve(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = launch(["serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir]);
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
function stop(child: ChildProcess): Promise<void> {
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

describe("agentry CLI", () => {
  // A copy of the migrated template: the point of these tests is the commands, not PGlite's first init.
  let dataDir = "";
  afterEach(async () => {
    await killChildren();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    dataDir = "";
  });

  it(
    "creates an admin and a key, serves them, refuses a second process, and keeps data across restarts",
    async () => {
      dataDir = freshDataDir();
      expect((await run(["migrate", "--data-dir", dataDir])).stdout).toContain("Migrations applied");

      const created = await run([
        "admin",
        "create-user",
        "--email",
        "root@example.com",
        "--admin",
        "--data-dir",
        dataDir,
      ]);
      expect(created.code).toBe(0);
      expect(created.stdout).toContain("Created admin user root@example.com");
      const password = /Password: (\S+)/.exec(created.stdout)?.[1] as string;
      expect(password).toBeTruthy();

      const badScope = await run([
        "keys",
        "create",
        "--user",
        "root@example.com",
        "--scopes",
        "EVERYTHING",
        "--data-dir",
        dataDir,
      ]);
      expect(badScope.code).toBe(2);
      expect(badScope.stderr).toContain("Unknown: EVERYTHING");
      const key = await run([
        "keys",
        "create",
        "--user",
        "root@example.com",
        "--scopes",
        "IDENTITY,READ_GRAPH",
        "--data-dir",
        dataDir,
      ]);
      expect(key.code).toBe(0);
      const plain = /^(agpt_\S+)$/m.exec(key.stdout)?.[1] as string;
      expect(plain).toBeTruthy();

      const first = await serve(dataDir);
      try {
        const me = await client(first.url, { "x-api-key": plain }).get("/api/auth/user");
        expect(me.body).toMatchObject({ email: "root@example.com", role: "admin" });
        const second = await run(["serve", "--port", "0", "--data-dir", dataDir]);
        expect(second.code).toBe(2);
        expect(second.stderr).toContain("in use by another Agentry process");
        const signup = await client(first.url).post("/api/auth/signup", {
          email: "later@example.com",
          password: "password123",
        });
        expect(signup.body.user.role).toBe("user");
      } finally {
        await stop(first.child);
      }

      const again = await serve(dataDir);
      try {
        const login = await client(again.url).post("/api/auth/login", {
          email: "later@example.com",
          password: "password123",
        });
        expect(login.status).toBe(200);
        const root = await client(again.url).post("/api/auth/login", { email: "root@example.com", password });
        expect(root.body.user.role).toBe("admin");
      } finally {
        await stop(again.child);
      }
    },
    budget(7),
  );

  it(
    "runs an agent JSON from the command line, showing each node and printing the outputs",
    async () => {
      dataDir = freshDataDir();
      const ok = await run(["run", "test/fixtures/calculator-agent.json", "--input", "Input=8", "--data-dir", dataDir]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('Running "Calculator agent"');
      expect(ok.stdout).toMatch(/✓ CalculatorBlock \[[0-9a-f]{8}\] COMPLETED result=42/);
      expect(ok.stdout).toContain("COMPLETED");
      expect(JSON.parse(ok.stdout.slice(ok.stdout.indexOf("{")))).toEqual({ Output: [42] });

      const invalid = await run([
        "run",
        "test/fixtures/agent_d85882b8-633f-44ce-a315-c20a8c123d19.json",
        "--data-dir",
        dataDir,
      ]);
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toContain("Invalid block");
      const badInput = await run([
        "run",
        "test/fixtures/calculator-agent.json",
        "--input",
        "novalue",
        "--data-dir",
        dataDir,
      ]);
      expect(badInput.code).toBe(2);
    },
    budget(3),
  );

  it(
    "prints usage for --help and fails with usage for an unknown command",
    async () => {
      const help = await run(["--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("agentry <command>");
      const unknown = await run(["frobnicate"]);
      expect(unknown.code).toBe(2);
    },
    budget(2),
  );
});
