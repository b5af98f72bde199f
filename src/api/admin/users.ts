// /api/admin/users: the user list and role changes, for admins only.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { userJSON } from "../auth/routes.js";
import { requireAdmin, requireUser } from "../auth-hooks.js";
import { errors, IdParam, PageQuery, Pagination, pagination } from "../schemas.js";

export const adminUserRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users } = app.platform;
  const common = { tags: ["admin"], security: [{ bearer: [] }] };
  app.addHook("preHandler", requireUser);
  app.addHook("preHandler", requireAdmin);

  app.get(
    "",
    {
      schema: {
        ...common,
        summary: "List users",
        querystring: PageQuery,
        response: {
          200: Type.Object({ users: Type.Array(Type.Ref("User")), pagination: Pagination }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request) => {
      const { page, page_size } = request.query;
      const { rows, total } = await users.list(page, page_size);
      return { users: rows.map(userJSON), pagination: pagination(total, page, page_size) };
    },
  );

  app.put(
    "/:id/role",
    {
      schema: {
        ...common,
        summary: "Change a user's role",
        params: IdParam,
        body: Type.Object(
          { role: Type.Union([Type.Literal("user"), Type.Literal("admin")]) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref("User"), ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => userJSON(await users.setRole(request.params.id, request.body.role)),
  );
};
