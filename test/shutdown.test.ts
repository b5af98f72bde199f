// Stopping the server as an operator does: SIGTERM drains running runs within the grace period and exits 0, and a
// configuration under which runs would wait forever is refused at start.
import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { SHUTDOWN_REASON } from "../src/engine/executor.js";
import { client, signUp } from "./helpers/client.js";
import { runCli, serveProcess } from "./helpers/process.js";
import { calculatorGraph, create, ended, execute, slowGraph, until, waitFor, waiting } from "./helpers/runs.js";
import { freshDataDir, startTestServer } from "./helpers/server.js";

describe("EXECUTOR_ENABLED=false with the in-process queue", () => {
  it("is refused at start with a clear error, by the CLI (non-zero exit, no stack trace) and by createServer", async () => {
    const dataDir = freshDataDir();
    try {
      const res = await runCli(["serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
        EXECUTOR_ENABLED: "false",
      });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/^agentry: EXECUTOR_ENABLED=false needs a shared execution queue/);
      expect(res.stderr).toContain("would wait forever");
      expect(res.stderr).not.toMatch(/^\s+at /m);
      expect(res.stdout).not.toContain("running at");
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    await expect(startTestServer({ executor: { enabled: false } })).rejects.toThrow(/EXECUTOR_ENABLED=false/);
  });
});

describe("SIGTERM", () => {
  const dataDir = freshDataDir();
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env = { JWT_SECRET: "a-jwt-secret-for-the-shutdown-test-0123456789abcdef" };

  it("stops taking runs, lets running ones finish within the grace period, exits 0; a run past it ends with the reason", async () => {
    // Grace period longer than any run here: the server drains, still answering HTTP meanwhile.
    const first = await serveProcess(["--data-dir", dataDir], { ...env, EXECUTOR_SHUTDOWN_GRACE_SECONDS: "600" });
    const alice = await signUp(first.url);
    const short = await create(alice.api, slowGraph(3));
    const long = await create(alice.api, slowGraph(600));
    const calc = await create(alice.api, calculatorGraph());
    const finishing = await execute(alice.api, short, { message: "made it" });
    const stoppedByUser = await execute(alice.api, long, { message: "never" });
    await waitFor(alice.api, finishing.id, (r) => waiting(r) || ended(r));
    await waitFor(alice.api, stoppedByUser.id, waiting);

    first.child.kill("SIGTERM");
    await until(() => /waiting up to 600 s for \d+ running execution/.test(first.output()), "the drain message");
    // Draining: a new run is accepted and left QUEUED for the next process; the running one finishes.
    const queued = await execute(alice.api, calc, { Input: 8 });
    expect(queued.status).toBe("QUEUED");
    const done = await waitFor(alice.api, finishing.id, ended);
    expect(done).toMatchObject({ status: "COMPLETED", outputs: { done: ["made it"] } });
    expect((await alice.api.get(`/api/executions/${queued.id}`)).body.status).toBe("QUEUED");
    // The last running run ends (here: stopped by its user), and the process exits at once, cleanly.
    expect((await alice.api.post(`/api/executions/${stoppedByUser.id}/stop`)).body.status).toBe("TERMINATED");
    expect(await first.exited).toBe(0);

    // A short grace period: the run that outlives it ends FAILED with the shutdown reason.
    const second = await serveProcess(["--data-dir", dataDir], { ...env, EXECUTOR_SHUTDOWN_GRACE_SECONDS: "1" });
    const api = client(second.url, { authorization: `Bearer ${alice.tokens.access_token}` });
    // The run queued while the first process drained is taken by this one.
    expect(await waitFor(api, queued.id, ended)).toMatchObject({ status: "COMPLETED", outputs: { Output: [42] } });
    const outlived = await execute(api, long, { message: "too slow" });
    await waitFor(api, outlived.id, waiting);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);

    const third = await serveProcess(["--data-dir", dataDir], env);
    try {
      const after = client(third.url, { authorization: `Bearer ${alice.tokens.access_token}` });
      const run = (await after.get(`/api/executions/${outlived.id}`)).body;
      expect(run).toMatchObject({ status: "FAILED", stats: { error: SHUTDOWN_REASON } });
      expect(run.node_executions.find((n: { node_id: string }) => n.node_id === long.nodes[1].id).status).toBe(
        "TERMINATED",
      );
      expect((await after.get(`/api/executions/${finishing.id}`)).body.status).toBe("COMPLETED");
      expect((await after.get(`/api/executions/${stoppedByUser.id}`)).body.status).toBe("TERMINATED");
    } finally {
      third.child.kill("SIGTERM");
      expect(await third.exited).toBe(0);
    }
  }, 360_000);
});
