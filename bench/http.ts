// HTTP throughput: GET /health (no auth) vs GET /api/auth/user with an API key, on the embedded default.
// Prints one JSON line. Usage: npm run bench:http [-- SECONDS]
import { json, load, startServer } from "./lib.js";

const seconds = Number(process.argv[2] ?? 10);
const server = await startServer();
try {
  const session = await json(`${server.url}/api/auth/signup`, "POST", {
    email: "bench@example.com",
    password: "bench password",
  });
  const bearer = { authorization: `Bearer ${session.access_token}` };
  const key = await json(`${server.url}/api/api-keys`, "POST", { name: "bench", permissions: ["IDENTITY"] }, bearer);
  const apiKey = { "x-api-key": key.plain_text_key as string };

  await load(`${server.url}/health`, {}, 2); // warm-up
  const health = await load(`${server.url}/health`, {}, seconds);
  const authUser = await load(`${server.url}/api/auth/user`, apiKey, seconds);
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
    })}\n`,
  );
} finally {
  await server.stop();
}
