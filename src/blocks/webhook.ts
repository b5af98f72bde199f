// Webhook triggers: AutoGPT's GenericWebhookTriggerBlock (blocks/generic_webhook/triggers.py). A graph with one is
// started by a POST to its webhook's ingress URL; the engine hands the posted payload to the node as its `payload`.
import { Type } from "@sinclair/typebox";
import { Dict, inputs, Nullable, outputs } from "./fields.js";
import { type Block, defineBlock } from "./sdk.js";

/** What a trigger block registers (AutoGPT's BlockManualWebhookConfig): the webhook provider and type. */
export interface ManualWebhookConfig {
  provider: string;
  webhookType: string;
}

export const genericWebhookTrigger = defineBlock({
  id: "8fa8c167-2002-47ce-aba8-97572fc5d387",
  name: "GenericWebhookTriggerBlock",
  description: "This block will output the contents of the generic input for the webhook.",
  categories: ["INPUT"],
  blockType: "Webhook (manual)",
  input: inputs({
    payload: Dict({ hidden: true, default: {} }),
    constants: Dict({ description: "The constants to be set when the block is put on the graph", default: {} }),
    secret_token: Nullable(Type.String(), {
      title: "Secret token",
      description:
        "Optional. If set, the platform will only accept incoming webhook requests that include this exact value " +
        "in the 'X-Webhook-Secret' header. Leave empty for unauthenticated webhooks (the URL itself is the only " +
        "credential).",
      default: null,
      secret: true,
      advanced: false,
    }),
  }),
  output: outputs({
    payload: Dict({ description: "The complete webhook payload that was received from the generic webhook." }),
    constants: Dict({ description: "The constants to be set when the block is put on the graph" }),
  }),
  async *run({ payload, constants }) {
    yield ["constants", constants];
    yield ["payload", payload];
  },
  test: [
    {
      input: { constants: { key: "value" }, payload: { message: "Hello, World!" } },
      output: [
        ["constants", { key: "value" }],
        ["payload", { message: "Hello, World!" }],
      ],
    },
  ],
});

/** The webhook each trigger block sets up, by block id. */
export const WEBHOOK_TRIGGERS: ReadonlyMap<string, ManualWebhookConfig> = new Map([
  [genericWebhookTrigger.id, { provider: "generic_webhook", webhookType: "plain" }],
]);

export const webhookBlocks: Block[] = [genericWebhookTrigger];
