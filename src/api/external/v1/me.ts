// External API v1: GET /me (IDENTITY).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { findUserById } from "../../../infra/db/repos/users.js";
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
      // Read afresh: the principal may be cached for a few seconds, and the timezone can change meanwhile.
      const cached = principalOf(request).user;
      const user = (await findUserById(app.platform.database.db, cached.id)) ?? cached;
      return { id: user.id, name: user.name, email: user.email, timezone: user.timezone };
    },
  );
};
