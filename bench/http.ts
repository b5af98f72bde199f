// HTTP throughput on the embedded default: GET /health (no auth), GET /api/auth/user with an API key, and
// GET /external-api/v1/graphs with an API key (rate limits off).
// Prints one JSON line. Usage: npm run bench:http [-- SECONDS]
import fs from "node:fs";
import { json, load, startServer } from "./lib.js";

const seconds = Number(process.argv[2] ?? 10);
const server = await startServer();
try {
  const session = await json(`${server.url}/api/auth/signup`, "POST", {
    email: "bench@example.com",
    password: "bench password",
  });
  const bearer = { authorization: `Bearer ${session.access_token}` };
  const key = await json(
    `${server.url}/api/api-keys`,
    "POST",
    { name: "bench", permissions: ["IDENTITY", "READ_GRAPH"] },
    bearer,
  );
  const apiKey = { "x-api-key": key.plain_text_key as string };

  await load(`${server.url}/health`, {}, 2); // warm-up
  const health = await load(`${server.url}/health`, {}, seconds);
  const authUser = await load(`${server.url}/api/auth/user`, apiKey, seconds);
  // A user with a few agents, as a script listing them would see.
  const agent = JSON.parse(fs.readFileSync("test/fixtures/calculator-agent.json", "utf8"));
  for (let i = 0; i < 5; i++) await json(`${server.url}/api/graphs`, "POST", { graph: agent }, bearer);
  const externalGraphs = await load(`${server.url}/external-api/v1/graphs`, apiKey, seconds);
  process.stdout.write(
    `${JSON.stringify({
      bench: "http",
      seconds,
      connections: 50,
      health_rps: health.rps,
      health_p99_ms: health.p99_ms,
      auth_user_api_key_rps: authUser.rps,
      auth_user_api_key_p99_ms: authUser.p99_ms,
      auth_vs_health_slowdown: Number((health.rps / authUser.rps).toFixed(2)),
      external_v1_graphs_rps: externalGraphs.rps,
      external_v1_graphs_p99_ms: externalGraphs.p99_ms,
    })}\n`,
  );
} finally {
  await server.stop();
}
