// `agentry oauth create-app`: registers an OAuth application from the command line and prints its secret once.
import path from "node:path";
import { parseArgs } from "node:util";
import { isValidRedirectUri } from "../auth/oauth-provider.js";
import { ALL_SCOPES, isScope } from "../auth/scopes.js";
import { loadConfig } from "../config.js";

const USAGE =
  "Usage: agentry oauth create-app --name N --redirect-uri URI [--redirect-uri URI2] --scopes S1,S2 " +
  "[--owner EMAIL] [--description D] [--data-dir DIR]";

/** A mistake in the command line: reported on stderr with exit code 2, like the other commands' usage errors. */
function usageError(message: string): void {
  process.stderr.write(`agentry: ${message}\n${USAGE}\n`);
  process.exitCode = 2;
}

export async function createOauthApp(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: "string" },
      "redirect-uri": { type: "string", multiple: true },
      scopes: { type: "string" },
      owner: { type: "string" },
      description: { type: "string" },
      "data-dir": { type: "string" },
    },
  });
  if (!values.name) return usageError("--name is required");
  const redirectUris = values["redirect-uri"] ?? [];
  if (redirectUris.length === 0) return usageError("at least one --redirect-uri is required");
  const badUri = redirectUris.find((uri) => !isValidRedirectUri(uri));
  if (badUri) return usageError(`--redirect-uri must be an absolute URL without a fragment: ${badUri}`);
  const scopes = (values.scopes ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !isScope(s));
  if (scopes.length === 0 || unknown.length > 0) {
    return usageError(
      `--scopes takes a comma-separated list of: ${ALL_SCOPES.join(", ")}` +
        (unknown.length ? `\nUnknown: ${unknown.join(", ")}` : ""),
    );
  }

  const config = loadConfig(process.env, values["data-dir"] ? { dataDir: path.resolve(values["data-dir"]) } : {});
  // Imported once the arguments are known good: a usage error never loads the database drivers.
  const [{ OAuthProvider }, { openDatabase }, { firstAdmin }, users] = await Promise.all([
    import("../auth/oauth-provider.js"),
    import("../infra/db/index.js"),
    import("../infra/db/repos/oauth.js"),
    import("../infra/db/repos/users.js"),
  ]);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const owner = values.owner ? await users.findUserByEmail(database.db, values.owner) : await firstAdmin(database.db);
    if (!owner) {
      return usageError(
        values.owner
          ? `No user with email ${values.owner}`
          : "No admin user exists to own the application: pass --owner EMAIL",
      );
    }
    const provider = new OAuthProvider({ db: database.db });
    const { app, clientSecret } = await provider.createApp({
      name: values.name,
      description: values.description ?? null,
      redirectUris,
      scopes: scopes.filter(isScope),
      ownerId: owner.id,
    });
    process.stdout.write(
      `Created OAuth application "${app.name}" (${app.id}), owned by ${owner.email}\n` +
        `Redirect URIs: ${app.redirectUris.join(", ")}\n` +
        `Scopes: ${app.scopes.join(", ")}\n` +
        `Client ID: ${app.clientId}\n` +
        `Client secret (shown once): ${clientSecret}\n`,
    );
  } finally {
    await database.close();
  }
}
