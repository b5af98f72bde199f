// External API v1: GET /me (IDENTITY).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { principalOf } from "../../auth-hooks.js";
import { errors, Nullable } from "../../schemas.js";
import { scoped } from "../common.js";

const UserInfoResponse = Type.Object(
  {
    id: Type.String(),
    name: Nullable(Type.String()),
    email: Type.String(),
    timezone: Type.String({
      description: "The user's last known timezone (e.g. 'Europe/Amsterdam'), or 'not-set' if not set",
    }),
  },
  { title: "UserInfoResponse" },
);

export const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    "/me",
    scoped(["IDENTITY"], {
      tags: ["user", "meta"],
      summary: "Get the caller's user info",
      response: { 200: UserInfoResponse, ...errors(401, 403) },
    }),
    async (request) => {
      const user = await app.platform.users.current(principalOf(request).user);
      return { id: user.id, name: user.name, email: user.email, timezone: user.timezone };
    },
  );
};
