// PATCH /api/graphs/{graph_id}/settings: AutoGPT's GraphSettings, kept on the caller's library agent of the graph.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { principalOf, requireScope } from "../auth-hooks.js";
import { anyCredentials, errors, Nullable } from "../schemas.js";

/** AutoGPT's defaults: human-in-the-loop safe mode on, sensitive-action safe mode off. */
const DEFAULTS = { human_in_the_loop_safe_mode: true, sensitive_action_safe_mode: false } as const;
type Setting = keyof typeof DEFAULTS;

const GraphSettings = Type.Object(
  {
    human_in_the_loop_safe_mode: Type.Optional(
      Nullable(Type.Boolean({ description: "Human-in-the-loop blocks pause the run for review (default true)" })),
    ),
    sensitive_action_safe_mode: Type.Optional(
      Nullable(Type.Boolean({ description: "Sensitive actions pause the run for review (default false)" })),
    ),
  },
  { title: "GraphSettings" },
);

const StoredSettings = Type.Object(
  { human_in_the_loop_safe_mode: Type.Boolean(), sensitive_action_safe_mode: Type.Boolean() },
  { title: "GraphSettings" },
);

export const graphSettingsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { library } = app.platform;

  app.patch(
    "/graphs/:graph_id/settings",
    {
      preHandler: requireScope("WRITE_GRAPH"),
      schema: {
        tags: ["graphs"],
        security: anyCredentials,
        summary: "Update graph settings",
        description:
          "Changes the settings sent (a missing or null one stays as it is) on the caller's library agent of the " +
          "graph and returns them all; 404 when the graph is not in the caller's library.",
        params: Type.Object({ graph_id: Type.String({ minLength: 1, maxLength: 200 }) }),
        body: GraphSettings,
        response: { 200: StoredSettings, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const changes: Record<string, unknown> = {};
      for (const key of Object.keys(DEFAULTS) as Setting[]) {
        const value = request.body[key];
        if (typeof value === "boolean") changes[key] = value;
      }
      const stored = await library.updateSettings(principalOf(request).user.id, request.params.graph_id, changes);
      const pick = (key: Setting) => (typeof stored[key] === "boolean" ? (stored[key] as boolean) : DEFAULTS[key]);
      return {
        human_in_the_loop_safe_mode: pick("human_in_the_loop_safe_mode"),
        sensitive_action_safe_mode: pick("sensitive_action_safe_mode"),
      };
    },
  );
};
