// AutoGPT's Discord bot blocks (read the latest message, send a message) over Discord's REST API v10 with the user's
// bot token (`discord` api_key credentials), where AutoGPT logs a discord.py client into the gateway.
import { Type } from "@sinclair/typebox";
import type { HttpResponse } from "../infra/http/client.js";
import { CredentialsField, requireCredentials } from "./credentials.js";
import { inputs, outputs } from "./fields.js";
import { type Block, type BlockContext, defineBlock } from "./sdk.js";
import { scriptedHttp, testCredentials } from "./test-http.js";

export const DISCORD_BASE_URL = "https://discord.com/api/v10";

/** AutoGPT's DiscordBotCredentialsField: a `discord` API key holding the bot token. */
const DiscordCredentialsField = () =>
  CredentialsField({ providers: ["discord"], types: ["api_key"], description: "Discord bot token" });

const TEST_CREDENTIALS_INPUT = {
  provider: "discord",
  id: "01234567-89ab-cdef-0123-456789abcdef",
  type: "api_key",
  title: "api_key",
};
const testContext = (script: Parameters<typeof scriptedHttp>[0]) => ({
  http: scriptedHttp(script),
  credentials: testCredentials({ ...TEST_CREDENTIALS_INPUT, api_key: "test_api_key" }),
});

interface DiscordUser {
  id: string;
  username: string;
}
interface DiscordChannel {
  id: string;
  type: number;
  name?: string;
  guild_id?: string;
  position?: number;
  last_message_id?: string | null;
}
interface DiscordMessage {
  id: string;
  channel_id: string;
  content: string;
  author: DiscordUser;
  attachments?: Array<{ filename: string; url: string }>;
}

/** Channel types discord.py lists as a guild's text_channels (text, announcement). */
const TEXT_CHANNELS = new Set([0, 5]);
/** Channel types without messages of their own (category, directory, forum, media). */
const NO_MESSAGES = new Set([4, 14, 15, 16]);

/** A Discord failure as AutoGPT words it: a rejected token is a login error, anything else "An error occurred". */
class DiscordError extends Error {}

function discordApi(ctx: BlockContext) {
  const token = requireCredentials(ctx, "Discord bot", ["api_key"]).api_key;
  const http = ctx.http.forProvider("discord", DISCORD_BASE_URL);
  return async function call<T>(
    path: string,
    options: { json?: unknown; allow404?: boolean } = {},
  ): Promise<T | undefined> {
    let res: HttpResponse;
    try {
      res = await http.request({
        url: path,
        method: options.json === undefined ? "GET" : "POST",
        headers: { authorization: `Bot ${token}` },
        json: options.json,
        // 429s are Discord's rate limit; the client waits out its Retry-After.
        retry: { attempts: 3, baseDelayMs: 500, maxDelayMs: 10_000 },
      });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw new DiscordError(`An error occurred: Discord could not be reached: ${(error as Error).message}`);
    }
    if (res.status === 404 && options.allow404) return undefined;
    if (!res.ok) {
      let detail = "";
      try {
        detail = res.json<{ message?: string }>().message ?? "";
      } catch {
        detail = res.text().slice(0, 200);
      }
      detail = detail.replaceAll(token, "<redacted>");
      if (res.status === 401)
        throw new DiscordError(
          `Login error occurred: Improper token has been passed. (${detail || "401 Unauthorized"})`,
        );
      throw new DiscordError(`An error occurred: Discord API answered ${res.status}${detail ? `: ${detail}` : ""}`);
    }
    return res.json<T>();
  };
}

/** Discord ids (snowflakes) grow with time: compared as numbers, the larger is the newer. */
const newer = (a: string, b: string) => BigInt(a) > BigInt(b);

export const readDiscordMessages = defineBlock({
  id: "df06086a-d5ac-4abb-9996-2ad0acb2eff7",
  name: "ReadDiscordMessagesBlock",
  description: "Reads messages from a Discord channel using a bot token.",
  categories: ["SOCIAL"],
  input: inputs({ credentials: DiscordCredentialsField() }),
  output: outputs({
    message_content: Type.String({ description: "The content of the message received" }),
    message_id: Type.String({ description: "The ID of the message" }),
    channel_id: Type.String({ description: "The ID of the channel" }),
    channel_name: Type.String({ description: "The name of the channel the message was received from" }),
    user_id: Type.String({ description: "The ID of the user who sent the message" }),
    username: Type.String({ description: "The username of the user who sent the message" }),
  }),
  /**
   * AutoGPT connects to the gateway and yields the first message someone other than the bot posts in any channel it
   * sees. Without a gateway connection the nearest REST reading is the newest such message already posted: the text
   * channels of the bot's servers are visited newest activity first, stopping once no channel can hold a newer one.
   */
  async *run(_input, ctx) {
    const call = discordApi(ctx);
    const me = (await call<DiscordUser>("/users/@me")) as DiscordUser;
    const guilds = (await call<Array<{ id: string; name: string }>>("/users/@me/guilds")) ?? [];
    const channels: DiscordChannel[] = [];
    for (const guild of guilds) {
      const list = (await call<DiscordChannel[]>(`/guilds/${guild.id}/channels`)) ?? [];
      channels.push(...list.filter((c) => TEXT_CHANNELS.has(c.type) && c.last_message_id));
    }
    channels.sort((a, b) => (newer(a.last_message_id ?? "0", b.last_message_id ?? "0") ? -1 : 1));
    let found: { message: DiscordMessage; channel: DiscordChannel } | undefined;
    for (const channel of channels) {
      if (found && !newer(channel.last_message_id ?? "0", found.message.id)) break;
      // A channel the bot may see but not read answers 403; it holds nothing for the bot.
      const messages = await call<DiscordMessage[]>(`/channels/${channel.id}/messages?limit=50`).catch((error) => {
        if (error instanceof DiscordError && /answered 403/.test(error.message)) return [];
        throw error;
      });
      const message = (messages ?? []).find((m) => m.author.id !== me.id);
      if (message && (!found || newer(message.id, found.message.id))) found = { message, channel };
    }
    if (!found) throw new Error("An error occurred: No message, channel name, or username received.");
    const { message, channel } = found;
    let content = message.content;
    const attachment = message.attachments?.[0];
    if (attachment && /\.(txt|py)$/.test(attachment.filename)) {
      // The attachment lives on Discord's CDN, a URL from the message: it goes through the guarded client.
      const res = await ctx.http.request({ url: attachment.url });
      if (res.ok) content += `\n\nFile from user: ${attachment.filename}\nContent: ${res.text()}`;
    }
    yield ["message_content", content];
    yield ["message_id", message.id];
    yield ["channel_id", channel.id];
    yield ["channel_name", channel.name ?? ""];
    yield ["user_id", message.author.id];
    yield ["username", message.author.username];
  },
  test: [
    {
      input: { credentials: TEST_CREDENTIALS_INPUT },
      context: testContext((req) => {
        const path = req.url.pathname;
        if (path.endsWith("/users/@me")) return { json: { id: "999", username: "bot" } };
        if (path.endsWith("/users/@me/guilds")) return { json: [{ id: "1", name: "Server" }] };
        if (path.endsWith("/guilds/1/channels")) {
          return {
            json: [{ id: "987654321098765432", type: 0, name: "general", last_message_id: "123456789012345678" }],
          };
        }
        if (path.endsWith("/messages")) {
          return {
            json: [
              {
                id: "123456789012345678",
                channel_id: "987654321098765432",
                content: "Hello!",
                author: { id: "111222333444555666", username: "test_user" },
                attachments: [{ filename: "example.txt", url: "https://cdn.discordapp.com/example.txt" }],
              },
            ],
          };
        }
        return { body: "This is the content of the file." };
      }),
      output: [
        ["message_content", "Hello!\n\nFile from user: example.txt\nContent: This is the content of the file."],
        ["message_id", "123456789012345678"],
        ["channel_id", "987654321098765432"],
        ["channel_name", "general"],
        ["user_id", "111222333444555666"],
        ["username", "test_user"],
      ],
    },
  ],
});

/** AutoGPT's chunk_message: pieces of at most 2000 characters (code points, as Python counts them). */
export function chunkMessage(message: string, limit = 2000): string[] {
  const chars = Array.from(message);
  const chunks: string[] = [];
  for (let i = 0; i < chars.length; i += limit) chunks.push(chars.slice(i, i + limit).join(""));
  return chunks;
}

export const sendDiscordMessage = defineBlock({
  id: "d0822ab5-9f8a-44a3-8971-531dd0178b6b",
  name: "SendDiscordMessageBlock",
  description: "Sends a message to a Discord channel using a bot token.",
  categories: ["SOCIAL"],
  input: inputs({
    credentials: DiscordCredentialsField(),
    message_content: Type.String({ description: "The content of the message to send" }),
    channel_name: Type.String({ description: "Channel ID or channel name to send the message to" }),
    server_name: Type.String({
      description: "Server name (only needed if using channel name)",
      advanced: true,
      default: "",
    }),
  }),
  output: outputs({
    status: Type.String({ description: "The status of the operation (e.g., 'Message sent', 'Error')" }),
    message_id: Type.String({ description: "The ID of the sent message" }),
    channel_id: Type.String({ description: "The ID of the channel where the message was sent" }),
  }),
  async *run({ message_content, channel_name, server_name }, ctx) {
    const call = discordApi(ctx);
    let channel: DiscordChannel | undefined;
    // An id first (AutoGPT's get_channel), then a text channel of that name in the bot's servers (or the one named).
    if (/^\d+$/.test(channel_name)) {
      channel = await call<DiscordChannel>(`/channels/${channel_name}`, { allow404: true }).catch((error) => {
        if (error instanceof DiscordError && /answered 403/.test(error.message)) return undefined;
        throw error;
      });
    }
    if (!channel) {
      const guilds = (await call<Array<{ id: string; name: string }>>("/users/@me/guilds")) ?? [];
      for (const guild of guilds) {
        if (server_name && guild.name !== server_name) continue;
        const list = (await call<DiscordChannel[]>(`/guilds/${guild.id}/channels`)) ?? [];
        channel = list
          .filter((c) => TEXT_CHANNELS.has(c.type))
          .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || (newer(a.id, b.id) ? 1 : -1))
          .find((c) => c.name === channel_name);
        if (channel) break;
      }
    }
    if (!channel) {
      yield ["status", `Channel not found: ${channel_name}`];
      return;
    }
    if (NO_MESSAGES.has(channel.type)) {
      yield ["status", `Channel ${channel_name} cannot receive messages (not a text channel)`];
      return;
    }
    let last: DiscordMessage | undefined;
    for (const chunk of chunkMessage(message_content)) {
      last = await call<DiscordMessage>(`/channels/${channel.id}/messages`, { json: { content: chunk } });
    }
    yield ["status", "Message sent"];
    yield ["message_id", last?.id ?? ""];
    yield ["channel_id", channel.id];
  },
  test: [
    {
      input: { channel_name: "general", message_content: "Hello, Discord!", credentials: TEST_CREDENTIALS_INPUT },
      context: testContext((req) => {
        const path = req.url.pathname;
        if (path.endsWith("/users/@me/guilds")) return { json: [{ id: "1", name: "Server" }] };
        if (path.endsWith("/guilds/1/channels"))
          return { json: [{ id: "987654321098765432", type: 0, name: "general" }] };
        return { json: { id: "123456789012345678", channel_id: "987654321098765432", content: "Hello, Discord!" } };
      }),
      output: [
        ["status", "Message sent"],
        ["message_id", "123456789012345678"],
        ["channel_id", "987654321098765432"],
      ],
    },
  ],
});

export const discordBlocks: Block[] = [readDiscordMessages, sendDiscordMessage];
