// AutoGPT's truncation-only prompt compression (backend/util/prompt.py): a prompt over its budget (half the model's
// context window) has the middle of long messages cut out, then whole middle messages dropped, then the first and
// last trimmed. Tool calls and tool results keep their structure. Tokens are estimated at four characters each.
import type { LlmMessage } from "./call.js";

const CHARS_PER_TOKEN = 4;
const START_CAP = 8_192;
const FLOOR_CAP = 128;

const tokens = (text: string) => Math.ceil(text.length / CHARS_PER_TOKEN);

/** About three tokens of wrapping per message, plus its content and tool calls (AutoGPT's _msg_tokens). */
export function messageTokens(m: LlmMessage): number {
  let n = 3 + tokens(m.content ?? "");
  for (const call of m.tool_calls ?? [])
    n += tokens(call.id + call.type + call.function.name + call.function.arguments);
  return n;
}

export const promptTokens = (messages: readonly LlmMessage[]) => messages.reduce((sum, m) => sum + messageTokens(m), 0);

/** `text` cut to about `cap` tokens, keeping its head and tail around an ellipsis. */
function truncateMiddle(text: string, cap: number): string {
  const max = cap * CHARS_PER_TOKEN;
  if (text.length <= max) return text;
  const head = Math.floor(max / 2) - CHARS_PER_TOKEN;
  const tail = max - head - CHARS_PER_TOKEN;
  return `${text.slice(0, head)} … ${text.slice(text.length - tail)}`;
}

const isTool = (m: LlmMessage) => m.role === "tool" || (m.tool_calls?.length ?? 0) > 0;

/** The messages fitted into `targetTokens` as far as truncation can (lossy, as AutoGPT's llm_call asks). */
export function compressPrompt(messages: readonly LlmMessage[], targetTokens: number): LlmMessage[] {
  const msgs = messages.map((m) => ({ ...m }));
  const over = () => promptTokens(msgs) > targetTokens;
  if (!over()) return msgs;
  const shorten = (m: LlmMessage, cap: number) => {
    // A tool result's payload may shrink; a tool call's arguments never (they must stay valid JSON).
    if (m.tool_calls?.length) return;
    if (m.content && tokens(m.content) > cap) m.content = truncateMiddle(m.content, cap);
  };
  for (let cap = START_CAP; over() && cap >= FLOOR_CAP; cap = Math.floor(cap / 2)) {
    for (const m of msgs.slice(1, -1)) shorten(m, cap);
  }
  while (over() && msgs.length > 2) {
    const centre = Math.floor(msgs.length / 2);
    let pick = -1;
    for (let i = 1; i < msgs.length - 1; i++) {
      if (!isTool(msgs[i] as LlmMessage) && (pick < 0 || Math.abs(i - centre) < Math.abs(pick - centre))) pick = i;
    }
    if (pick < 0) break;
    msgs.splice(pick, 1);
  }
  for (let cap = START_CAP; over() && cap >= FLOOR_CAP; cap = Math.floor(cap / 2)) {
    for (const m of [msgs[0], msgs[msgs.length - 1]]) if (m) shorten(m, cap);
  }
  return msgs;
}
