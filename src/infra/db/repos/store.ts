// The store's tables (AutoGPT's Profile, StoreListing, StoreListingVersion, StoreListingReview) and the listed view
// over them: a listing's approved active version with its creator, rating (reviews of all its versions) and runs
// (every execution of its graph).
import { randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, ilike, inArray, isNotNull, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../index.js";
import {
  agentGraphs,
  graphExecutions,
  storeListingReviews,
  storeListings,
  storeListingVersions,
  storeProfiles,
  users,
} from "../schema.js";

export type ProfileRow = typeof storeProfiles.$inferSelect;
export type ListingRow = typeof storeListings.$inferSelect;
export type VersionRow = typeof storeListingVersions.$inferSelect;
export type SubmissionStatus = VersionRow["submissionStatus"];
export type VersionContent = Omit<
  typeof storeListingVersions.$inferInsert,
  "id" | "storeListingId" | "version" | "agentGraphId" | "agentGraphVersion"
>;

export interface Page {
  offset: number;
  limit: number;
}

/** `%text%` for ILIKE, with the pattern characters of `text` taken literally. */
const contains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Average review score over every version of the listing (0 without reviews). */
const listingRating = sql<number>`coalesce((select avg(${storeListingReviews.score})::float from ${storeListingReviews}
  join store_listing_versions rv on rv.id = ${storeListingReviews.storeListingVersionId}
  where rv.store_listing_id = ${storeListings.id}), 0)`;
const listingReviewCount = sql<number>`(select count(*)::int from ${storeListingReviews}
  join store_listing_versions rv on rv.id = ${storeListingReviews.storeListingVersionId}
  where rv.store_listing_id = ${storeListings.id})`;
/** Executions of the listing's graph, by anyone (AutoGPT's StoreAgent.runs). */
const listingRuns = sql<number>`(select count(*)::int from ${graphExecutions}
  where ${graphExecutions.graphId} = ${storeListings.agentGraphId} and not ${graphExecutions.isDeleted})`;

// ---- profiles

export async function profileOfUser(db: Db, userId: string): Promise<ProfileRow | undefined> {
  const [row] = await db.select().from(storeProfiles).where(eq(storeProfiles.userId, userId));
  return row;
}

export async function profileByUsername(db: Db, username: string): Promise<ProfileRow | undefined> {
  const [row] = await db.select().from(storeProfiles).where(eq(storeProfiles.username, username));
  return row;
}

export async function upsertProfile(
  db: Db,
  userId: string,
  values: Pick<ProfileRow, "name" | "username" | "description" | "links" | "avatarUrl">,
): Promise<ProfileRow> {
  const now = new Date();
  const [row] = await db
    .insert(storeProfiles)
    .values({ id: randomUUID(), userId, ...values, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: storeProfiles.userId, set: { ...values, updatedAt: now } })
    .returning();
  return row as ProfileRow;
}

export interface CreatorStats {
  profile: ProfileRow;
  numAgents: number;
  agentRating: number;
  agentRuns: number;
}

/** Profiles with the stats of their listed agents, filtered, sorted and paged. */
export async function listCreators(
  db: Db,
  query: { featured?: boolean; search?: string; sortedBy?: string; username?: string },
  page: Page,
): Promise<{ rows: CreatorStats[]; total: number }> {
  const listed = and(
    eq(storeListings.owningUserId, storeProfiles.userId),
    eq(storeListings.isDeleted, false),
    isNotNull(storeListings.activeVersionId),
  );
  const numAgents = sql<number>`(select count(*)::int from ${storeListings} where ${listed})`;
  const agentRuns = sql<number>`(select count(*)::int from ${graphExecutions} where not ${graphExecutions.isDeleted}
    and ${graphExecutions.graphId} in (select ${storeListings.agentGraphId} from ${storeListings} where ${listed}))`;
  const agentRating = sql<number>`coalesce((select avg(${storeListingReviews.score})::float from ${storeListingReviews}
    join store_listing_versions rv on rv.id = ${storeListingReviews.storeListingVersionId}
    join store_listings rl on rl.id = rv.store_listing_id
    where rl.owning_user_id = ${storeProfiles.userId} and not rl.is_deleted and rl.active_version_id is not null), 0)`;
  const where = and(
    query.featured ? eq(storeProfiles.isFeatured, true) : undefined,
    query.username ? eq(storeProfiles.username, query.username) : undefined,
    query.search
      ? or(
          ilike(storeProfiles.username, contains(query.search)),
          ilike(storeProfiles.name, contains(query.search)),
          ilike(storeProfiles.description, contains(query.search)),
        )
      : undefined,
  );
  const order: SQL[] =
    query.sortedBy === "agent_rating"
      ? [desc(agentRating)]
      : query.sortedBy === "agent_runs"
        ? [desc(agentRuns)]
        : query.sortedBy === "num_agents"
          ? [desc(numAgents)]
          : [];
  const [rows, [total]] = await Promise.all([
    db
      .select({ profile: storeProfiles, numAgents, agentRating, agentRuns })
      .from(storeProfiles)
      .where(where)
      .orderBy(...order, asc(storeProfiles.username))
      .offset(page.offset)
      .limit(page.limit),
    db.select({ n: count() }).from(storeProfiles).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

/** The categories of a user's listed agents, most used first. */
export async function topCategories(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .select({ categories: storeListingVersions.categories })
    .from(storeListings)
    .innerJoin(storeListingVersions, eq(storeListingVersions.id, storeListings.activeVersionId))
    .where(and(eq(storeListings.owningUserId, userId), eq(storeListings.isDeleted, false)));
  const counts = new Map<string, number>();
  for (const row of rows) for (const c of row.categories) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
}

// ---- listings and versions

export async function listingOfGraph(db: Db, userId: string, graphId: string): Promise<ListingRow | undefined> {
  const [row] = await db
    .select()
    .from(storeListings)
    .where(
      and(
        eq(storeListings.owningUserId, userId),
        eq(storeListings.agentGraphId, graphId),
        eq(storeListings.isDeleted, false),
      ),
    );
  return row;
}

export async function listingBySlug(db: Db, userId: string, slug: string): Promise<ListingRow | undefined> {
  const [row] = await db
    .select()
    .from(storeListings)
    .where(and(eq(storeListings.owningUserId, userId), eq(storeListings.slug, slug)));
  return row;
}

export async function getListing(db: Db, id: string): Promise<ListingRow | undefined> {
  const [row] = await db.select().from(storeListings).where(eq(storeListings.id, id));
  return row;
}

/** A version that is not deleted, with its listing. */
export async function getVersion(
  db: Db,
  versionId: string,
): Promise<{ version: VersionRow; listing: ListingRow } | undefined> {
  const [row] = await db
    .select({ version: storeListingVersions, listing: storeListings })
    .from(storeListingVersions)
    .innerJoin(storeListings, eq(storeListings.id, storeListingVersions.storeListingId))
    .where(
      and(
        eq(storeListingVersions.id, versionId),
        eq(storeListingVersions.isDeleted, false),
        eq(storeListings.isDeleted, false),
      ),
    );
  return row;
}

/** Creates the listing (a revived deleted one keeps its id) or adds the next version to it, in one transaction. */
export async function addVersion(
  db: Db,
  userId: string,
  graph: { id: string; version: number },
  slug: string,
  content: VersionContent,
): Promise<{ version: VersionRow; listing: ListingRow }> {
  return db.transaction(async (tx) => {
    const now = new Date();
    let [listing] = await tx
      .select()
      .from(storeListings)
      .where(and(eq(storeListings.owningUserId, userId), eq(storeListings.slug, slug)))
      .for("update");
    if (!listing) {
      [listing] = await tx
        .insert(storeListings)
        .values({
          id: randomUUID(),
          owningUserId: userId,
          agentGraphId: graph.id,
          slug,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
    } else if (listing.isDeleted) {
      [listing] = await tx
        .update(storeListings)
        .set({
          isDeleted: false,
          agentGraphId: graph.id,
          activeVersionId: null,
          hasApprovedVersion: false,
          updatedAt: now,
        })
        .where(eq(storeListings.id, listing.id))
        .returning();
    }
    const l = listing as ListingRow;
    const [last] = await tx
      .select({ n: sql<number>`coalesce(max(${storeListingVersions.version}), 0)::int` })
      .from(storeListingVersions)
      .where(eq(storeListingVersions.storeListingId, l.id));
    const [version] = await tx
      .insert(storeListingVersions)
      .values({
        ...content,
        id: randomUUID(),
        storeListingId: l.id,
        version: (last?.n ?? 0) + 1,
        agentGraphId: graph.id,
        agentGraphVersion: graph.version,
        submissionStatus: "PENDING",
        submittedAt: now,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await tx.update(storeListings).set({ updatedAt: now }).where(eq(storeListings.id, l.id));
    return { version: version as VersionRow, listing: l };
  });
}

export async function updateVersion(db: Db, versionId: string, content: Partial<VersionContent>): Promise<VersionRow> {
  const [row] = await db
    .update(storeListingVersions)
    .set({ ...content, updatedAt: new Date() })
    .where(eq(storeListingVersions.id, versionId))
    .returning();
  return row as VersionRow;
}

/** Re-points the listing at its latest approved version (or none) after a version changed status or went away. */
async function refreshActive(tx: Parameters<Parameters<Db["transaction"]>[0]>[0], listingId: string): Promise<void> {
  const [approved] = await tx
    .select({ id: storeListingVersions.id })
    .from(storeListingVersions)
    .where(
      and(
        eq(storeListingVersions.storeListingId, listingId),
        eq(storeListingVersions.submissionStatus, "APPROVED"),
        eq(storeListingVersions.isDeleted, false),
      ),
    )
    .orderBy(desc(storeListingVersions.version))
    .limit(1);
  await tx
    .update(storeListings)
    .set({ activeVersionId: approved?.id ?? null, hasApprovedVersion: Boolean(approved), updatedAt: new Date() })
    .where(eq(storeListings.id, listingId));
}

export async function reviewVersion(
  db: Db,
  versionId: string,
  listingId: string,
  review: { status: SubmissionStatus; reviewerId: string; comments: string; internalComments: string | null },
): Promise<VersionRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(storeListingVersions)
      .set({
        submissionStatus: review.status,
        reviewerId: review.reviewerId,
        reviewComments: review.comments,
        internalComments: review.internalComments,
        reviewedAt: new Date(),
        updatedAt: new Date(),
      })
      .where(eq(storeListingVersions.id, versionId))
      .returning();
    await refreshActive(tx, listingId);
    return row as VersionRow;
  });
}

/** Soft-deletes a version; a listing left without versions is deleted too. */
export async function deleteVersion(db: Db, versionId: string, listingId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(storeListingVersions)
      .set({ isDeleted: true, updatedAt: new Date() })
      .where(eq(storeListingVersions.id, versionId));
    const [left] = await tx
      .select({ n: count() })
      .from(storeListingVersions)
      .where(and(eq(storeListingVersions.storeListingId, listingId), eq(storeListingVersions.isDeleted, false)));
    if ((left?.n ?? 0) === 0) {
      await tx
        .update(storeListings)
        .set({ isDeleted: true, activeVersionId: null, hasApprovedVersion: false, updatedAt: new Date() })
        .where(eq(storeListings.id, listingId));
    } else {
      await refreshActive(tx, listingId);
    }
  });
}

/** Soft-deletes a listing with all its versions: it stops being listed. */
export async function deleteListing(db: Db, listingId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const now = new Date();
    await tx
      .update(storeListingVersions)
      .set({ isDeleted: true, updatedAt: now })
      .where(eq(storeListingVersions.storeListingId, listingId));
    await tx
      .update(storeListings)
      .set({ isDeleted: true, activeVersionId: null, hasApprovedVersion: false, updatedAt: now })
      .where(eq(storeListings.id, listingId));
  });
}

export interface VersionStats {
  version: VersionRow;
  listing: ListingRow;
  runs: number;
  rating: number;
  reviewCount: number;
}

/** The user's submissions (versions of their listings), newest first. */
export async function listSubmissions(
  db: Db,
  userId: string,
  page: Page,
): Promise<{ rows: VersionStats[]; total: number }> {
  const where = and(
    eq(storeListings.owningUserId, userId),
    eq(storeListings.isDeleted, false),
    eq(storeListingVersions.isDeleted, false),
  );
  const [rows, [total]] = await Promise.all([
    db
      .select({
        version: storeListingVersions,
        listing: storeListings,
        runs: listingRuns,
        rating: listingRating,
        reviewCount: listingReviewCount,
      })
      .from(storeListingVersions)
      .innerJoin(storeListings, eq(storeListings.id, storeListingVersions.storeListingId))
      .where(where)
      .orderBy(desc(storeListingVersions.submittedAt), desc(storeListingVersions.version))
      .offset(page.offset)
      .limit(page.limit),
    db
      .select({ n: count() })
      .from(storeListingVersions)
      .innerJoin(storeListings, eq(storeListings.id, storeListingVersions.storeListingId))
      .where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

export async function versionStats(db: Db, versionId: string): Promise<VersionStats | undefined> {
  const [row] = await db
    .select({
      version: storeListingVersions,
      listing: storeListings,
      runs: listingRuns,
      rating: listingRating,
      reviewCount: listingReviewCount,
    })
    .from(storeListingVersions)
    .innerJoin(storeListings, eq(storeListings.id, storeListingVersions.storeListingId))
    .where(eq(storeListingVersions.id, versionId));
  return row;
}

/** Every version of listings, for the admins' review list; `status` and `search` pick the listings. */
export async function adminListings(
  db: Db,
  query: { status?: SubmissionStatus; search?: string },
  page: Page,
): Promise<{
  rows: Array<{ listing: ListingRow; creatorEmail: string | null; versions: VersionStats[] }>;
  total: number;
}> {
  const matching = and(
    eq(storeListingVersions.storeListingId, storeListings.id),
    eq(storeListingVersions.isDeleted, false),
    query.status ? eq(storeListingVersions.submissionStatus, query.status) : undefined,
    query.search
      ? or(
          ilike(storeListingVersions.name, contains(query.search)),
          ilike(storeListingVersions.description, contains(query.search)),
          ilike(storeListingVersions.subHeading, contains(query.search)),
        )
      : undefined,
  );
  const where = and(
    eq(storeListings.isDeleted, false),
    sql`exists (select 1 from ${storeListingVersions} where ${matching})`,
  );
  const [listings, [total]] = await Promise.all([
    db
      .select({ listing: storeListings, creatorEmail: users.email })
      .from(storeListings)
      .leftJoin(users, eq(users.id, storeListings.owningUserId))
      .where(where)
      .orderBy(desc(storeListings.updatedAt), asc(storeListings.id))
      .offset(page.offset)
      .limit(page.limit),
    db.select({ n: count() }).from(storeListings).where(where),
  ]);
  const ids = listings.map((l) => l.listing.id);
  const versions = ids.length
    ? await db
        .select({
          version: storeListingVersions,
          listing: storeListings,
          runs: listingRuns,
          rating: listingRating,
          reviewCount: listingReviewCount,
        })
        .from(storeListingVersions)
        .innerJoin(storeListings, eq(storeListings.id, storeListingVersions.storeListingId))
        .where(and(inArray(storeListingVersions.storeListingId, ids), eq(storeListingVersions.isDeleted, false)))
        .orderBy(desc(storeListingVersions.version))
    : [];
  return {
    rows: listings.map((l) => ({
      ...l,
      versions: versions.filter((v) => v.listing.id === l.listing.id),
    })),
    total: total?.n ?? 0,
  };
}

// ---- the listed agents

export interface ListedAgent {
  listing: ListingRow;
  version: VersionRow;
  profile: ProfileRow;
  runs: number;
  rating: number;
}

export interface AgentFilter {
  featured?: boolean;
  creator?: string;
  category?: string;
  search?: string;
  sortedBy?: string;
  /** One version of a listing, approved; without it each listing's active version. */
  versionId?: string;
  slug?: string;
}

/** Listings with an approved active version (or the approved version asked for), with their creator's profile. */
export async function listAgents(
  db: Db,
  filter: AgentFilter,
  page: Page,
): Promise<{ rows: ListedAgent[]; total: number }> {
  const versionJoin = filter.versionId
    ? and(
        eq(storeListingVersions.storeListingId, storeListings.id),
        eq(storeListingVersions.id, filter.versionId),
        eq(storeListingVersions.submissionStatus, "APPROVED"),
      )
    : eq(storeListingVersions.id, storeListings.activeVersionId);
  const where = and(
    eq(storeListings.isDeleted, false),
    eq(storeListingVersions.isDeleted, false),
    filter.featured ? eq(storeListingVersions.isFeatured, true) : undefined,
    filter.creator ? eq(storeProfiles.username, filter.creator) : undefined,
    filter.slug ? eq(storeListings.slug, filter.slug) : undefined,
    filter.category
      ? sql`${storeListingVersions.categories} @> ${JSON.stringify([filter.category])}::jsonb`
      : undefined,
    // Every word of the search is in the name, sub-heading, description or slug.
    ...(filter.search ?? "")
      .split(/\s+/)
      .filter(Boolean)
      .map((word) =>
        or(
          ilike(storeListingVersions.name, contains(word)),
          ilike(storeListingVersions.subHeading, contains(word)),
          ilike(storeListingVersions.description, contains(word)),
          ilike(storeListings.slug, contains(word)),
        ),
      ),
  );
  // AutoGPT ignores sorted_by with a search query (results come by relevance; here: by name).
  const sortedBy = filter.search ? "name" : filter.sortedBy;
  const order: SQL[] =
    sortedBy === "rating"
      ? [desc(listingRating)]
      : sortedBy === "runs"
        ? [desc(listingRuns)]
        : sortedBy === "name"
          ? [asc(storeListingVersions.name)]
          : [desc(storeListingVersions.updatedAt)];
  const base = () =>
    db
      .select({
        listing: storeListings,
        version: storeListingVersions,
        profile: storeProfiles,
        runs: listingRuns,
        rating: listingRating,
      })
      .from(storeListings)
      .innerJoin(storeListingVersions, versionJoin)
      .innerJoin(storeProfiles, eq(storeProfiles.userId, storeListings.owningUserId))
      .where(where);
  const [rows, [total]] = await Promise.all([
    base()
      .orderBy(...order, asc(storeListings.id))
      .offset(page.offset)
      .limit(page.limit),
    db
      .select({ n: count() })
      .from(storeListings)
      .innerJoin(storeListingVersions, versionJoin)
      .innerJoin(storeProfiles, eq(storeProfiles.userId, storeListings.owningUserId))
      .where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

/** The approved versions of a listing, oldest first (the detail page's versions and changelog). */
export async function approvedVersions(db: Db, listingId: string): Promise<VersionRow[]> {
  return db
    .select()
    .from(storeListingVersions)
    .where(
      and(
        eq(storeListingVersions.storeListingId, listingId),
        eq(storeListingVersions.submissionStatus, "APPROVED"),
        eq(storeListingVersions.isDeleted, false),
      ),
    )
    .orderBy(asc(storeListingVersions.version));
}

// ---- reviews

export async function upsertReview(
  db: Db,
  versionId: string,
  userId: string,
  review: { score: number; comments: string | null },
): Promise<{ score: number; comments: string | null }> {
  const now = new Date();
  const [row] = await db
    .insert(storeListingReviews)
    .values({
      id: randomUUID(),
      storeListingVersionId: versionId,
      reviewByUserId: userId,
      ...review,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [storeListingReviews.storeListingVersionId, storeListingReviews.reviewByUserId],
      set: { ...review, updatedAt: now },
    })
    .returning({ score: storeListingReviews.score, comments: storeListingReviews.comments });
  return row as { score: number; comments: string | null };
}

// ---- the caller's agents not yet in the store

/** The latest version of each of the user's graphs that has no listing (AutoGPT's "my agents" to submit). */
export async function unlistedGraphs(
  db: Db,
  userId: string,
  page: Page,
): Promise<{ rows: Array<typeof agentGraphs.$inferSelect>; total: number }> {
  const where = and(
    eq(agentGraphs.userId, userId),
    sql`${agentGraphs.version} = (select max(g2.version) from agent_graphs g2 where g2.id = ${agentGraphs.id})`,
    sql`not exists (select 1 from ${storeListings} where ${storeListings.agentGraphId} = ${agentGraphs.id}
      and not ${storeListings.isDeleted})`,
  );
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(agentGraphs)
      .where(where)
      .orderBy(desc(agentGraphs.updatedAt), asc(agentGraphs.id))
      .offset(page.offset)
      .limit(page.limit),
    db.select({ n: count() }).from(agentGraphs).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}
