// The `agentry` command as a user runs it: create an admin and a key, serve, the data-dir lock, data kept across restarts.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { client } from "./helpers/client.js";
import { freshDataDir } from "./helpers/server.js";

const BIN = path.resolve("bin/agentry.js");

function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LOG_LEVEL: "warn", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function serve(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
    env: { ...process.env, LOG_LEVEL: "warn" },
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60_000);
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string });
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });

describe("agentry CLI", () => {
  const dataDir = freshDataDir();
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("creates an admin and a key, serves them, refuses a second process, and keeps data across restarts", async () => {
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
  }, 120_000);

  it("runs an agent JSON from the command line, showing each node and printing the outputs", async () => {
    const dir = freshDataDir();
    try {
      const ok = await run(["run", "test/fixtures/calculator-agent.json", "--input", "Input=8", "--data-dir", dir]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('Running "Calculator agent"');
      expect(ok.stdout).toMatch(/✓ CalculatorBlock \[[0-9a-f]{8}\] COMPLETED result=42/);
      expect(ok.stdout).toContain("COMPLETED");
      expect(JSON.parse(ok.stdout.slice(ok.stdout.indexOf("{")))).toEqual({ Output: [42] });

      const invalid = await run(["run", "test/fixtures/agent_d85882b8-633f-44ce-a315-c20a8c123d19.json", "--data-dir", dir]);
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toContain("Invalid block");
      const badInput = await run(["run", "test/fixtures/calculator-agent.json", "--input", "novalue", "--data-dir", dir]);
      expect(badInput.code).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("prints usage for --help and fails with usage for an unknown command", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("agentry <command>");
    const unknown = await run(["frobnicate"]);
    expect(unknown.code).toBe(2);
  });
});
