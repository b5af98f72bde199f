// AutoGPT's store models (backend/server/v2/store/model.py) as TypeBox schemas: the responses of /api/store and the
// request bodies, with the fields of both the October 2025 and the v0.6.44 documents.
import { Type } from "@sinclair/typebox";
import { DateTime, Nullable, Pagination } from "../schemas.js";

const Str = Type.String();
const Strings = Type.Array(Type.String());

export const SubmissionStatus = Type.Union(
  [Type.Literal("DRAFT"), Type.Literal("PENDING"), Type.Literal("APPROVED"), Type.Literal("REJECTED")],
  { title: "SubmissionStatus" },
);

export const ProfileDetails = Type.Object(
  { name: Str, username: Str, description: Str, links: Strings, avatar_url: Nullable(Type.String()) },
  { title: "ProfileDetails" },
);

export const Profile = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    username: Type.String({ minLength: 1, maxLength: 64, description: "Unique; stored lower-case" }),
    description: Type.String({ maxLength: 5000 }),
    links: Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 20 }),
    avatar_url: Nullable(Type.String({ maxLength: 2000 })),
    is_featured: Type.Optional(Type.Boolean({ description: "Ignored: admins feature creators" })),
  },
  { title: "Profile" },
);

export const CreatorDetails = Type.Object(
  {
    name: Str,
    username: Str,
    description: Str,
    links: Strings,
    avatar_url: Str,
    agent_rating: Type.Number(),
    agent_runs: Type.Integer(),
    top_categories: Strings,
    num_agents: Type.Integer(),
    is_featured: Type.Boolean(),
  },
  { title: "CreatorDetails" },
);

export const Creator = Type.Object(
  {
    name: Str,
    username: Str,
    description: Str,
    avatar_url: Str,
    num_agents: Type.Integer(),
    agent_rating: Type.Number(),
    agent_runs: Type.Integer(),
    is_featured: Type.Boolean(),
  },
  { title: "Creator" },
);

export const CreatorsResponse = Type.Object(
  { creators: Type.Array(Creator), pagination: Pagination },
  { title: "CreatorsResponse" },
);

export const StoreAgent = Type.Object(
  {
    slug: Str,
    agent_name: Str,
    agent_image: Str,
    creator: Str,
    creator_avatar: Str,
    sub_heading: Str,
    description: Str,
    runs: Type.Integer({ description: "Executions of the agent's graph" }),
    rating: Type.Number({ description: "Average review score (1-5), 0 without reviews" }),
    agent_graph_id: Str,
    store_listing_version_id: Str,
  },
  { title: "StoreAgent" },
);

export const StoreAgentsResponse = Type.Object(
  { agents: Type.Array(StoreAgent), pagination: Pagination },
  { title: "StoreAgentsResponse" },
);

const ChangelogEntry = Type.Object({ version: Str, changes_summary: Str, date: DateTime }, { title: "ChangelogEntry" });

export const StoreAgentDetails = Type.Object(
  {
    store_listing_version_id: Str,
    slug: Str,
    agent_name: Str,
    agent_video: Str,
    agent_output_demo: Str,
    agent_image: Strings,
    creator: Str,
    creator_avatar: Str,
    sub_heading: Str,
    description: Str,
    instructions: Nullable(Type.String()),
    categories: Strings,
    runs: Type.Integer(),
    rating: Type.Number(),
    versions: Type.Array(Type.String(), { description: "The approved listing versions" }),
    agentGraphVersions: Strings,
    agentGraphId: Str,
    graph_id: Str,
    graph_versions: Strings,
    last_updated: DateTime,
    recommended_schedule_cron: Nullable(Type.String()),
    active_version_id: Nullable(Type.String()),
    has_approved_version: Type.Boolean(),
    changelog: Nullable(Type.Array(ChangelogEntry)),
  },
  { title: "StoreAgentDetails" },
);

export const StoreSubmission = Type.Object(
  {
    listing_id: Str,
    agent_id: Str,
    agent_version: Type.Integer(),
    name: Str,
    sub_heading: Str,
    slug: Str,
    description: Str,
    instructions: Nullable(Type.String()),
    image_urls: Strings,
    date_submitted: DateTime,
    status: SubmissionStatus,
    runs: Type.Integer(),
    rating: Type.Number(),
    store_listing_version_id: Nullable(Type.String()),
    version: Nullable(Type.Integer()),
    reviewer_id: Nullable(Type.String()),
    review_comments: Nullable(Type.String()),
    internal_comments: Nullable(Type.String({ description: "Shown to admins only" })),
    reviewed_at: Nullable(DateTime),
    changes_summary: Nullable(Type.String()),
    video_url: Nullable(Type.String()),
    agent_output_demo_url: Nullable(Type.String()),
    categories: Strings,
    recommended_schedule_cron: Nullable(Type.String()),
  },
  { title: "StoreSubmission" },
);

export const StoreSubmissionsResponse = Type.Object(
  { submissions: Type.Array(StoreSubmission), pagination: Pagination },
  { title: "StoreSubmissionsResponse" },
);

const content = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  sub_heading: Type.String({ maxLength: 500 }),
  video_url: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  agent_output_demo_url: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  image_urls: Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 20, default: [] }),
  description: Type.String({ maxLength: 20000, default: "" }),
  instructions: Type.Optional(Nullable(Type.String({ maxLength: 20000 }))),
  categories: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 20, default: [] }),
  changes_summary: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
  recommended_schedule_cron: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
};

export const StoreSubmissionRequest = Type.Object(
  {
    agent_id: Type.String({ minLength: 1, maxLength: 200, description: "Agent ID cannot be empty" }),
    agent_version: Type.Integer({ exclusiveMinimum: 0, description: "Agent version must be greater than 0" }),
    slug: Type.String({ minLength: 1, maxLength: 200 }),
    ...content,
  },
  { title: "StoreSubmissionRequest" },
);

export const StoreSubmissionEditRequest = Type.Object(content, { title: "StoreSubmissionEditRequest" });

export const StoreListingWithVersions = Type.Object(
  {
    listing_id: Str,
    slug: Str,
    agent_id: Str,
    agent_version: Type.Integer(),
    active_version_id: Nullable(Type.String()),
    has_approved_version: Type.Boolean(),
    creator_email: Nullable(Type.String()),
    latest_version: Type.Union([StoreSubmission, Type.Null()]),
    versions: Type.Array(StoreSubmission),
  },
  { title: "StoreListingWithVersions" },
);

export const StoreListingsWithVersionsResponse = Type.Object(
  { listings: Type.Array(StoreListingWithVersions), pagination: Pagination },
  { title: "StoreListingsWithVersionsResponse" },
);

export const ReviewSubmissionRequest = Type.Object(
  {
    store_listing_version_id: Type.String({ maxLength: 200, description: "Ignored: the path names the version" }),
    is_approved: Type.Boolean(),
    comments: Type.String({ maxLength: 5000 }),
    internal_comments: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
  },
  { title: "ReviewSubmissionRequest" },
);

export const StoreReviewCreate = Type.Object(
  {
    store_listing_version_id: Type.String({ minLength: 1, maxLength: 200 }),
    score: Type.Integer({ minimum: 1, maximum: 5 }),
    comments: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
  },
  { title: "StoreReviewCreate" },
);

export const StoreReview = Type.Object(
  { score: Type.Integer(), comments: Nullable(Type.String()) },
  { title: "StoreReview" },
);

export const MyAgent = Type.Object(
  {
    agent_id: Str,
    agent_version: Type.Integer(),
    agent_name: Str,
    agent_image: Nullable(Type.String()),
    description: Str,
    last_edited: DateTime,
    recommended_schedule_cron: Nullable(Type.String()),
  },
  { title: "MyAgent" },
);

export const MyAgentsResponse = Type.Object(
  { agents: Type.Array(MyAgent), pagination: Pagination },
  { title: "MyAgentsResponse" },
);

/** AutoGPT's page query; page sizes are capped as the other /api lists are. */
export const StorePage = {
  page: Type.Integer({ minimum: 1, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
};

export const VersionParam = Type.Object({ store_listing_version_id: Type.String({ minLength: 1, maxLength: 200 }) });
export const Name = Type.String({ minLength: 1, maxLength: 200 });
