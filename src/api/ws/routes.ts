// /ws: AutoGPT's WebSocket protocol. Subscribe to a run or to all runs of a graph; receive its execution events.
import type { FastifyPluginAsync } from "fastify";
import type { WebSocket } from "ws";
import type { Principal, Revocation } from "../../auth/service.js";
import { ApiError } from "../../core/errors.js";
import type { ExecutionEvent } from "../../engine/types.js";

type Method =
  | "subscribe_graph_execution"
  | "subscribe_graph_executions"
  | "unsubscribe"
  | "graph_execution_event"
  | "node_execution_event"
  | "error"
  | "heartbeat";

/** Server messages carry every key of AutoGPT's WSMessage, as its server serializes them. */
function message(
  method: Method,
  fields: { data?: unknown; success?: boolean | null; channel?: string | null; error?: string | null },
) {
  return JSON.stringify({
    method,
    data: fields.data ?? null,
    success: fields.success ?? null,
    channel: fields.channel ?? null,
    error: fields.error ?? null,
  });
}

/** Policy violation (RFC 6455 §7.4.1): the credential the connection was opened with no longer holds. */
const CREDENTIAL_ENDED = 1008;

function affects(event: Revocation, principal: Principal): boolean {
  switch (event.kind) {
    case "session":
      return principal.sessionId === event.id;
    case "api_key":
      return principal.apiKeyId === event.id;
    case "user":
      return principal.user.id === event.id;
    case "oauth":
      return principal.kind === "oauth" && (event.userId === undefined || event.userId === principal.user.id);
  }
}

function endedReason(principal: Principal): string {
  if (principal.kind === "api_key") return "API key revoked";
  if (principal.kind === "oauth") return "Access token revoked";
  return "Session ended";
}

const canRead = (principal: Principal) => principal.kind === "session" || principal.scopes.has("READ_RUN");

const execChannel = (userId: string, graphExecId: string) => `${userId}|graph_exec#${graphExecId}`;
const graphChannel = (userId: string, graphId: string) => `${userId}|graph#${graphId}|executions`;

export const wsRoutes: FastifyPluginAsync = async (app) => {
  const { auth, events, executions, loadGraph, config } = app.platform;
  const revalidateSeconds = config.websocket.revalidateSeconds;
  const channels = new Map<string, Set<WebSocket>>();

  const unsubscribeBus = events.subscribe((event: ExecutionEvent) => {
    const data = event.data;
    const graphExecId = event.type === "graph_execution_event" ? event.data.id : event.data.graph_exec_id;
    for (const channel of [execChannel(data.user_id, graphExecId), graphChannel(data.user_id, data.graph_id)]) {
      const sockets = channels.get(channel);
      if (!sockets || sockets.size === 0) continue;
      const text = message(event.type, { data, channel });
      for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(text);
    }
  });
  app.addHook("onClose", async () => unsubscribeBus());

  // A connection outlives the request that authenticated it: it re-checks its credential on this process's
  // revocations at once, and every `revalidateSeconds` for revocations made elsewhere (other processes, the database).
  const checks = new Set<{ principal: Principal; check: () => void }>();
  const unsubscribeRevocations = auth.onRevoked((event: Revocation) => {
    for (const entry of checks) if (affects(event, entry.principal)) entry.check();
  });
  app.addHook("onClose", async () => unsubscribeRevocations());

  /** One of the user's runs without its node executions, or undefined. */
  async function findRun(userId: string, graphExecId: string) {
    try {
      const {
        node_executions: _nodes,
        node_executions_pagination: _page,
        ...run
      } = await executions.get(userId, graphExecId, undefined, { page: 1, pageSize: 1 });
      return run;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async function identify(request: { principal?: Principal; query: unknown }): Promise<Principal | undefined> {
    if (request.principal) return request.principal;
    const token = (request.query as { token?: string }).token;
    if (!token) return undefined;
    if (token.startsWith("agpt_") && !token.startsWith("agpt_xt_")) return auth.authenticate({ "x-api-key": token });
    return auth.authenticateBearer(token);
  }

  app.get(
    "/ws",
    {
      websocket: true,
      schema: {
        tags: ["websocket"],
        summary:
          "WebSocket (AutoGPT protocol): authenticate with ?token=<JWT or API key> or headers; " +
          "send subscribe_graph_execution / subscribe_graph_executions / unsubscribe / heartbeat; " +
          "receive graph_execution_event and node_execution_event. ?user_id is accepted and ignored.",
      },
    },
    async (socket, request) => {
      // Listen at once: a client may send its first message before authentication (a database lookup) is done.
      const early: Buffer[] = [];
      let onMessage: ((raw: Buffer) => void) | undefined;
      socket.on("message", (raw: Buffer) => (onMessage ? onMessage(raw) : early.push(raw)));
      let principal: Principal | undefined;
      try {
        principal = await identify(request);
      } catch {
        // A guessed ?token counts like a guessed header credential (counted by the HTTP layer).
        await app.authThrottle?.failed(request).catch(() => {});
        socket.close(4003, "Invalid token");
        return;
      }
      if (!principal) {
        socket.close(4001, "Missing authentication token");
        return;
      }
      if (!canRead(principal)) {
        socket.close(4003, "Missing required scope: READ_RUN");
        return;
      }
      // The client may have gone while it was being authenticated: nothing to watch then.
      if (socket.readyState !== socket.OPEN) return;
      const userId = principal.user.id;
      const opened = principal;
      let checking = false;
      const check = async () => {
        if (checking || socket.readyState !== socket.OPEN) return;
        checking = true;
        try {
          const now = await auth.revalidate(opened);
          if (!now) socket.close(CREDENTIAL_ENDED, endedReason(opened));
          else if (!canRead(now)) socket.close(CREDENTIAL_ENDED, "Missing required scope: READ_RUN");
        } catch (err) {
          // The database is unreachable: keep the connection, the next check decides.
          request.log.warn({ err }, "websocket credential check failed");
        } finally {
          checking = false;
        }
      };
      const entry = { principal: opened, check: () => void check() };
      checks.add(entry);
      const timer = revalidateSeconds > 0 ? setInterval(entry.check, revalidateSeconds * 1000) : undefined;
      timer?.unref();
      const mine = new Set<string>();
      const join = (channel: string) => {
        let set = channels.get(channel);
        if (!set) {
          set = new Set();
          channels.set(channel, set);
        }
        set.add(socket);
        mine.add(channel);
      };
      const leave = (channel: string) => {
        const set = channels.get(channel);
        set?.delete(socket);
        if (set?.size === 0) channels.delete(channel);
        mine.delete(channel);
      };
      const fail = (error: string) => socket.send(message("error", { success: false, error }));

      socket.on("close", () => {
        clearInterval(timer);
        checks.delete(entry);
        for (const channel of [...mine]) leave(channel);
      });
      onMessage = async (raw) => {
        let msg: { method?: unknown; data?: Record<string, unknown> | string | null };
        try {
          msg = JSON.parse(raw.toString());
          if (!msg || typeof msg !== "object") throw new Error();
        } catch {
          return fail("Invalid message format. Review the schema and retry");
        }
        const data = msg.data && typeof msg.data === "object" ? msg.data : {};
        try {
          switch (msg.method) {
            case "heartbeat":
              return socket.send(JSON.stringify({ method: "heartbeat", data: "pong", success: true }));
            case "subscribe_graph_execution": {
              const id = data.graph_exec_id;
              if (typeof id !== "string") return fail("Subscription data missing");
              const run = await findRun(userId, id);
              if (!run) return fail(`Graph execution #${id} not found`);
              const channel = execChannel(userId, id);
              join(channel);
              socket.send(message("subscribe_graph_execution", { success: true, channel }));
              // A run that ended before the subscription still tells its end.
              if (["COMPLETED", "FAILED", "TERMINATED"].includes(run.status)) {
                const event = { ...run, event_type: "graph_execution_update" };
                socket.send(message("graph_execution_event", { data: event, channel }));
              }
              return;
            }
            case "subscribe_graph_executions": {
              const id = data.graph_id;
              if (typeof id !== "string") return fail("Subscription data missing");
              if (!(await loadGraph(userId, id))) return fail(`Graph #${id} not found`);
              const channel = graphChannel(userId, id);
              join(channel);
              return socket.send(message("subscribe_graph_executions", { success: true, channel }));
            }
            case "unsubscribe": {
              const channel =
                typeof data.graph_exec_id === "string"
                  ? execChannel(userId, data.graph_exec_id)
                  : typeof data.graph_id === "string"
                    ? graphChannel(userId, data.graph_id)
                    : undefined;
              if (!channel) return fail("Subscription data missing");
              leave(channel);
              return socket.send(message("unsubscribe", { success: true, channel }));
            }
            default:
              return fail("Message type is not processed by the server");
          }
        } catch (err) {
          request.log.warn({ err }, "websocket message failed");
          return fail(err instanceof ApiError ? err.message : "Invalid message data. Refer to the API schema");
        }
      };
      for (const raw of early.splice(0)) onMessage(raw);
    },
  );
};
