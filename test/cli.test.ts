// The `agentry` command as a user runs it: create an admin and a key, serve, the data-dir lock, data kept across restarts.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { VERSION } from "../src/version.js";
import { budget, COMPILED, killChildren, run, serve, start, stop } from "./helpers/cli.js";
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

    // A graph naming a block this server does not have is refused, saying so.
    const unknownBlock = path.join(dataDir, "unknown-block.json");
    const calculator = JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8"));
    calculator.nodes[0].block_id = "00000000-0000-4000-8000-0000000000ff";
    fs.writeFileSync(unknownBlock, JSON.stringify(calculator));
    const invalid = await run(["run", unknownBlock, "--data-dir", dataDir]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("Invalid block");
    // AutoGPT's shipped agent imports, and names the credentials it needs when the operator has no keys.
    const needsKeys = await run([
      "run",
      "test/fixtures/agent_d85882b8-633f-44ce-a315-c20a8c123d19.json",
      "--data-dir",
      dataDir,
    ]);
    expect(needsKeys.code).toBe(1);
    expect(needsKeys.stderr).toContain("credentials_inputs.openai_api_key_credentials");
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

  it("answers --help, --version and usage errors without opening the database", { timeout: budget(5) }, async () => {
    // A data dir that does not exist: a command that opened the database would create it.
    dataDir = path.join(os.tmpdir(), `agentry-never-${process.pid}-${Date.now()}`);
    const env = { DATA_DIR: dataDir };
    const help = await run(["--help"], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("agentry <command>");
    const commandHelp = await run(["serve", "--help"], env);
    expect(commandHelp.code).toBe(0);
    expect(commandHelp.stdout).toContain("agentry <command>");
    const version = await run(["--version"], env);
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`agentry ${VERSION}\n`);
    const unknown = await run(["frobnicate"], env);
    expect(unknown.code).toBe(2);
    const badScopes = await run(["keys", "create", "--user", "a@example.com", "--scopes", "EVERYTHING"], env);
    expect(badScopes.code).toBe(2);
    expect(badScopes.stderr).toContain("Unknown: EVERYTHING");
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it("refuses a port in use before any database work, with a clear message", { timeout: budget(1) }, async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as net.AddressInfo).port;
    dataDir = path.join(os.tmpdir(), `agentry-never-${process.pid}-${Date.now()}`);
    try {
      const res = await run(["serve", "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir]);
      expect(res.code).toBe(2);
      expect(res.stderr).toBe(
        `agentry: port ${port} is already in use (127.0.0.1:${port}): stop the process using it, ` +
          "or choose another port with --port N or PORT\n",
      );
      expect(fs.existsSync(dataDir)).toBe(false);
    } finally {
      taken.close();
    }
  });

  it("answers 503 STARTING on its port until the database is ready", { timeout: budget(1) }, async () => {
    // A PostgreSQL that accepts connections and never answers holds the server in its start-up for as long as we like.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const dbPort = (silent.address() as net.AddressInfo).port;
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentry-starting-"));
    const server = start(["serve", "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir], {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${dbPort}/test`,
    });
    try {
      let res: Response | undefined;
      for (let i = 0; !res && i < 2000 && server.child.exitCode === null; i++) {
        res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        if (!res) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(res?.status, server.output()).toBe(503);
      expect(res?.headers.get("retry-after")).toBe("1");
      expect(await res?.json()).toMatchObject({ error: { code: "STARTING" } });
      const api = await fetch(`http://127.0.0.1:${port}/api/graphs`, { method: "POST", body: "{}" });
      expect(api.status).toBe(503);
      expect(server.output()).not.toContain("running at");
    } finally {
      server.child.kill("SIGKILL");
      silent.close();
    }
  });
});
