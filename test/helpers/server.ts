// Boots a real Agentry server on an ephemeral loopback port for a test, on a copy of the migrated template.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { type ConfigOverrides, loadConfig } from "../../src/config.js";
import { type AgentryServer, createServer, type ServerOptions } from "../../src/server.js";

export interface TestServer {
  url: string;
  server: AgentryServer;
  dataDir: string;
  logs: string[];
  close(): Promise<void>;
}

export function freshDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentry-test-"));
  fs.cpSync(inject("pgliteTemplate"), dir, { recursive: true });
  fs.rmSync(path.join(dir, "ready"), { force: true });
  return dir;
}

export async function startTestServer(
  overrides: ConfigOverrides = {},
  options: ServerOptions = {},
): Promise<TestServer> {
  const dataDir = overrides.databaseUrl ? fs.mkdtempSync(path.join(os.tmpdir(), "agentry-test-")) : freshDataDir();
  const logs: string[] = [];
  const config = loadConfig(
    {},
    {
      host: "127.0.0.1",
      port: 0,
      dataDir,
      logLevel: "info",
      ...overrides,
      rateLimit: { enabled: false, ...overrides.rateLimit },
      // Closing a test server ends its runs at once instead of waiting for them.
      runLifecycle: { shutdownGraceSeconds: 0, ...overrides.runLifecycle },
      authThrottle: { enabled: false, ...overrides.authThrottle },
    },
  );
  const server = await createServer(config, { logStream: { write: (line) => void logs.push(line) }, ...options });
  const url = await server.listen();
  return {
    url,
    server,
    dataDir,
    logs,
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
