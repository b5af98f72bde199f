// AutoGPT's user routes through real HTTP: get-or-create, email, notification preferences and timezone, each answer
// checked against AutoGPT's own schemas (its generated OpenAPI document, v0.6.44).
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, createKey, signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const spec = JSON.parse(readFileSync(new URL("./fixtures/autogpt-user-schemas.json", import.meta.url), "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true });
// ajv-formats is CommonJS; its plugin function is also its own `default` property.
(addFormatsModule as unknown as { default: (ajv: Ajv2020) => void }).default(ajv);
ajv.addSchema(spec, "autogpt");
const schema = (name: string) => ajv.getSchema(`autogpt#/components/schemas/${name}`) as ValidateFunction;

/** AutoGPT's User model (backend/data/model.py): its POST /auth/user answers `user.model_dump()`. */
const userModel = ajv.compile({
  type: "object",
  required: [
    "id",
    "email",
    "email_verified",
    "name",
    "created_at",
    "updated_at",
    "metadata",
    "integrations",
    "stripe_customer_id",
    "top_up_config",
    "max_emails_per_day",
    "notify_on_agent_run",
    "notify_on_zero_balance",
    "notify_on_low_balance",
    "notify_on_block_execution_failed",
    "notify_on_continuous_agent_error",
    "notify_on_daily_summary",
    "notify_on_weekly_summary",
    "notify_on_monthly_summary",
    "timezone",
  ],
  properties: {
    id: { type: "string" },
    email: { type: "string" },
    email_verified: { type: "boolean" },
    name: { type: ["string", "null"] },
    created_at: { type: "string", format: "date-time" },
    updated_at: { type: "string", format: "date-time" },
    metadata: { type: "object" },
    integrations: { type: "string" },
    stripe_customer_id: { type: ["string", "null"] },
    top_up_config: { type: ["object", "null"] },
    max_emails_per_day: { type: "integer" },
    timezone: { type: "string" },
  },
  patternProperties: { "^notify_on_": { type: "boolean" } },
});

function expectValid(validate: ValidateFunction, value: unknown) {
  const ok = validate(value);
  expect(ok ? [] : validate.errors).toEqual([]);
}

describe("AutoGPT's user routes", () => {
  let t: TestServer;
  const idpSecret = "supabase-shared-secret-for-tests-0123456789";

  beforeAll(async () => {
    t = await startTestServer({ auth: { externalJwtSecret: idpSecret } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("POST /api/auth/user answers AutoGPT's User model, creating an identity provider's user on first sight", async () => {
    const alice = await signUp(t.url);
    const res = await alice.api.post("/api/auth/user");
    expect(res.status).toBe(200);
    expectValid(userModel, res.body);
    expect(res.body).toMatchObject({
      id: alice.user.id,
      email: alice.email,
      timezone: "not-set",
      integrations: "",
      max_emails_per_day: 3,
      notify_on_agent_run: true,
      notify_on_monthly_summary: true,
    });

    const token = await new SignJWT({ email: "idp-user@example.com", role: "authenticated" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("5d0c4c6c-1f0e-4a59-9a55-0e1b5a3f0c11")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(idpSecret));
    const idp = client(t.url, { authorization: `Bearer ${token}` });
    const created = await idp.post("/api/auth/user");
    expect(created.status).toBe(200);
    expectValid(userModel, created.body);
    expect(created.body).toMatchObject({ id: "5d0c4c6c-1f0e-4a59-9a55-0e1b5a3f0c11", email: "idp-user@example.com" });
    expect((await idp.post("/api/auth/user")).body.id).toBe(created.body.id);

    expect((await client(t.url).post("/api/auth/user")).status).toBe(401);
  });

  it("updates the email (a JSON string body); the new one signs in, a taken or malformed one is refused", async () => {
    const bob = await signUp(t.url);
    const other = await signUp(t.url);
    const res = await bob.api.post("/api/auth/user/email", JSON.stringify("Bob.New@Example.com"));
    expect(res.status).toBe(200);
    expectValid(schema("UpdateEmailResponse"), res.body);
    expect(res.body).toEqual({ email: "bob.new@example.com" });
    // Nobody verified the new address.
    expect((await bob.api.get("/api/auth/user")).body).toMatchObject({
      email: "bob.new@example.com",
      email_verified: false,
    });
    const login = await client(t.url).post("/api/auth/login", { email: "bob.new@example.com", password: bob.password });
    expect(login.status).toBe(200);

    const taken = await bob.api.post("/api/auth/user/email", JSON.stringify(other.email));
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("CONFLICT");
    const malformed = await bob.api.post("/api/auth/user/email", JSON.stringify("not an email"));
    expect(malformed.status).toBe(422);
    expect(malformed.body.error.code).toBe("VALIDATION_ERROR");
    const asObject = await bob.api.post("/api/auth/user/email", { email: "x@example.com" });
    expect(asObject.status).toBe(422);

    // An API key acts with scopes; changing the account is for the signed-in user.
    const key = await createKey(t.url, bob.api, ["IDENTITY"]);
    expect((await key.api.post("/api/auth/user/email", JSON.stringify("k@example.com"))).status).toBe(403);
  });

  it("reads and updates notification preferences in AutoGPT's NotificationPreference shape", async () => {
    const carol = await signUp(t.url);
    const first = await carol.api.get("/api/auth/user/preferences");
    expect(first.status).toBe(200);
    expectValid(schema("NotificationPreference"), first.body);
    expect(first.body).toMatchObject({ user_id: carol.user.id, email: carol.email, daily_limit: 3 });
    expect(Object.values(first.body.preferences).every((v) => v === true)).toBe(true);

    const dto = {
      email: carol.email,
      preferences: { AGENT_RUN: false, DAILY_SUMMARY: false },
      daily_limit: 5,
    };
    expectValid(schema("NotificationPreferenceDTO"), dto);
    const updated = await carol.api.post("/api/auth/user/preferences", dto);
    expect(updated.status).toBe(200);
    expectValid(schema("NotificationPreference"), updated.body);
    expect(updated.body.preferences).toMatchObject({ AGENT_RUN: false, DAILY_SUMMARY: false, LOW_BALANCE: true });
    expect(updated.body.daily_limit).toBe(5);
    expect((await carol.api.get("/api/auth/user/preferences")).body).toEqual(updated.body);

    // Preferences not named keep theirs; the User model shows the same choices.
    await carol.api.post("/api/auth/user/preferences", { ...dto, preferences: { WEEKLY_SUMMARY: false } });
    const user = (await carol.api.post("/api/auth/user")).body;
    expectValid(userModel, user);
    expect(user).toMatchObject({
      notify_on_agent_run: false,
      notify_on_daily_summary: false,
      notify_on_weekly_summary: false,
      notify_on_low_balance: true,
      max_emails_per_day: 5,
    });

    const unknownType = await carol.api.post("/api/auth/user/preferences", { ...dto, preferences: { NOPE: true } });
    expect(unknownType.status).toBe(422);
    const missing = await carol.api.post("/api/auth/user/preferences", { email: carol.email, preferences: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.error.code).toBe("VALIDATION_ERROR");
  });

  it("reads and sets the timezone (IANA names only); every API shows the new one at once", async () => {
    const dave = await signUp(t.url);
    const key = await createKey(t.url, dave.api, ["IDENTITY"]);
    // Warm the key's cached principal, so the change must reach it.
    expect((await key.api.get("/external-api/v1/me")).body.timezone).toBe("not-set");

    const before = await dave.api.get("/api/auth/user/timezone");
    expect(before.status).toBe(200);
    expectValid(schema("TimezoneResponse"), before.body);
    expect(before.body).toEqual({ timezone: "not-set" });

    const request = { timezone: "Europe/Amsterdam" };
    expectValid(schema("UpdateTimezoneRequest"), request);
    const set = await dave.api.post("/api/auth/user/timezone", request);
    expect(set.status).toBe(200);
    expectValid(schema("TimezoneResponse"), set.body);
    expect(set.body).toEqual({ timezone: "Europe/Amsterdam" });
    expect((await dave.api.get("/api/auth/user/timezone")).body).toEqual({ timezone: "Europe/Amsterdam" });
    expect((await key.api.get("/external-api/v1/me")).body.timezone).toBe("Europe/Amsterdam");
    expect((await key.api.get("/api/auth/user")).body.timezone).toBe("Europe/Amsterdam");

    // AutoGPT's list holds the legacy aliases too.
    expectValid(schema("UpdateTimezoneRequest"), { timezone: "US/Eastern" });
    expect((await dave.api.post("/api/auth/user/timezone", { timezone: "US/Eastern" })).body.timezone).toBe(
      "US/Eastern",
    );

    for (const timezone of ["Mars/Olympus_Mons", "not-set", ""]) {
      const bad = await dave.api.post("/api/auth/user/timezone", { timezone });
      expect(bad.status).toBe(422);
      expect(bad.body.error.code).toBe("VALIDATION_ERROR");
    }
    expect((await client(t.url).get("/api/auth/user/timezone")).status).toBe(401);
  });
});
