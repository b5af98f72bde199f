// AgentExecutorBlock: runs another graph of the same user as a sub-execution and forwards its outputs.
import { Type } from "@sinclair/typebox";
import { Dict, inputs, interfaceOutputs, Nullable } from "./fields.js";
import { type Block, defineBlock } from "./sdk.js";

export const agentExecutor = defineBlock({
  id: "e189baac-8c20-45a1-94a7-55177ea42565",
  name: "AgentExecutorBlock",
  description: "Executes an existing agent inside your agent",
  categories: ["AGENT"],
  blockType: "Agent",
  // The sub-run is bounded by its own run limits, not by this node's timeout.
  nodeTimeout: false,
  input: inputs({
    user_id: Type.String({ description: "User ID" }),
    graph_id: Type.String({ description: "Graph ID" }),
    graph_version: Type.Integer({ description: "Graph Version" }),
    agent_name: Nullable(Type.String(), { default: null, description: "Name to display in the Builder UI" }),
    inputs: Dict({ description: "Input data for the graph" }),
    input_schema: Dict({ description: "Input schema for the graph" }),
    output_schema: Dict({ description: "Output schema for the graph" }),
    nodes_input_masks: Nullable(Dict(), { default: null, hidden: true }),
  }),
  // The outputs are the sub-graph's output names, which only the node's output_schema knows.
  output: interfaceOutputs({}),
  // The engine runs the sub-graph as the caller's own user: the user_id pin is informational, never trusted.
  async *run({ graph_id, graph_version, inputs: graphInputs }, ctx) {
    for await (const [name, value] of ctx.runSubgraph({
      graphId: graph_id,
      graphVersion: graph_version,
      inputs: graphInputs,
    })) {
      yield [name, value];
    }
  },
  test: [
    {
      input: {
        user_id: "user-1",
        graph_id: "graph-1",
        graph_version: 3,
        inputs: { topic: "cats" },
        input_schema: { type: "object", properties: { topic: { type: "string" } } },
        output_schema: { type: "object", properties: { summary: {} } },
      },
      output: [
        ["summary", "about cats"],
        ["count", 2],
      ],
      context: {
        async *runSubgraph(request) {
          if (request.graphId !== "graph-1" || request.graphVersion !== 3) throw new Error("wrong graph");
          yield ["summary", `about ${String(request.inputs.topic)}`];
          yield ["count", 2];
        },
      },
    },
  ],
});

export const agentBlocks: Block[] = [agentExecutor];
