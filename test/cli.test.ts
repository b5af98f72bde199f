// The `agentry` command as a user runs it: create an admin and a key, serve, the data-dir lock, data kept across restarts.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { budget, COMPILED, killChildren, run, serve, stop } from "./helpers/cli.js";
import { client, signUp } from "./helpers/client.js";
import { create, execute, graph, waitFor } from "./helpers/runs.js";
import { freshDataDir } from "./helpers/server.js";

describe("agentry CLI", () => {
  // A copy of the migrated template: the point of these tests is the commands, not PGlite's first init.
  let dataDir = "";
  afterEach(async () => {
    await killChildren();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    dataDir = "";
  });

  it("creates an admin and a key, serves them, refuses a second process, and keeps data across restarts", {
    timeout: budget(7),
  }, async () => {
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
  });

  it("runs an agent JSON from the command line, showing each node and printing the outputs", {
    timeout: budget(3),
  }, async () => {
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
  });

  it("serves from the compiled build that npm start runs: migrations shipped, sandbox worker compiled", {
    timeout: budget(1),
  }, async () => {
    expect(fs.existsSync(COMPILED), "dist/ is missing: `npm ci` builds it (or run `npm run build`)").toBe(true);
    // A data dir never initialised: the compiled build must carry its migrations.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentry-compiled-"));
    const { child, url } = await serve(dataDir, COMPILED);
    const alice = await signUp(url);
    const match = await create(
      alice.api,
      graph(
        "compiled regex",
        [
          {
            id: "m",
            block_id: "3060088f-6ed9-4928-9ba7-9c92823a7ccd",
            input_default: { text: "abc123", match: "[0-9]+", data: "found" },
          },
        ],
        [],
      ),
    );
    const done = await waitFor(
      alice.api,
      (await execute(alice.api, match, {})).id,
      (r) => r.status !== "QUEUED" && r.status !== "RUNNING",
      60_000,
    );
    expect(done.status, JSON.stringify(done.stats)).toBe("COMPLETED");
    expect(done.node_executions[0].output_data).toEqual({ positive: ["found"] });
    await stop(child);
  });

  it("prints usage for --help and fails with usage for an unknown command", { timeout: budget(2) }, async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("agentry <command>");
    const unknown = await run(["frobnicate"]);
    expect(unknown.code).toBe(2);
  });
});
