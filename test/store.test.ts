// The marketplace through real HTTP at AutoGPT's /api/store paths: a creator makes a profile and submits a graph,
// which is not listed until an admin approves it; then it is listed, searchable and has a detail page, another
// user downloads it and reviews it, and its rating and run count follow. Responses are checked against AutoGPT's
// OpenAPI schemas; non-admins get 403 on the admin routes and bad input 422.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOTH_DOCS, fitsIn } from "./helpers/autogpt-schemas.js";
import { createKey, signUp } from "./helpers/client.js";
import { ended, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const expectFits = fitsIn(BOTH_DOCS);

const calculator = JSON.parse(fs.readFileSync(new URL("./fixtures/calculator-agent.json", import.meta.url), "utf8"));
const PNG = Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), Buffer.alloc(64, 1)]);

type Session = Awaited<ReturnType<typeof signUp>>;

function expectError(res: { status: number; body: any }, status: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(typeof res.body.error.code).toBe("string");
}

describe("store: profiles, submissions, review, listings", () => {
  let t: TestServer;
  let admin: Session;
  let creator: Session;
  let buyer: Session;
  let graph: { id: string; version: number };
  let versionId: string;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signUp(t.url, "store-admin@example.com", { setup_token: t.server.platform.auth.setupToken });
    expect(admin.user.role).toBe("admin");
    creator = await signUp(t.url, "store-creator@example.com");
    buyer = await signUp(t.url, "store-buyer@example.com");
    const res = await creator.api.post("/api/graphs", {
      graph: { ...calculator, name: "Sum Machine", description: "Adds numbers" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    graph = res.body;
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it("a creator makes a profile; creators list and show it", async () => {
    expectError(await creator.api.get("/api/store/profile"), 404);
    expectError(await creator.api.post("/api/store/profile", { name: "Ada" }), 422);
    const saved = await creator.api.post("/api/store/profile", {
      name: "Ada Lovelace",
      username: "Ada-Builds",
      description: "Engines that compute",
      links: ["https://example.com/ada"],
      avatar_url: "https://example.com/ada.png",
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expectFits(saved.body, "/api/store/profile", "post");
    expect(saved.body).toMatchObject({ username: "ada-builds", agent_runs: 0, agent_rating: 0 });

    const mine = await creator.api.get("/api/store/profile");
    expectFits(mine.body, "/api/store/profile", "get");
    expect(mine.body).toMatchObject({
      name: "Ada Lovelace",
      username: "ada-builds",
      links: ["https://example.com/ada"],
    });

    // Another user cannot take the username.
    expectError(
      await buyer.api.post("/api/store/profile", {
        name: "Impostor",
        username: "ada-builds",
        description: "",
        links: [],
        avatar_url: "",
      }),
      409,
    );

    // Two users racing for one username: one gets it, the other 409.
    const racers = await Promise.all([signUp(t.url), signUp(t.url)]);
    const race = await Promise.all(
      racers.map((r) =>
        r.api.post("/api/store/profile", { name: "R", username: "racer", description: "", links: [], avatar_url: "" }),
      ),
    );
    expect(race.map((r) => r.status).sort()).toEqual([200, 409]);

    const creators = await buyer.api.get("/api/store/creators?search_query=engines");
    expectFits(creators.body, "/api/store/creators", "get");
    expect(creators.body.creators.map((c: any) => c.username)).toEqual(["ada-builds"]);
    const one = await buyer.api.get("/api/store/creator/ADA-BUILDS");
    expectFits(one.body, "/api/store/creator/{username}", "get");
    expectError(await buyer.api.get("/api/store/creator/nobody"), 404);
  });

  it("a submission is not listed until an admin approves it", async () => {
    // Only the caller's own graphs can be submitted.
    expectError(
      await buyer.api.post("/api/store/submissions", {
        agent_id: graph.id,
        agent_version: graph.version,
        slug: "stolen",
        name: "Stolen",
        sub_heading: "x",
      }),
      400, // the buyer has no profile yet
    );
    expectError(
      await creator.api.post("/api/store/submissions", {
        agent_id: graph.id,
        agent_version: 0,
        slug: "x",
        name: "x",
        sub_heading: "x",
      }),
      422,
    );
    expectError(
      await creator.api.post("/api/store/submissions", {
        agent_id: "no-such-graph",
        agent_version: 1,
        slug: "nothing",
        name: "Nothing",
        sub_heading: "x",
      }),
      404,
    );

    const mine = await creator.api.get("/api/store/myagents");
    expectFits(mine.body, "/api/store/myagents", "get");
    expect(mine.body.agents.map((a: any) => a.agent_id)).toContain(graph.id);

    const submitted = await creator.api.post("/api/store/submissions", {
      agent_id: graph.id,
      agent_version: graph.version,
      slug: "sum-machine",
      name: "Sum Machine",
      sub_heading: "Adds two numbers",
      description: "A calculator agent that adds",
      categories: ["math", "productivity"],
      image_urls: ["https://example.com/shot.png"],
      changes_summary: "First release",
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
    expectFits(submitted.body, "/api/store/submissions", "post");
    expect(submitted.body).toMatchObject({ status: "PENDING", slug: "sum-machine", version: 1, runs: 0, rating: 0 });
    versionId = submitted.body.store_listing_version_id;

    // Edited while pending: in place.
    const edited = await creator.api.put(`/api/store/submissions/${versionId}`, {
      name: "Sum Machine",
      sub_heading: "Adds two numbers, fast",
      description: "A calculator agent that adds",
      categories: ["math", "productivity"],
      image_urls: ["https://example.com/shot.png"],
      changes_summary: "First release",
    });
    expectFits(edited.body, "/api/store/submissions/{store_listing_version_id}", "put");
    expect(edited.body).toMatchObject({ store_listing_version_id: versionId, sub_heading: "Adds two numbers, fast" });
    expectError(await buyer.api.put(`/api/store/submissions/${versionId}`, { name: "x", sub_heading: "y" }), 404);

    const list = await creator.api.get("/api/store/submissions");
    expectFits(list.body, "/api/store/submissions", "get");
    expect(list.body.submissions).toHaveLength(1);
    expect((await buyer.api.get("/api/store/submissions")).body.submissions).toEqual([]);
    // No longer among the agents to submit.
    expect((await creator.api.get("/api/store/myagents")).body.agents.map((a: any) => a.agent_id)).not.toContain(
      graph.id,
    );

    const listed = await buyer.api.get("/api/store/agents");
    expect(listed.body.agents).toEqual([]);
    expectError(await buyer.api.get("/api/store/agents/ada-builds/sum-machine"), 404);
    expectError(await buyer.api.get(`/api/store/agents/${versionId}`), 404);
    expectError(await buyer.api.get(`/api/store/download/agents/${versionId}`), 404);
  });

  it("admin routes: 403 for others; listings, download and approval for admins", async () => {
    for (const res of [
      await creator.api.get("/api/store/admin/listings"),
      await creator.api.post(`/api/store/admin/submissions/${versionId}/review`, {
        store_listing_version_id: versionId,
        is_approved: true,
        comments: "self-approved",
      }),
      await creator.api.get(`/api/store/admin/submissions/download/${versionId}`),
      await creator.api.get("/api/admin/store/listings"),
    ]) {
      expectError(res, 403);
    }
    const key = await createKey(t.url, admin.api, ["READ_STORE", "WRITE_STORE"]);
    expectError(await key.api.get("/api/store/admin/listings"), 403);

    const pending = await admin.api.get("/api/store/admin/listings?status=PENDING");
    expect(pending.status, JSON.stringify(pending.body)).toBe(200);
    expectFits(pending.body, "/api/store/admin/listings", "get");
    expect(pending.body.listings).toHaveLength(1);
    expect(pending.body.listings[0]).toMatchObject({
      slug: "sum-machine",
      creator_email: "store-creator@example.com",
      has_approved_version: false,
    });
    expect((await admin.api.get("/api/admin/store/listings?status=APPROVED")).body.listings).toEqual([]);

    const file = await admin.api.get(`/api/store/admin/submissions/download/${versionId}`);
    expect(file.status).toBe(200);
    expect(file.body.nodes.length).toBe(calculator.nodes.length);

    expectError(
      await admin.api.post(`/api/store/admin/submissions/${versionId}/review`, { is_approved: "maybe" }),
      422,
    );
    const approved = await admin.api.post(`/api/store/admin/submissions/${versionId}/review`, {
      store_listing_version_id: versionId,
      is_approved: true,
      comments: "Looks good",
      internal_comments: "checked the graph",
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expectFits(approved.body, "/api/store/admin/submissions/{store_listing_version_id}/review", "post");
    expect(approved.body).toMatchObject({
      status: "APPROVED",
      reviewer_id: admin.user.id,
      review_comments: "Looks good",
      internal_comments: "checked the graph",
    });
    // The creator sees the verdict, not the reviewers' internal notes.
    const seen = (await creator.api.get("/api/store/submissions")).body.submissions[0];
    expect(seen).toMatchObject({ status: "APPROVED", review_comments: "Looks good", internal_comments: null });
  });

  it("an approved agent is listed, searchable and has a detail page", async () => {
    const all = await buyer.api.get("/api/store/agents");
    expectFits(all.body, "/api/store/agents", "get");
    expect(all.body.agents).toHaveLength(1);
    expect(all.body.agents[0]).toMatchObject({
      slug: "sum-machine",
      agent_name: "Sum Machine",
      creator: "ada-builds",
      creator_avatar: "https://example.com/ada.png",
      agent_image: "https://example.com/shot.png",
    });
    expect(all.body.pagination).toEqual({ total_items: 1, total_pages: 1, current_page: 1, page_size: 20 });

    const filters: Array<[string, number]> = [
      ["search_query=calculator", 1],
      ["search_query=spreadsheet", 0],
      ["creator=ada-builds", 1],
      ["creator=someone-else", 0],
      ["category=math", 1],
      ["category=games", 0],
      ["featured=true", 0],
      ["sorted_by=rating", 1],
      ["page=2&page_size=1", 0],
    ];
    for (const [query, n] of filters) {
      const res = await buyer.api.get(`/api/store/agents?${query}`);
      expect(res.status, query).toBe(200);
      expect(res.body.agents.length, query).toBe(n);
    }
    expectError(await buyer.api.get("/api/store/agents?page=0"), 422);
    expectError(await buyer.api.get("/api/store/agents?sorted_by=price"), 422);

    const details = await buyer.api.get("/api/store/agents/Ada-Builds/Sum-Machine");
    expect(details.status, JSON.stringify(details.body)).toBe(200);
    expectFits(details.body, "/api/store/agents/{username}/{agent_name}", "get");
    expect(details.body).toMatchObject({
      store_listing_version_id: versionId,
      versions: ["1"],
      agentGraphId: graph.id,
      categories: ["math", "productivity"],
      active_version_id: versionId,
      has_approved_version: true,
      changelog: [{ version: "1", changes_summary: "First release" }],
    });
    const byVersion = await buyer.api.get(`/api/store/agents/${versionId}`);
    expectFits(byVersion.body, "/api/store/agents/{store_listing_version_id}", "get");
    expect(byVersion.body.slug).toBe("sum-machine");

    // External API v1 and v2 read the same listings, in their own shapes.
    const key = await createKey(t.url, buyer.api, ["READ_STORE"]);
    const v1 = await key.api.get("/external-api/v1/store/agents?search_query=calculator");
    expect(v1.status, JSON.stringify(v1.body)).toBe(200);
    expect(v1.body.agents[0]).toMatchObject({ slug: "sum-machine", creator: "ada-builds", agent_graph_id: graph.id });
    const v1Details = await key.api.get("/external-api/v1/store/agents/ada-builds/sum-machine");
    expect(v1Details.body).toMatchObject({ store_listing_version_id: versionId, graph_id: graph.id, versions: ["1"] });
    const v1Creator = await key.api.get("/external-api/v1/store/creators/ada-builds");
    expect(v1Creator.body).toMatchObject({ username: "ada-builds", num_agents: 1 });
    const v2 = await key.api.get("/external-api/v2/marketplace/agents?category=math");
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect(v2.body).toMatchObject({ total_count: 1, items: [{ slug: "sum-machine", name: "Sum Machine" }] });
    const v2Details = await key.api.get(`/external-api/v2/marketplace/agents/by-version/${versionId}`);
    expect(v2Details.body).toMatchObject({ store_listing_version_id: versionId, versions: [1], graph_id: graph.id });
    const creatorKey = await createKey(t.url, creator.api, ["READ_STORE"]);
    const v2Subs = await creatorKey.api.get("/external-api/v2/marketplace/submissions");
    expect(v2Subs.body.items[0]).toMatchObject({ listing_version_id: versionId, submission_status: "APPROVED" });
    const v2Profile = await creatorKey.api.get("/external-api/v2/marketplace/profile");
    expect(v2Profile.body).toMatchObject({ username: "ada-builds", num_agents: 1 });

    const found = await buyer.api.get("/api/store/search?query=sum%20machine&content_types=STORE_AGENT");
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    // Only release v0.6.44 has /api/store/search.
    fitsIn(["v0.6.44"])(found.body, "/api/store/search", "get");
    expect(found.body.results).toEqual([
      expect.objectContaining({ content_type: "STORE_AGENT", content_id: versionId }),
    ]);
    const everything = await buyer.api.get("/api/store/search?query=sum%20machine");
    expect(everything.body.results.map((r: any) => r.content_id)).toContain(versionId);

    const g = await buyer.api.get(`/api/store/graph/${versionId}`);
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({ id: graph.id, name: "Sum Machine" });
  });

  it("another user downloads and imports it; runs and reviews show on the listing and creator", async () => {
    const file = await buyer.api.get(`/api/store/download/agents/${versionId}`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-disposition")).toContain(`agent_${graph.id}.json`);
    expect(JSON.stringify(file.body)).not.toContain(creator.user.id);
    const imported = await buyer.api.post("/api/graphs", { graph: file.body });
    expect(imported.status, JSON.stringify(imported.body)).toBe(200);

    // Or adds the listing to their library (AutoGPT's add-marketplace-agent), once, and runs it from there.
    const added = await buyer.api.post("/api/library/agents", { store_listing_version_id: versionId });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ graph_id: graph.id, graph_version: graph.version });
    const again = await buyer.api.post("/api/library/agents", { store_listing_version_id: versionId });
    expect(again.body.id).toBe(added.body.id);
    const byListing = await buyer.api.get(`/api/library/agents/marketplace/${versionId}`);
    expect(byListing.status).toBe(200);
    expect(byListing.body.id).toBe(added.body.id);
    expect((await buyer.api.post("/api/library/agents", { store_listing_version_id: "nope" })).status).toBe(404);

    // A run of the listed graph counts.
    const run = await creator.api.post(`/api/graphs/${graph.id}/execute/${graph.version}`, {
      inputs: { Input: 2 },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    await waitFor(creator.api, run.body.id, ended);

    expectError(
      await buyer.api.post("/api/store/agents/ada-builds/sum-machine/review", {
        store_listing_version_id: versionId,
        score: 9,
      }),
      422,
    );
    expectError(
      await buyer.api.post("/api/store/agents/someone/other/review", { store_listing_version_id: versionId, score: 4 }),
      404,
    );
    const review = await buyer.api.post("/api/store/agents/ada-builds/sum-machine/review", {
      store_listing_version_id: versionId,
      score: 4,
      comments: "Handy",
    });
    expect(review.status, JSON.stringify(review.body)).toBe(200);
    expectFits(review.body, "/api/store/agents/{username}/{agent_name}/review", "post");
    expect(review.body).toEqual({ score: 4, comments: "Handy" });
    await admin.api.post("/api/store/agents/ada-builds/sum-machine/review", {
      store_listing_version_id: versionId,
      score: 1,
    });
    // The buyer changes their mind: the second review replaces the first.
    await buyer.api.post("/api/store/agents/ada-builds/sum-machine/review", {
      store_listing_version_id: versionId,
      score: 5,
    });

    const agent = (await buyer.api.get("/api/store/agents/ada-builds/sum-machine")).body;
    expect(agent).toMatchObject({ rating: 3, runs: 1 });
    const creatorDetails = (await buyer.api.get("/api/store/creator/ada-builds")).body;
    expect(creatorDetails).toMatchObject({ agent_rating: 3, agent_runs: 1, top_categories: ["math", "productivity"] });
    const top = await buyer.api.get("/api/store/creators?sorted_by=agent_runs");
    expect(top.body.creators[0]).toMatchObject({ username: "ada-builds", num_agents: 1, agent_runs: 1 });
  });

  it("editing an approved version submits a new one; the approved one stays listed until it is approved", async () => {
    const next = await creator.api.put(`/api/store/submissions/${versionId}`, {
      name: "Sum Machine 2",
      sub_heading: "Adds better",
      changes_summary: "Faster",
      categories: ["math"],
    });
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(next.body).toMatchObject({ status: "PENDING", version: 2 });
    expect(next.body.store_listing_version_id).not.toBe(versionId);
    expect((await buyer.api.get("/api/store/agents/ada-builds/sum-machine")).body.agent_name).toBe("Sum Machine");

    const rejected = await admin.api.post(`/api/admin/store/submissions/${next.body.store_listing_version_id}/review`, {
      store_listing_version_id: next.body.store_listing_version_id,
      is_approved: false,
      comments: "Name clash",
    });
    expect(rejected.body.status).toBe("REJECTED");
    expect((await buyer.api.get("/api/store/agents/ada-builds/sum-machine")).body.versions).toEqual(["1"]);
  });

  it("media uploads are type- and size-checked and served back", async () => {
    const upload = (type: string, data: Buffer, name = "shot.png") => {
      const form = new FormData();
      form.append("file", new Blob([new Uint8Array(data)], { type }), name);
      return fetch(`${t.url}/api/store/submissions/media`, {
        method: "POST",
        headers: { authorization: `Bearer ${creator.tokens.access_token}` },
        body: form,
      });
    };
    const ok = await upload("image/png", PNG);
    expect(ok.status).toBe(200);
    const url = (await ok.json()) as string;
    expect(url).toMatch(/\/api\/store\/media\/.+\/images\/.+\.png$/);
    const served = await fetch(url.replace(/^https?:\/\/[^/]+/, t.url));
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);

    expect((await fetch(`${t.url}/api/store/media/..%2F..%2Fetc/images/x.png`)).status).toBe(404);
    expect((await fetch(url.replace(/^https?:\/\/[^/]+/, t.url).replace(".png", ".gif"))).status).toBe(404);
    expect((await upload("application/pdf", Buffer.from("%PDF-1.4"), "doc.pdf")).status).toBe(415);
    // A PNG's name and type on bytes that are not one.
    expect((await upload("image/png", Buffer.from("GIF89a-not-a-png"))).status).toBe(400);
    const big = Buffer.concat([PNG, Buffer.alloc(50 * 1024 * 1024)]);
    expect((await upload("image/png", big)).status).toBe(413);
    const anonymous = await fetch(`${t.url}/api/store/submissions/media`, { method: "POST", body: new FormData() });
    expect(anonymous.status).toBe(401);
  });

  it("deleting the submissions unlists the agent", async () => {
    expectError(await buyer.api.delete(`/api/store/submissions/${versionId}`), 404);
    const listingId = (await creator.api.get("/api/store/submissions")).body.submissions[0].listing_id;
    const deleted = await creator.api.delete(`/api/store/submissions/${listingId}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toBe(true);
    expect((await buyer.api.get("/api/store/agents")).body.agents).toEqual([]);
    expectError(await buyer.api.get("/api/store/agents/ada-builds/sum-machine"), 404);
    expect((await creator.api.get("/api/store/submissions")).body.submissions).toEqual([]);
  });

  it("private store routes need a signed-in caller", async () => {
    const anonymous = (await import("./helpers/client.js")).client(t.url);
    for (const path of ["/api/store/profile", "/api/store/submissions", "/api/store/myagents"]) {
      expectError(await anonymous.get(path), 401);
    }
    expect((await anonymous.get("/api/store/agents")).status).toBe(200);
    expect((await anonymous.get("/api/store/creators")).status).toBe(200);
  });
});
