// AutoGPT's execution sharing: the owner turns a run's public link on (POST) or off (DELETE); GET
// /api/public/shared/{share_token} reads the shared run without sign-in, as AutoGPT's SharedExecutionResponse.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { principalOf, requireScope } from "../auth-hooks.js";
import { ExecutionStatus, noBodyIsEmpty } from "../executions/schemas.js";
import { anyCredentials, DateTime, errors, Nullable } from "../schemas.js";

const ExecParams = Type.Object({
  graph_id: Type.String({ minLength: 1, maxLength: 200 }),
  graph_exec_id: Type.String({ minLength: 1, maxLength: 200 }),
});

const ShareResponse = Type.Object(
  { share_url: Type.String(), share_token: Type.String() },
  { title: "ShareResponse", description: "Response from share endpoints." },
);

const SharedExecutionResponse = Type.Object(
  {
    id: Type.String(),
    graph_name: Type.String(),
    graph_description: Nullable(Type.String()),
    status: ExecutionStatus,
    created_at: DateTime,
    outputs: Type.Record(Type.String(), Type.Array(Type.Unknown()), {
      description: "The graph's outputs by output name (AgentOutputBlock values only)",
    }),
  },
  { title: "SharedExecutionResponse", description: "Public-safe response for shared executions" },
);

export const sharingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { sharing } = app.platform;
  const common = { tags: ["executions"], security: anyCredentials };
  // Sharing changes who can read the run: the same scope as stopping or deleting it.
  const write = requireScope("WRITE_RUN");

  app.post(
    "/graphs/:graph_id/executions/:graph_exec_id/share",
    {
      preHandler: write,
      preValidation: noBodyIsEmpty,
      schema: {
        ...common,
        summary: "Enable sharing for a graph execution",
        description:
          "Makes a new share token (a link given out earlier stops working) and returns it with the frontend's " +
          "`/share/{token}` URL. Whoever holds it reads the run's status and outputs only.",
        params: ExecParams,
        body: Type.Object({}, { title: "ShareRequest", description: "Optional request body for share endpoint." }),
        response: { 200: ShareResponse, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) =>
      sharing.share(principalOf(request).user.id, request.params.graph_id, request.params.graph_exec_id),
  );

  app.delete(
    "/graphs/:graph_id/executions/:graph_exec_id/share",
    {
      preHandler: write,
      schema: {
        ...common,
        summary: "Disable sharing for a graph execution",
        description: "The share token stops working at once.",
        params: ExecParams,
        response: { 204: Type.Null(), ...errors(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      await sharing.unshare(principalOf(request).user.id, request.params.graph_id, request.params.graph_exec_id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    "/public/shared/:share_token",
    {
      schema: {
        tags: ["executions"],
        security: [],
        summary: "Get a shared graph execution by share token (no sign-in)",
        description:
          "The graph's name and description, the run's status and creation time, and its outputs: no inputs, " +
          "credentials, node executions or user. 404 once the owner stops sharing or deletes the run.",
        params: Type.Object({
          share_token: Type.String({
            pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
          }),
        }),
        response: { 200: SharedExecutionResponse, ...errors(404, 422) },
      },
    },
    async (request) => sharing.read(request.params.share_token),
  );
};
