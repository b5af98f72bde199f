// External API v2: GET /me — who the credentials act as (AutoGPT's v2 Identity).
//
// Agentry has no organizations or teams: every user acts in their own personal organization, which has the user's
// id and name, and no team.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ALL_SCOPES } from "../../../auth/scopes.js";
import { principalOf } from "../../auth-hooks.js";
import { Nullable } from "../../schemas.js";
import { scoped } from "../common.js";
import { v2Errors } from "./common.js";

const Identity = Type.Object(
  {
    user_id: Type.String(),
    email: Type.String(),
    name: Nullable(Type.String()),
    timezone: Type.String({ description: "The user's timezone (e.g. 'Europe/Amsterdam'), or 'not-set'" }),
    organization: Type.Object(
      {
        id: Type.String(),
        name: Type.String(),
        is_personal: Type.Boolean({ description: "Whether this is the caller's own single-member organization" }),
      },
      { title: "TenantOrganization" },
    ),
    team: Nullable(
      Type.Object({ id: Type.String(), name: Type.String() }, { title: "TenantTeam", description: "Always null" }),
    ),
    scopes: Type.Array(Type.String(), { description: "Permissions granted to these credentials" }),
    credential_type: Type.Union([Type.Literal("api_key"), Type.Literal("oauth"), Type.Literal("session")], {
      description: "`session` for a signed-in user's token (Agentry accepts those here too; they hold every scope)",
    }),
  },
  { title: "Identity" },
);

export const identityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    "/me",
    scoped(["IDENTITY"], {
      tags: ["identity"],
      summary: "Get the identity and tenancy of the current credentials",
      operationId: "getIdentity",
      response: { 200: Identity, ...v2Errors(401, 403) },
    }),
    async (request) => {
      const principal = principalOf(request);
      const user = await app.platform.users.current(principal.user);
      return {
        user_id: user.id,
        email: user.email,
        name: user.name,
        timezone: user.timezone,
        organization: { id: user.id, name: user.name || user.email, is_personal: true },
        team: null,
        scopes: ALL_SCOPES.filter((s) => principal.scopes.has(s)),
        credential_type: principal.kind,
      };
    },
  );
};
