// The store (AutoGPT's marketplace): creator profiles, submissions and their admin review, the listed agents with
// their ratings and run counts, reviews, downloads and submission media.
//
// Only approved versions are listed: a listing shows its latest approved version, and a version nobody approved
// is visible to its owner (as a submission) and to admins only. Objects come back in AutoGPT's /api/store shapes;
// v1's /store and v2's /marketplace map them to theirs.
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { ApiError } from "../core/errors.js";
import type { GraphModel } from "../core/graph-types.js";
import { databaseErrorCode } from "../infra/db/errors.js";
import type { Db } from "../infra/db/index.js";
import * as repo from "../infra/db/repos/store.js";
import { type FileStore, safeSegment } from "../infra/files.js";
import type { GraphService } from "./graphs.js";

export interface Page<T> {
  items: T[];
  total: number;
}

export interface PageArgs {
  page: number;
  page_size: number;
}

/** AutoGPT's filters of store agents, by the names both External API versions give them. */
export interface AgentQuery {
  featured?: boolean;
  creator?: string;
  category?: string;
  search_query?: string;
  /** rating, runs, name or updated_at; ignored with a search_query. */
  sorted_by?: unknown;
}

export interface CreatorQuery {
  featured?: boolean;
  search_query?: string;
  /** agent_rating, agent_runs or num_agents. */
  sorted_by?: unknown;
}

export interface ProfileInput {
  name: string;
  username: string;
  description: string;
  links: string[];
  avatar_url?: string | null;
}

export interface SubmissionContent {
  name: string;
  sub_heading: string;
  video_url?: string | null;
  agent_output_demo_url?: string | null;
  image_urls?: string[];
  description?: string;
  instructions?: string | null;
  categories?: string[];
  changes_summary?: string | null;
  recommended_schedule_cron?: string | null;
}

export interface SubmissionInput extends SubmissionContent {
  agent_id: string;
  agent_version: number;
  slug: string;
}

export type SubmissionStatus = repo.SubmissionStatus;

/** Media AutoGPT accepts for listings, with the leading bytes each type starts with. */
const MEDIA_TYPES: Record<string, (head: Buffer) => boolean> = {
  "image/jpeg": (b) => b.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])),
  "image/png": (b) => b.subarray(0, 8).equals(Buffer.from("\x89PNG\r\n\x1a\n", "latin1")),
  "image/gif": (b) => ["GIF87a", "GIF89a"].includes(b.subarray(0, 6).toString("latin1")),
  "image/webp": (b) =>
    b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP",
  "video/mp4": (b) => b.subarray(4, 8).toString("latin1") === "ftyp",
  "video/webm": (b) => b.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3])),
};
const MEDIA_EXTENSIONS: Record<string, string> = {
  "image/jpeg": ".jpg",
  "image/png": ".png",
  "image/gif": ".gif",
  "image/webp": ".webp",
  "video/mp4": ".mp4",
  "video/webm": ".webm",
};
/** AutoGPT's limit for one listing image or video. */
export const MAX_MEDIA_BYTES = 50 * 1024 * 1024;
export const MEDIA_CONTENT_TYPES = Object.keys(MEDIA_TYPES);

const USERNAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const round = (n: number) => Math.round(Number(n) * 100) / 100;
const pageOf = (q: PageArgs): repo.Page => ({ offset: (q.page - 1) * q.page_size, limit: q.page_size });
const lower = (s: string | undefined) => (s ? s.toLowerCase() : undefined);

/** A unique index refused the write (another request took the username or slug meanwhile): 409. */
async function unique<T>(write: Promise<T>, message: string): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (databaseErrorCode(err) === "23505") throw ApiError.conflict(message);
    throw err;
  }
}

export interface StoreServiceDeps {
  db: Db;
  graphs: GraphService;
  /** Where submission media is kept (the data dir by default; any FileStore, e.g. an S3-compatible one). */
  media: FileStore;
  /** The public URL media links are made from. */
  publicUrl: string;
}

export class StoreService {
  private readonly db: Db;
  constructor(private readonly deps: StoreServiceDeps) {
    this.db = deps.db;
  }

  // ---- profiles and creators

  /** The caller's creator profile (AutoGPT's ProfileDetails); 404 before they made one. */
  async profile(userId: string) {
    const row = await repo.profileOfUser(this.db, userId);
    if (!row) throw ApiError.notFound("Profile");
    return profileJSON(row);
  }

  /** Creates or updates the caller's profile; the username is lower-cased and must be free. */
  async saveProfile(userId: string, input: ProfileInput) {
    const username = input.username.trim().toLowerCase();
    if (!USERNAME.test(username)) {
      throw ApiError.validation("Username must be 1-64 letters, digits, '-' or '_', starting with a letter or digit", [
        { field: "username", message: "invalid username" },
      ]);
    }
    const taken = await repo.profileByUsername(this.db, username);
    if (taken && taken.userId !== userId) throw ApiError.conflict(`Username ${username} is already taken`);
    await unique(
      repo.upsertProfile(this.db, userId, {
        name: input.name,
        username,
        description: input.description,
        links: input.links,
        avatarUrl: input.avatar_url ?? null,
      }),
      `Username ${username} is already taken`,
    );
    return this.getCreator(username);
  }

  async listCreators(query: CreatorQuery, page: PageArgs = { page: 1, page_size: 20 }) {
    const { rows, total } = await repo.listCreators(
      this.db,
      { featured: query.featured, search: query.search_query, sortedBy: String(query.sorted_by ?? "") },
      pageOf(page),
    );
    return { items: rows.map(creatorJSON), total };
  }

  /** A creator's profile with the stats of their listed agents (AutoGPT's CreatorDetails). */
  async getCreator(username: string) {
    const name = username.toLowerCase();
    const { rows } = await repo.listCreators(this.db, { username: name }, { offset: 0, limit: 1 });
    const row = rows[0];
    if (!row) throw ApiError.notFound(`Store creator ${name}`, { username: name });
    return {
      ...creatorJSON(row),
      top_categories: await repo.topCategories(this.db, row.profile.userId),
    };
  }

  // ---- submissions

  async listSubmissions(userId: string, page: PageArgs = { page: 1, page_size: 20 }) {
    const { rows, total } = await repo.listSubmissions(this.db, userId, pageOf(page));
    return { items: rows.map((row) => submissionJSON(row)), total };
  }

  /**
   * Submits a version of one of the caller's graphs for review: a new listing under `slug`, or the next version of
   * the listing that slug names (which must offer the same graph). The caller needs a creator profile.
   */
  async submit(userId: string, input: SubmissionInput) {
    if (!(await repo.profileOfUser(this.db, userId))) {
      throw ApiError.badRequest("Create your store profile (POST /api/store/profile) before submitting an agent");
    }
    const slug = input.slug.trim().toLowerCase();
    if (!SLUG.test(slug)) {
      throw ApiError.validation("Slug must be lower-case letters and digits separated by single '-'", [
        { field: "slug", message: "invalid slug" },
      ]);
    }
    const graph = await this.deps.graphs.find(userId, input.agent_id, input.agent_version);
    if (!graph) throw ApiError.notFound(`Agent #${input.agent_id} v${input.agent_version}`);
    const existing = await repo.listingBySlug(this.db, userId, slug);
    if (existing && !existing.isDeleted && existing.agentGraphId !== graph.id) {
      throw ApiError.conflict(`You already have a store listing with the slug ${slug} for another agent`);
    }
    const other = await repo.listingOfGraph(this.db, userId, graph.id);
    if (other && other.slug !== slug) {
      throw ApiError.conflict(`This agent is already listed as ${other.slug}; submit new versions under that slug`);
    }
    const { version } = await unique(
      repo.addVersion(this.db, userId, graph, slug, contentOf(input)),
      `A submission under the slug ${slug} is being made at the same time; try again`,
    );
    return this.submission(version.id);
  }

  /**
   * Edits a submission of the caller's: a pending version changes in place; an approved or rejected one gets a
   * new pending version with the edits (the approved one stays listed until the new one is approved).
   */
  async editSubmission(userId: string, versionId: string, input: SubmissionContent) {
    const found = await this.ownVersion(userId, versionId);
    if (found.version.submissionStatus === "PENDING" || found.version.submissionStatus === "DRAFT") {
      await repo.updateVersion(this.db, versionId, contentOf(input));
      return this.submission(versionId);
    }
    const { version } = await repo.addVersion(
      this.db,
      userId,
      { id: found.version.agentGraphId, version: found.version.agentGraphVersion },
      found.listing.slug,
      contentOf(input),
    );
    return this.submission(version.id);
  }

  /** Deletes a submission of the caller's (a listing version; a listing id deletes all its versions). */
  async deleteSubmission(userId: string, id: string): Promise<true> {
    const listing = await repo.getListing(this.db, id);
    if (listing && listing.owningUserId === userId && !listing.isDeleted) {
      await repo.deleteListing(this.db, id);
      return true;
    }
    const found = await this.ownVersion(userId, id);
    await repo.deleteVersion(this.db, id, found.listing.id);
    return true;
  }

  private async ownVersion(userId: string, versionId: string) {
    const found = await repo.getVersion(this.db, versionId);
    if (!found || found.listing.owningUserId !== userId) throw ApiError.notFound(`Store submission #${versionId}`);
    return found;
  }

  private async submission(versionId: string, forAdmin = false) {
    const stats = await repo.versionStats(this.db, versionId);
    if (!stats) throw ApiError.notFound(`Store submission #${versionId}`);
    return submissionJSON(stats, forAdmin);
  }

  // ---- admin review

  async adminListings(query: { status?: SubmissionStatus; search?: string }, page: PageArgs) {
    const { rows, total } = await repo.adminListings(this.db, query, pageOf(page));
    return {
      items: rows.map(({ listing, creatorEmail, versions }) => {
        const latest = versions[0];
        return {
          listing_id: listing.id,
          slug: listing.slug,
          agent_id: listing.agentGraphId,
          agent_version: latest?.version.agentGraphVersion ?? 0,
          active_version_id: listing.activeVersionId,
          has_approved_version: listing.hasApprovedVersion,
          creator_email: creatorEmail,
          latest_version: latest ? submissionJSON(latest, true) : null,
          versions: versions.map((v) => submissionJSON(v, true)),
        };
      }),
      total,
    };
  }

  /** An admin approves (the version becomes the listed one) or rejects a submitted version. */
  async review(
    adminId: string,
    versionId: string,
    decision: { is_approved: boolean; comments: string; internal_comments?: string | null },
  ) {
    const found = await repo.getVersion(this.db, versionId);
    if (!found) throw ApiError.notFound(`Store submission #${versionId}`);
    await repo.reviewVersion(this.db, versionId, found.listing.id, {
      status: decision.is_approved ? "APPROVED" : "REJECTED",
      reviewerId: adminId,
      comments: decision.comments,
      internalComments: decision.internal_comments ?? null,
    });
    return this.submission(versionId, true);
  }

  // ---- listed agents

  async listAgents(query: AgentQuery, page: PageArgs = { page: 1, page_size: 20 }) {
    const { rows, total } = await repo.listAgents(
      this.db,
      {
        featured: query.featured,
        creator: lower(query.creator),
        category: query.category,
        search: query.search_query,
        sortedBy: query.sorted_by === undefined ? undefined : String(query.sorted_by),
      },
      pageOf(page),
    );
    return { items: rows.map(storeAgentJSON), total };
  }

  /** Listed agents whose text holds every word of `query`, for the unified search (at most `limit`). */
  async searchAgents(query: string, limit = 100) {
    const { rows } = await repo.listAgents(this.db, { search: query, sortedBy: "name" }, { offset: 0, limit });
    return rows.map((row) => ({
      agent: storeAgentJSON(row),
      text: [row.version.name, row.version.subHeading, row.version.description, row.version.categories.join(" ")]
        .filter(Boolean)
        .join(" "),
      updatedAt: row.version.updatedAt,
    }));
  }

  /** A listed agent by creator username and agent slug (both case-insensitive), at its active version. */
  async getAgent(username: string, agentName: string) {
    const user = username.toLowerCase();
    const slug = agentName.toLowerCase();
    const { rows } = await repo.listAgents(this.db, { creator: user, slug }, { offset: 0, limit: 1 });
    if (!rows[0]) throw ApiError.notFound(`Store agent ${user}/${slug}`, { username: user, agent_name: slug });
    return this.details(rows[0]);
  }

  /** A listed agent at one approved listing version. */
  async getAgentByListingVersion(versionId: string) {
    return this.details(await this.approved(versionId));
  }

  private async approved(versionId: string): Promise<repo.ListedAgent> {
    const { rows } = await repo.listAgents(this.db, { versionId }, { offset: 0, limit: 1 });
    if (!rows[0]) throw ApiError.notFound(`Store listing version #${versionId}`);
    return rows[0];
  }

  private async details(agent: repo.ListedAgent) {
    const approved = await repo.approvedVersions(this.db, agent.listing.id);
    const graphVersions = [...new Set(approved.map((v) => v.agentGraphVersion))];
    return {
      ...storeAgentJSON(agent),
      store_listing_version_id: agent.version.id,
      agent_video: agent.version.videoUrl ?? "",
      agent_output_demo: agent.version.agentOutputDemoUrl ?? "",
      agent_image: agent.version.imageUrls,
      instructions: agent.version.instructions,
      categories: agent.version.categories,
      versions: approved.map((v) => String(v.version)),
      agentGraphVersions: graphVersions.map(String),
      agentGraphId: agent.listing.agentGraphId,
      graph_id: agent.listing.agentGraphId,
      graph_versions: graphVersions.map(String),
      last_updated: agent.version.updatedAt.toISOString(),
      recommended_schedule_cron: agent.version.recommendedScheduleCron,
      active_version_id: agent.listing.activeVersionId,
      has_approved_version: agent.listing.hasApprovedVersion,
      changelog: approved
        .filter((v) => v.changesSummary)
        .map((v) => ({
          version: String(v.version),
          changes_summary: v.changesSummary as string,
          date: v.submittedAt.toISOString(),
        }))
        .reverse(),
    };
  }

  /** The graph of an approved listing version, as AutoGPT's export (no owner data, secrets or webhooks). */
  async graphOf(versionId: string): Promise<GraphModel> {
    const agent = await this.approved(versionId);
    return this.deps.graphs.get(
      agent.listing.owningUserId,
      agent.version.agentGraphId,
      agent.version.agentGraphVersion,
      {
        forExport: true,
      },
    );
  }

  /**
   * The agent file of a listing version, to import: approved versions for everyone, any submitted version for
   * admins (reviewing it).
   */
  async download(versionId: string, options: { admin?: boolean } = {}): Promise<GraphModel> {
    if (!options.admin) return this.graphOf(versionId);
    const found = await repo.getVersion(this.db, versionId);
    if (!found) throw ApiError.notFound(`Store listing version #${versionId}`);
    return this.deps.graphs.get(
      found.listing.owningUserId,
      found.version.agentGraphId,
      found.version.agentGraphVersion,
      {
        forExport: true,
      },
    );
  }

  /**
   * The graph an approved listing version offers, for adding it to a library: its owner, id and version (404 for a
   * version that is not approved).
   */
  async listedGraph(versionId: string): Promise<{ ownerId: string; graphId: string; graphVersion: number }> {
    const agent = await this.approved(versionId);
    return {
      ownerId: agent.listing.owningUserId,
      graphId: agent.version.agentGraphId,
      graphVersion: agent.version.agentGraphVersion,
    };
  }

  /** The caller's agents that are not in the store yet (AutoGPT's "my agents", to pick one to submit). */
  async myAgents(userId: string, page: PageArgs) {
    const { rows, total } = await repo.unlistedGraphs(this.db, userId, pageOf(page));
    return {
      items: rows.map((g) => ({
        agent_id: g.id,
        agent_version: g.version,
        agent_name: g.name ?? "",
        agent_image: null,
        description: g.description ?? "",
        last_edited: g.updatedAt.toISOString(),
        recommended_schedule_cron: g.recommendedScheduleCron,
      })),
      total,
    };
  }

  /** Rates an approved version of the named listing, 1 to 5; a user's second review of a version replaces the first. */
  async createReview(
    userId: string,
    username: string,
    agentName: string,
    review: { store_listing_version_id: string; score: number; comments?: string | null },
  ) {
    const agent = await this.approved(review.store_listing_version_id);
    if (agent.profile.username !== username.toLowerCase() || agent.listing.slug !== agentName.toLowerCase()) {
      throw ApiError.notFound(`Store listing version #${review.store_listing_version_id} of ${username}/${agentName}`);
    }
    if (!Number.isInteger(review.score) || review.score < 1 || review.score > 5) {
      throw ApiError.validation("Score must be an integer from 1 to 5", [{ field: "score", message: "out of range" }]);
    }
    return repo.upsertReview(this.db, agent.version.id, userId, {
      score: review.score,
      comments: review.comments ?? null,
    });
  }

  // ---- media

  /**
   * Stores an image or video for a listing (AutoGPT's types, checked against the file's first bytes, at most
   * 50 MB) and returns its public URL.
   */
  async uploadMedia(userId: string, file: { contentType: string; filename?: string; data: Buffer }): Promise<string> {
    const check = MEDIA_TYPES[file.contentType];
    if (!check) {
      throw new ApiError(
        "UNSUPPORTED_MEDIA_TYPE",
        415,
        `File type not supported. Must be jpeg, png, gif, webp, mp4 or webm. Content type: ${file.contentType}`,
      );
    }
    if (file.data.length > MAX_MEDIA_BYTES) {
      throw new ApiError("PAYLOAD_TOO_LARGE", 413, "File too large. Maximum size is 50MB");
    }
    if (!check(file.data)) throw ApiError.badRequest("File signature does not match content type");
    const kind = file.contentType.startsWith("image/") ? "images" : "videos";
    const name = `${randomUUID()}${MEDIA_EXTENSIONS[file.contentType]}`;
    // User ids from an external identity provider may not be safe path segments.
    const owner = safeSegment(userId);
    await this.deps.media.put(`${owner}/${kind}/${name}`, file.data);
    return `${this.deps.publicUrl}/api/store/media/${owner}/${kind}/${name}`;
  }

  /** A stored media file, for anyone (listing images are public). */
  async openMedia(
    owner: string,
    kind: string,
    name: string,
  ): Promise<{ stream: Readable; size: number; type: string }> {
    const type = Object.entries(MEDIA_EXTENSIONS).find(([, ext]) => name.endsWith(ext))?.[0];
    if (!type || (kind !== "images" && kind !== "videos")) throw ApiError.notFound("Media");
    // A key that is no valid path (e.g. `..`) is refused by the store: not found either.
    const found = await this.deps.media.get(`${owner}/${kind}/${name}`).catch(() => undefined);
    if (!found) throw ApiError.notFound("Media");
    return { ...found, type };
  }
}

function contentOf(input: SubmissionContent): repo.VersionContent {
  return {
    name: input.name,
    subHeading: input.sub_heading,
    videoUrl: input.video_url ?? null,
    agentOutputDemoUrl: input.agent_output_demo_url ?? null,
    imageUrls: input.image_urls ?? [],
    description: input.description ?? "",
    instructions: input.instructions ?? null,
    categories: input.categories ?? [],
    changesSummary: input.changes_summary ?? null,
    recommendedScheduleCron: input.recommended_schedule_cron ?? null,
  };
}

function profileJSON(row: repo.ProfileRow) {
  return {
    name: row.name,
    username: row.username,
    description: row.description,
    links: row.links,
    avatar_url: row.avatarUrl,
  };
}

function creatorJSON(row: repo.CreatorStats) {
  return {
    ...profileJSON(row.profile),
    avatar_url: row.profile.avatarUrl ?? "",
    is_featured: row.profile.isFeatured,
    num_agents: row.numAgents,
    agent_rating: round(row.agentRating),
    agent_runs: row.agentRuns,
    top_categories: [] as string[],
  };
}

function storeAgentJSON(row: repo.ListedAgent) {
  return {
    slug: row.listing.slug,
    agent_name: row.version.name,
    agent_image: row.version.imageUrls[0] ?? "",
    creator: row.profile.username,
    creator_avatar: row.profile.avatarUrl ?? "",
    sub_heading: row.version.subHeading,
    description: row.version.description,
    runs: row.runs,
    rating: round(row.rating),
    agent_graph_id: row.listing.agentGraphId,
    store_listing_version_id: row.version.id,
    image_urls: row.version.imageUrls,
    video_url: row.version.videoUrl,
    agent_output_demo_url: row.version.agentOutputDemoUrl,
    categories: row.version.categories,
    version: row.version.version,
    graph_version: row.version.agentGraphVersion,
  };
}

function submissionJSON(row: repo.VersionStats, forAdmin = false) {
  const v = row.version;
  return {
    listing_id: row.listing.id,
    agent_id: v.agentGraphId,
    agent_version: v.agentGraphVersion,
    name: v.name,
    sub_heading: v.subHeading,
    slug: row.listing.slug,
    description: v.description,
    instructions: v.instructions,
    image_urls: v.imageUrls,
    date_submitted: v.submittedAt.toISOString(),
    status: v.submissionStatus,
    runs: row.runs,
    rating: round(row.rating),
    review_count: row.reviewCount,
    store_listing_version_id: v.id,
    version: v.version,
    reviewer_id: v.reviewerId,
    review_comments: v.reviewComments,
    // What reviewers note for each other stays among admins.
    internal_comments: forAdmin ? v.internalComments : null,
    reviewed_at: iso(v.reviewedAt),
    changes_summary: v.changesSummary,
    video_url: v.videoUrl,
    agent_output_demo_url: v.agentOutputDemoUrl,
    categories: v.categories,
    recommended_schedule_cron: v.recommendedScheduleCron,
  };
}

export type StoreAgent = ReturnType<typeof storeAgentJSON>;
export type StoreAgentDetails = Awaited<ReturnType<StoreService["getAgent"]>>;
export type StoreSubmission = ReturnType<typeof submissionJSON>;
export type StoreCreator = Awaited<ReturnType<StoreService["getCreator"]>>;
