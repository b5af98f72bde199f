// A scripted LLM for the LLM blocks' own `test` examples (AutoGPT's test_mock of llm_call): an Http answering chat
// completions (JSON or streamed) and Anthropic messages from a reply function, without the network.
import type { Http } from "../../infra/http/client.js";
import { type ScriptedAnswer, scriptedHttp, testCredentials } from "../test-http.js";
import type { LlmMessage } from "./call.js";

/** AutoGPT's TEST_CREDENTIALS of the LLM blocks: the pin's value and the credentials handed to the block. */
export const TEST_CREDENTIALS_INPUT = {
  id: "769f6af7-820b-4d5d-9b7a-ab82bbc165f",
  provider: "openai",
  type: "api_key",
  title: "Mock OpenAI API key",
};
export const TEST_CREDENTIALS = testCredentials({ ...TEST_CREDENTIALS_INPUT, api_key: "mock-openai-api-key" });

/** The id of the `<json_output id="…">` tag AIStructuredResponseGenerator asked for, if it did. */
export function jsonTagOf(messages: readonly { content?: unknown }[]): string | undefined {
  for (const m of messages) {
    const match = typeof m.content === "string" ? /<json_output id="([^"]+)">/.exec(m.content) : null;
    if (match) return match[1];
  }
  return undefined;
}

/** A reply in the tagged form AIStructuredResponseGenerator parses. */
export function taggedJson(messages: readonly { content?: unknown }[], value: unknown): string {
  return `<json_output id="${jsonTagOf(messages) ?? ""}">${JSON.stringify(value)}</json_output>`;
}

const sse = (events: unknown[]) => `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("")}data: [DONE]\n\n`;

function openAiAnswer(text: string, stream: boolean): ScriptedAnswer {
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  if (!stream) {
    return {
      json: {
        id: "chatcmpl-test",
        object: "chat.completion",
        created: 0,
        model: "test",
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
        usage,
      },
    };
  }
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id: "chatcmpl-test",
    object: "chat.completion.chunk",
    created: 0,
    model: "test",
    choices,
    ...extra,
  });
  return {
    headers: { "content-type": "text/event-stream" },
    body: sse([
      chunk([{ index: 0, delta: { role: "assistant", content: text }, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
      chunk([], { usage }),
    ]),
  };
}

function anthropicAnswer(text: string, stream: boolean): ScriptedAnswer {
  const message = {
    id: "msg_test",
    type: "message",
    role: "assistant",
    model: "test",
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5 },
  };
  if (!stream) return { json: message };
  const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  return {
    headers: { "content-type": "text/event-stream" },
    body: [
      event("message_start", { type: "message_start", message: { ...message, content: [], stop_reason: null } }),
      event("content_block_start", {
        type: "content_block_start",
        index: 0,
        content_block: { type: "text", text: "" },
      }),
      event("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
      event("content_block_stop", { type: "content_block_stop", index: 0 }),
      event("message_delta", {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 5 },
      }),
      event("message_stop", { type: "message_stop" }),
    ].join(""),
  };
}

/** An Http whose LLM answers are `reply(messages)`, in the wire format (and streaming mode) of the request. */
export function scriptedLlm(reply: (messages: LlmMessage[]) => string): Http {
  return scriptedHttp((request) => {
    const body = JSON.parse(typeof request.body === "string" ? request.body : "{}") as {
      messages?: LlmMessage[];
      stream?: boolean;
    };
    const text = reply(body.messages ?? []);
    return request.url.pathname.endsWith("/messages")
      ? anthropicAnswer(text, body.stream === true)
      : openAiAnswer(text, body.stream === true);
  });
}
