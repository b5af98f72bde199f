// The `agentry` command line: serve, migrate, admin create-user, keys create, oauth create-app, run.
// Only what every command needs is imported here; each command imports the rest (the app, the database drivers)
// when it runs, so `--help`, `--version` and usage errors answer at once and never open the database.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ALL_SCOPES, isScope } from "../auth/scopes.js";
import { type Config, loadConfig } from "../config.js";
import type { Database } from "../infra/db/index.js";
import type { AgentryServer } from "../server.js";
import { VERSION } from "../version.js";
import { listenEarly } from "./listen-early.js";

const USAGE = `Usage: agentry <command> [options]

Commands:
  serve [--port N] [--data-dir DIR] [--host H]     start the server (embedded database unless DATABASE_URL is set)
  migrate [--data-dir DIR]                          apply database migrations and exit
  admin create-user --email E [--password P] [--name N] [--admin]
                                                    create a user (prints a generated password if none is given)
  keys create --user EMAIL --scopes S1,S2 [--name N]
                                                    create an API key for a user and print it once
  oauth create-app --name N --redirect-uri U [--redirect-uri U2] --scopes S1,S2 [--owner EMAIL]
                                                    register an OAuth application and print its client secret once
  run FILE.json [--input name=value ...] [--data-dir DIR]
                                                    import an agent JSON, run it, show progress, print its outputs
  secrets rotate [--data-dir DIR]                   re-encrypt every secret at rest under ENCRYPTION_KEY (a new
                                                    generated key if unset), reading with ENCRYPTION_KEYS_RETIRED
Options: --help (this text), --version
Environment: PORT, DATA_DIR, DATABASE_URL, REDIS_URL, JWT_SECRET, ENCRYPTION_KEY, LOG_LEVEL (see README).`;

const common = {
  port: { type: "string" },
  host: { type: "string" },
  "data-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function configFrom(values: Record<string, unknown>, envDefaults: Record<string, string> = {}): Config {
  const overrides: Record<string, unknown> = {};
  if (typeof values.port === "string") overrides.port = Number(values.port);
  if (typeof values.host === "string") overrides.host = values.host;
  if (typeof values["data-dir"] === "string") overrides.dataDir = values["data-dir"];
  const config = loadConfig({ ...envDefaults, ...process.env }, overrides);
  if (typeof values["data-dir"] === "string")
    config.dataDir = new URL(values["data-dir"], `file://${process.cwd()}/`).pathname;
  return config;
}

/** Progress of slow start-up steps, on stderr: shown on a first start, silent on the usual one. */
const progress = (step: string) => process.stderr.write(`${step.charAt(0).toUpperCase()}${step.slice(1)}\n`);

async function withDatabase<T>(config: Config, fn: (db: Database) => Promise<T>) {
  const { openDatabase } = await import("../infra/db/index.js");
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onProgress: progress,
  });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

async function serve(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: common, allowPositionals: false });
  const config = configFrom(values);
  // The port first: one in use fails now, not after the database work; meanwhile requests get 503 STARTING.
  const early = await listenEarly(config);
  let announced = false;
  const onProgress = (step: string) => {
    if (!announced) process.stderr.write(`Starting Agentry at ${early.url} (it answers 503 until ready)\n`);
    announced = true;
    progress(step);
  };
  let server: AgentryServer;
  try {
    const { createServer } = await import("../server.js");
    server = await createServer(config, { httpServer: early.server, onProgress });
  } catch (err) {
    early.server.close();
    throw err;
  }
  const url = await server.listen();
  const storage = server.platform.database.kind === "pglite" ? `embedded (${config.dataDir})` : "PostgreSQL";
  process.stdout.write(`Agentry is running at ${url}\nAPI reference: ${url}/docs\nStorage: ${storage}\n`);
  const setupToken = await server.platform.auth.pendingSetupToken();
  process.stdout.write(firstAdminNotice(url, config.dataDir, setupToken, process.stdout.isTTY === true));
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: end the runs still going now rather than after the grace period.
      process.stdout.write(`${signal} again: ending the executions still running now.\n`);
      await server.close({ graceMs: 0 });
      return;
    }
    stopping = true;
    const running = server.platform.executor?.activeRuns().length ?? 0;
    process.stdout.write(
      running > 0
        ? `${signal}: no longer taking runs; waiting up to ${config.runLifecycle.shutdownGraceSeconds} s for ` +
            `${running} running execution${running > 1 ? "s" : ""} to finish (send ${signal} again to end them now).\n`
        : `${signal}: shutting down.\n`,
    );
    try {
      await server.close();
    } catch (err) {
      process.stderr.write(`agentry: shutting down failed: ${(err as Error).message}\n`);
      process.exit(1);
    }
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/**
 * While there is no admin, the setup token goes to the operator only: onto the terminal (as Jupyter shows its token),
 * or, when stdout is not a terminal (and may be a shipped log), into a 0600 file in the data dir.
 */
function firstAdminNotice(url: string, dataDir: string, token: string | undefined, tty: boolean): string {
  const file = path.join(dataDir, "setup-token");
  if (!token) {
    fs.rmSync(file, { force: true });
    return "";
  }
  if (!tty) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  }
  return (
    "No admin yet: run `agentry admin create-user --email you@example.com --admin`, or sign up as the admin with " +
    (tty ? "this setup token:\n" : `the setup token in ${file}:\n`) +
    `  curl -X POST ${url}/api/auth/signup -H 'content-type: application/json' \\\n` +
    `    -d '{"email":"you@example.com","password":"…","setup_token":"${tty ? token : "<setup token>"}"}'\n`
  );
}

async function migrate(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: common });
  const config = configFrom(values);
  await withDatabase(config, async (db) => {
    process.stdout.write(`Migrations applied (${db.kind}).\n`);
  });
}

async function createUser(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...common,
      email: { type: "string" },
      password: { type: "string" },
      name: { type: "string" },
      admin: { type: "boolean", default: false },
    },
  });
  if (!values.email) throw new UsageError("--email is required");
  const config = configFrom(values);
  const [{ newId }, { hashPassword }, users] = await Promise.all([
    import("../auth/tokens.js"),
    import("../auth/passwords.js"),
    import("../infra/db/repos/users.js"),
  ]);
  const password = values.password ?? newId().replace(/-/g, "").slice(0, 20);
  await withDatabase(config, async (database) => {
    if (await users.findUserByEmail(database.db, values.email as string)) {
      throw new UsageError(`A user with email ${values.email} already exists`);
    }
    const user = await users.insertUser(database.db, {
      id: newId(),
      email: values.email as string,
      name: values.name ?? null,
      passwordHash: await hashPassword(password),
      role: values.admin ? "admin" : "user",
    });
    process.stdout.write(
      `Created ${values.admin ? "admin " : ""}user ${user?.email} (${user?.id})\n` +
        (values.password ? "" : `Password: ${password}\n`),
    );
  });
}

async function createKey(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: { ...common, user: { type: "string" }, scopes: { type: "string" }, name: { type: "string" } },
  });
  if (!values.user) throw new UsageError("--user EMAIL is required");
  const scopes = (values.scopes ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !isScope(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--scopes takes a comma-separated list of: ${ALL_SCOPES.join(", ")}${unknown.length ? `\nUnknown: ${unknown.join(", ")}` : ""}`,
    );
  }
  const config = configFrom(values);
  const [users, { loadInstanceSecrets }, { AuthService }] = await Promise.all([
    import("../infra/db/repos/users.js"),
    import("../auth/secrets.js"),
    import("../auth/service.js"),
  ]);
  await withDatabase(config, async (database) => {
    const user = await users.findUserByEmail(database.db, values.user as string);
    if (!user) throw new UsageError(`No user with email ${values.user}`);
    const secrets = loadInstanceSecrets({ dataDir: config.dataDir, jwtSecret: config.auth.jwtSecret });
    const auth = new AuthService({
      db: database.db,
      jwtSecret: secrets.jwtSecret,
      accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
    });
    const { plainText, row } = await auth.createApiKey(user, {
      name: values.name ?? "CLI key",
      permissions: scopes.filter(isScope),
    });
    process.stdout.write(`API key ${row.id} for ${user.email} (shown once):\n${plainText}\n`);
  });
}

async function run(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...common, input: { type: "string", multiple: true, short: "i" } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError("run takes one agent JSON file");
  const { parseInputs, runAgentFile } = await import("./run.js");
  let inputs: Record<string, unknown>;
  try {
    inputs = parseInputs(values.input ?? []);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const config = configFrom({ ...values, port: "0" }, { LOG_LEVEL: "warn" });
  process.exitCode = await runAgentFile(config, positionals[0] as string, inputs, process.stdout);
}

async function rotate(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: common });
  const config = configFrom(values);
  const { rotateSecrets } = await import("./secrets.js");
  await withDatabase(config, (database) => rotateSecrets(config, database, process.stdout));
}

class UsageError extends Error {}

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  serve,
  migrate,
  "admin create-user": createUser,
  "keys create": createKey,
  "oauth create-app": async (argv) => (await import("./oauth.js")).createOauthApp(argv),
  run,
  "secrets rotate": rotate,
};

async function main(argv: string[]) {
  const two = argv.slice(0, 2).join(" ");
  const [name, rest] = commands[two] ? [two, argv.slice(2)] : [argv[0] ?? "", argv.slice(1)];
  const command = commands[name];
  const wantsHelp = argv.includes("--help") || argv.includes("-h");
  if (!wantsHelp && (argv[0] === "--version" || argv[0] === "-v")) {
    process.stdout.write(`agentry ${VERSION}\n`);
    return;
  }
  if (!command || wantsHelp) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(wantsHelp || argv.length === 0 ? 0 : 2);
  }
  await command(rest);
}

main(process.argv.slice(2)).catch((err) => {
  if (
    err instanceof UsageError ||
    // By name: their modules are loaded only by the commands that throw them.
    (err as Error).name === "DataDirLockedError" ||
    (err as Error).name === "PortUnavailableError" ||
    (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
  ) {
    process.stderr.write(`agentry: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`agentry: ${(err as Error).message}\n`);
  process.exit(1);
});
