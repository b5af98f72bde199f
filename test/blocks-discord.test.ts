// The Discord bot blocks through the real server against a loopback Discord REST API: the bot token in the Bot
// authorization header, channel lookup by id and by name, 2000-character chunks, reading the newest message.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standaloneContext } from "../src/blocks/context.js";
import { sendDiscordMessage } from "../src/blocks/discord.js";
import { runBlock } from "./helpers/block-run.js";
import { signUp } from "./helpers/client.js";
import {
  type ProviderServer,
  type ReceivedRequest,
  type ScriptedReply,
  startProviderServer,
} from "./helpers/provider-server.js";
import { create, graph } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const BOT_TOKEN = "MTIzNDU2.discord-bot-token.xyz";
const READ = "df06086a-d5ac-4abb-9996-2ad0acb2eff7";
const SEND = "d0822ab5-9f8a-44a3-8971-531dd0178b6b";
const bot = { id: "discord-cred-1", provider: "discord", type: "api_key", title: "My bot", api_key: BOT_TOKEN };

describe("Discord blocks against a loopback Discord", () => {
  let provider: ProviderServer;
  let t: TestServer;
  let api: Awaited<ReturnType<typeof signUp>>["api"];

  beforeAll(async () => {
    provider = await startProviderServer();
    // The operator's base URL replaces https://discord.com/api/v10 path and all.
    t = await startTestServer({
      outgoingHttp: { providerBaseUrls: { discord: `${provider.url}/api/v10` } },
      httpAllowList: [new URL(provider.url).host],
    });
    ({ api } = await signUp(t.url));
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });

  function serve(routes: Record<string, ScriptedReply | ((req: ReceivedRequest) => ScriptedReply)>) {
    const from = provider.received.length;
    provider.handle((req) => {
      const route = routes[`${req.method} ${req.path}`];
      if (!route) return { status: 404, json: { message: "Unknown Channel", code: 10003 } };
      return typeof route === "function" ? route(req) : route;
    });
    return () => provider.received.slice(from);
  }

  const guilds = {
    json: [
      { id: "g1", name: "Home" },
      { id: "g2", name: "Work" },
    ],
  };

  it("SendDiscordMessageBlock finds a channel by name in the named server and posts to it", async () => {
    const received = serve({
      "GET /api/v10/users/@me/guilds": guilds,
      "GET /api/v10/guilds/g2/channels": {
        json: [
          { id: "300", type: 4, name: "general" }, // a category of that name cannot take messages
          { id: "301", type: 2, name: "general" }, // nor is a voice channel one of discord.py's text_channels
          { id: "302", type: 0, name: "general", position: 1 },
        ],
      },
      "POST /api/v10/channels/302/messages": { json: { id: "m-1", channel_id: "302", content: "hi" } },
    });
    const { status, outputs } = await runBlock(
      api,
      SEND,
      { channel_name: "general", server_name: "Work", message_content: "Hello, team!" },
      { credentials: bot },
    );
    expect(status).toBe("COMPLETED");
    expect(outputs).toMatchObject({ status: ["Message sent"], message_id: ["m-1"], channel_id: ["302"] });
    const requests = received();
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /api/v10/users/@me/guilds",
      "GET /api/v10/guilds/g2/channels",
      "POST /api/v10/channels/302/messages",
    ]);
    for (const req of requests) expect(req.headers.authorization).toBe(`Bot ${BOT_TOKEN}`);
    expect(requests[2].json).toEqual({ content: "Hello, team!" });
  });

  it("SendDiscordMessageBlock takes a channel id and splits a long message at 2000 characters", async () => {
    let n = 0;
    const received = serve({
      "GET /api/v10/channels/123456789": { json: { id: "123456789", type: 0, name: "alerts", guild_id: "g1" } },
      "POST /api/v10/channels/123456789/messages": () => ({ json: { id: `m-${++n}`, channel_id: "123456789" } }),
    });
    const long = `${"a".repeat(1999)}é${"b".repeat(2000)}${"😀".repeat(5)}`;
    const { status, outputs } = await runBlock(
      api,
      SEND,
      { channel_name: "123456789", message_content: long },
      { credentials: bot },
    );
    expect(status).toBe("COMPLETED");
    const posts = received().filter((r) => r.method === "POST");
    expect(posts.map((p) => p.json.content)).toEqual([`${"a".repeat(1999)}é`, "b".repeat(2000), "😀".repeat(5)]);
    expect(outputs).toMatchObject({ status: ["Message sent"], message_id: ["m-3"], channel_id: ["123456789"] });
  });

  it("SendDiscordMessageBlock reports a channel it cannot find on its status pin", async () => {
    serve({
      "GET /api/v10/users/@me/guilds": guilds,
      "GET /api/v10/guilds/g1/channels": { json: [{ id: "1", type: 0, name: "random" }] },
      "GET /api/v10/guilds/g2/channels": { json: [] },
    });
    const { status, outputs } = await runBlock(
      api,
      SEND,
      { channel_name: "nowhere", message_content: "x" },
      { credentials: bot },
    );
    expect(status).toBe("COMPLETED");
    expect(outputs.status).toEqual(["Channel not found: nowhere"]);
    expect(outputs.message_id).toBeUndefined();
  });

  it("ReadDiscordMessagesBlock yields the newest message not written by the bot, with a text attachment", async () => {
    const received = serve({
      "GET /api/v10/users/@me": { json: { id: "bot-1", username: "agentbot" } },
      "GET /api/v10/users/@me/guilds": guilds,
      "GET /api/v10/guilds/g1/channels": {
        json: [
          { id: "10", type: 0, name: "general", last_message_id: "1000" },
          { id: "11", type: 2, name: "voice", last_message_id: "9000" },
          { id: "12", type: 0, name: "quiet", last_message_id: "50" },
        ],
      },
      "GET /api/v10/guilds/g2/channels": { json: [{ id: "20", type: 0, name: "dev", last_message_id: "1200" }] },
      // Newest activity in #dev is the bot's own message; the one before it is older than #general's.
      "GET /api/v10/channels/20/messages": {
        json: [
          { id: "1200", channel_id: "20", content: "bot says", author: { id: "bot-1", username: "agentbot" } },
          { id: "900", channel_id: "20", content: "older", author: { id: "u-2", username: "zed" } },
        ],
      },
      "GET /api/v10/channels/10/messages": {
        json: [
          {
            id: "1000",
            channel_id: "10",
            content: "Please review",
            author: { id: "u-1", username: "ann" },
            attachments: [{ filename: "script.py", url: `${provider.url}/cdn/script.py` }],
          },
        ],
      },
      "GET /cdn/script.py": { body: "print('hi')" },
    });
    const { status, outputs, node } = await runBlock(api, READ, {}, { credentials: bot });
    expect(status, JSON.stringify(node.output_data)).toBe("COMPLETED");
    expect(outputs).toEqual({
      message_content: ["Please review\n\nFile from user: script.py\nContent: print('hi')"],
      message_id: ["1000"],
      channel_id: ["10"],
      channel_name: ["general"],
      user_id: ["u-1"],
      username: ["ann"],
    });
    const requests = received();
    const paths = requests.map((r) => r.path);
    expect(paths).toContain("/api/v10/channels/20/messages");
    // #quiet's last message is older than the one found: it is never read.
    expect(paths).not.toContain("/api/v10/channels/12/messages");
    expect(paths).not.toContain("/api/v10/channels/11/messages");
    expect(requests.find((r) => r.path === "/api/v10/channels/10/messages")?.query.get("limit")).toBe("50");
    for (const req of requests.filter((r) => r.path.startsWith("/api/v10/"))) {
      expect(req.headers.authorization).toBe(`Bot ${BOT_TOKEN}`);
    }
    // The CDN download is a plain request: the bot token goes to Discord's API only.
    expect(requests.find((r) => r.path === "/cdn/script.py")?.headers.authorization).toBeUndefined();
  });

  it("ReadDiscordMessagesBlock fails clearly when there is no message to read", async () => {
    serve({
      "GET /api/v10/users/@me": { json: { id: "bot-1", username: "agentbot" } },
      "GET /api/v10/users/@me/guilds": { json: [] },
    });
    const { status, outputs } = await runBlock(api, READ, {}, { credentials: bot });
    expect(status).toBe("FAILED");
    expect(outputs.error).toEqual(["An error occurred: No message, channel name, or username received."]);
  });

  it("a rejected bot token fails the node as a login error, without the token", async () => {
    serve({
      "GET /api/v10/users/@me/guilds": { status: 401, json: { message: `401: Unauthorized ${BOT_TOKEN}`, code: 0 } },
    });
    const { status, outputs, run } = await runBlock(
      api,
      SEND,
      { channel_name: "general", message_content: "x" },
      { credentials: bot },
    );
    expect(status).toBe("FAILED");
    expect(String(outputs.error?.[0])).toMatch(/^Login error occurred: Improper token has been passed/);
    expect(JSON.stringify(run)).not.toContain(BOT_TOKEN);

    serve({
      "GET /api/v10/channels/42": { json: { id: "42", type: 0, name: "locked" } },
      "POST /api/v10/channels/42/messages": { status: 403, json: { message: "Missing Permissions", code: 50013 } },
    });
    const forbidden = await runBlock(api, SEND, { channel_name: "42", message_content: "x" }, { credentials: bot });
    expect(forbidden.status).toBe("FAILED");
    expect(forbidden.outputs.error).toEqual(["An error occurred: Discord API answered 403: Missing Permissions"]);
  });

  it("a run without Discord credentials is refused, naming the missing field", async () => {
    const received = serve({});
    const g = await create(api, graph("no bot", [{ id: "node", block_id: READ, input_default: {} }], []));
    expect(Object.keys(g.credentials_input_schema.properties)).toEqual(["discord_api_key_credentials"]);
    const refused = await api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: {}, credentials_inputs: {} });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain("credentials_inputs.discord_api_key_credentials");

    const ghost = { id: "ghost-bot", provider: "discord", type: "api_key", title: null };
    const { status, run } = await runBlock(
      api,
      READ,
      {},
      { credentialsInputs: { discord_api_key_credentials: ghost } },
    );
    expect(status).toBe("FAILED");
    expect(JSON.stringify(run)).toMatch(
      /Credentials ghost-bot \(discord, api_key\) for `credentials` are not available/,
    );
    expect(received()).toHaveLength(0);
  });

  it("a direct block run with no credentials at all fails naming the Discord bot token", async () => {
    const run = async () => {
      const input = { channel_name: "general", message_content: "x", server_name: "" };
      for await (const _ of sendDiscordMessage.run(input as never, standaloneContext())) {
      }
    };
    await expect(run()).rejects.toThrow("Missing Discord bot API key credentials for `credentials`");
  });
});
