// The database, described once: tables follow AutoGPT's schema.prisma, in snake_case, for PGlite and PostgreSQL alike.
import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { EXECUTION_STATUSES } from "../../core/execution-status.js";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const createdAt = () => ts("created_at").notNull().defaultNow();

export const userRole = pgEnum("user_role", ["user", "admin"]);

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  emailVerified: boolean("email_verified").notNull().default(true),
  name: text("name"),
  /** scrypt hash; null for users that only sign in through an external identity provider. */
  passwordHash: text("password_hash"),
  role: userRole("role").notNull().default("user"),
  metadata: jsonb("metadata").notNull().default({}),
  timezone: text("timezone").notNull().default("not-set"),
  /** AutoGPT's notification preferences: NotificationType -> wanted; a type not in the map is wanted. */
  notificationPreferences: jsonb("notification_preferences").$type<Record<string, boolean>>().notNull().default({}),
  maxEmailsPerDay: integer("max_emails_per_day").notNull().default(3),
  createdAt: createdAt(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/** A signed-in session: the refresh token (hashed) that renews its access tokens. */
export const authSessions = pgTable(
  "auth_sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    refreshTokenHash: text("refresh_token_hash").notNull().unique(),
    createdAt: createdAt(),
    expiresAt: ts("expires_at").notNull(),
    revokedAt: ts("revoked_at"),
  },
  (t) => [index("auth_sessions_user_idx").on(t.userId)],
);

export const apiKeyStatus = pgEnum("api_key_status", ["ACTIVE", "REVOKED", "SUSPENDED"]);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description"),
    /** First and last characters of the key, shown to the user to recognise it. */
    head: text("head").notNull(),
    tail: text("tail").notNull(),
    /** SHA-256 of the whole key: keys carry 256 bits of randomness, so one indexed lookup suffices. */
    hash: text("hash").notNull().unique(),
    status: apiKeyStatus("status").notNull().default("ACTIVE"),
    permissions: text("permissions").array().notNull().default(sql`'{}'::text[]`),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    lastUsedAt: ts("last_used_at"),
    revokedAt: ts("revoked_at"),
  },
  (t) => [index("api_keys_user_status_idx").on(t.userId, t.status)],
);

export const agentGraphs = pgTable(
  "agent_graphs",
  {
    id: text("id").notNull(),
    version: integer("version").notNull().default(1),
    name: text("name"),
    description: text("description"),
    instructions: text("instructions"),
    recommendedScheduleCron: text("recommended_schedule_cron"),
    isActive: boolean("is_active").notNull().default(true),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    forkedFromId: text("forked_from_id"),
    forkedFromVersion: integer("forked_from_version"),
    /** Sub-graphs (AgentExecutor targets) exported with the graph, as AutoGPT's sub_graphs. */
    subGraphs: jsonb("sub_graphs").notNull().default([]),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.version] }),
    index("agent_graphs_user_active_idx").on(t.userId, t.isActive, t.id, t.version),
  ],
);

export const agentNodes = pgTable(
  "agent_nodes",
  {
    id: text("id").primaryKey(),
    graphId: text("graph_id").notNull(),
    graphVersion: integer("graph_version").notNull(),
    blockId: text("block_id").notNull(),
    inputDefault: jsonb("input_default").notNull().default({}),
    metadata: jsonb("metadata").notNull().default({}),
    webhookId: text("webhook_id"),
    /** Position in the graph as submitted, so a graph reads back in the order it was written. */
    position: integer("position").notNull().default(0),
  },
  (t) => [index("agent_nodes_graph_idx").on(t.graphId, t.graphVersion)],
);

export const agentNodeLinks = pgTable(
  "agent_node_links",
  {
    id: text("id").primaryKey(),
    graphId: text("graph_id").notNull(),
    graphVersion: integer("graph_version").notNull(),
    sourceId: text("source_id").notNull(),
    sourceName: text("source_name").notNull(),
    sinkId: text("sink_id").notNull(),
    sinkName: text("sink_name").notNull(),
    isStatic: boolean("is_static").notNull().default(false),
    position: integer("position").notNull().default(0),
  },
  (t) => [index("agent_node_links_graph_idx").on(t.graphId, t.graphVersion)],
);

export const executionStatus = pgEnum("execution_status", EXECUTION_STATUSES);

export const graphExecutions = pgTable(
  "graph_executions",
  {
    id: text("id").primaryKey(),
    graphId: text("graph_id").notNull(),
    graphVersion: integer("graph_version").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    presetId: text("preset_id"),
    parentGraphExecutionId: text("parent_graph_execution_id"),
    status: executionStatus("status").notNull().default("QUEUED"),
    inputs: jsonb("inputs").notNull().default({}),
    credentialInputs: jsonb("credential_inputs").notNull().default({}),
    nodesInputMasks: jsonb("nodes_input_masks"),
    /** The graph's outputs by AgentOutput name, kept with the run so results need no join. */
    outputs: jsonb("outputs").notNull().default({}),
    stats: jsonb("stats"),
    isDeleted: boolean("is_deleted").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    startedAt: ts("started_at"),
    endedAt: ts("ended_at"),
    /** The process that owns the run while it is RUNNING, and when it last said so (crash recovery). */
    workerId: text("worker_id"),
    heartbeatAt: ts("heartbeat_at"),
    /** AutoGPT's execution sharing: while set, anyone with the token reads the run's outputs (no sign-in). */
    shareToken: text("share_token"),
    sharedAt: ts("shared_at"),
  },
  (t) => [
    uniqueIndex("graph_executions_share_token_idx").on(t.shareToken),
    index("graph_executions_user_idx").on(t.userId, t.isDeleted, t.createdAt),
    index("graph_executions_graph_idx").on(t.graphId, t.graphVersion),
    index("graph_executions_status_idx").on(t.status),
  ],
);

/** One node run. Input and output are kept on the row: one write when the node finishes. */
export const nodeExecutions = pgTable(
  "node_executions",
  {
    id: text("id").primaryKey(),
    graphExecutionId: text("graph_execution_id")
      .notNull()
      .references(() => graphExecutions.id, { onDelete: "cascade" }),
    nodeId: text("node_id").notNull(),
    blockId: text("block_id").notNull(),
    status: executionStatus("status").notNull().default("QUEUED"),
    inputData: jsonb("input_data").notNull().default({}),
    /** Output pin name to the list of values yielded on it, in order. */
    outputData: jsonb("output_data").notNull().default({}),
    stats: jsonb("stats"),
    addedAt: ts("added_at").notNull().defaultNow(),
    queuedAt: ts("queued_at"),
    startedAt: ts("started_at"),
    endedAt: ts("ended_at"),
    /** Order of creation within the run, so node executions list in the order they happened. */
    seq: integer("seq").notNull().default(0),
  },
  (t) => [index("node_executions_graph_exec_idx").on(t.graphExecutionId, t.seq)],
);

export const creditTransactionType = pgEnum("credit_transaction_type", [
  "TOP_UP",
  "USAGE",
  "GRANT",
  "REFUND",
  "CARD_CHECK",
]);

/** The credits ledger: the balance is the sum of active transactions, never a bare mutable number. */
export const creditTransactions = pgTable(
  "credit_transactions",
  {
    transactionKey: text("transaction_key").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    amount: integer("amount").notNull(),
    type: creditTransactionType("type").notNull(),
    runningBalance: integer("running_balance"),
    isActive: boolean("is_active").notNull().default(true),
    metadata: jsonb("metadata"),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.transactionKey, t.userId] }),
    index("credit_transactions_user_idx").on(t.userId, t.createdAt),
  ],
);

/** A user's auto top-up setting (AutoGPT's User.topUpConfig): top up `amount` when the balance falls below `threshold`. */
export const creditAutoTopUp = pgTable("credit_auto_top_up", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  threshold: integer("threshold").notNull(),
  amount: integer("amount").notNull(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/** A user's request to refund one of their top-ups (AutoGPT's CreditRefundRequest): one per top-up. */
export const creditRefundRequests = pgTable(
  "credit_refund_requests",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    transactionKey: text("transaction_key").notNull(),
    amount: integer("amount").notNull(),
    reason: text("reason").notNull(),
    result: text("result"),
    status: text("status").notNull(),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("credit_refund_requests_tx_idx").on(t.userId, t.transactionKey)],
);

export const oauthApplications = pgTable(
  "oauth_applications",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description"),
    logoUrl: text("logo_url"),
    clientId: text("client_id").notNull().unique(),
    clientSecretHash: text("client_secret_hash").notNull(),
    redirectUris: text("redirect_uris").array().notNull().default(sql`'{}'::text[]`),
    grantTypes: text("grant_types").array().notNull().default(sql`'{authorization_code,refresh_token}'::text[]`),
    scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    isActive: boolean("is_active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [index("oauth_applications_owner_idx").on(t.ownerId)],
);

export const oauthAuthorizationCodes = pgTable("oauth_authorization_codes", {
  id: text("id").primaryKey(),
  codeHash: text("code_hash").notNull().unique(),
  applicationId: text("application_id")
    .notNull()
    .references(() => oauthApplications.id, { onDelete: "cascade" }),
  userId: text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  scopes: text("scopes").array().notNull(),
  redirectUri: text("redirect_uri").notNull(),
  codeChallenge: text("code_challenge"),
  codeChallengeMethod: text("code_challenge_method"),
  createdAt: createdAt(),
  expiresAt: ts("expires_at").notNull(),
  usedAt: ts("used_at"),
});

const oauthToken = (name: string) =>
  pgTable(
    name,
    {
      id: text("id").primaryKey(),
      /** The grant (the authorization code) this token descends from: a replay or reuse revokes the whole family. */
      grantId: text("grant_id").notNull(),
      tokenHash: text("token_hash").notNull().unique(),
      applicationId: text("application_id")
        .notNull()
        .references(() => oauthApplications.id, { onDelete: "cascade" }),
      userId: text("user_id")
        .notNull()
        .references(() => users.id, { onDelete: "cascade" }),
      scopes: text("scopes").array().notNull(),
      createdAt: createdAt(),
      expiresAt: ts("expires_at").notNull(),
      revokedAt: ts("revoked_at"),
    },
    (t) => [index(`${name}_user_app_idx`).on(t.userId, t.applicationId), index(`${name}_grant_idx`).on(t.grantId)],
  );

export const oauthAccessTokens = oauthToken("oauth_access_tokens");
export const oauthRefreshTokens = oauthToken("oauth_refresh_tokens");

/** Small process-independent facts (e.g. the instance id), keyed by name. */
export const systemSettings = pgTable("system_settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/** A user's sign-in through an external OpenID Connect provider: the provider's subject, linked to one user. */
export const userIdentities = pgTable(
  "user_identities",
  {
    provider: text("provider").notNull(),
    subject: text("subject").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    email: text("email"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.subject] }), index("user_identities_user_idx").on(t.userId)],
);

/** Short-lived state of an external login in progress (state, nonce, PKCE verifier), consumed by the callback. */
export const oauthLoginStates = pgTable("oauth_login_states", {
  state: text("state").primaryKey(),
  provider: text("provider").notNull(),
  nonce: text("nonce").notNull(),
  codeVerifier: text("code_verifier").notNull(),
  redirectTo: text("redirect_to"),
  createdAt: createdAt(),
  expiresAt: ts("expires_at").notNull(),
});

/** Responses of write requests sent with an Idempotency-Key, replayed when the same key comes again. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    requestHash: text("request_hash").notNull(),
    /** null while the first request is still being handled. */
    status: integer("status"),
    responseBody: jsonb("response_body"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);

/** A user's copy of an agent in their library (AutoGPT's LibraryAgent). */
export const libraryAgents = pgTable(
  "library_agents",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    graphId: text("graph_id").notNull(),
    graphVersion: integer("graph_version").notNull(),
    imageUrl: text("image_url"),
    useGraphIsActiveVersion: boolean("use_graph_is_active_version").notNull().default(true),
    isFavorite: boolean("is_favorite").notNull().default(false),
    isCreatedByUser: boolean("is_created_by_user").notNull().default(false),
    isArchived: boolean("is_archived").notNull().default(false),
    isDeleted: boolean("is_deleted").notNull().default(false),
    settings: jsonb("settings").notNull().default({}),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [index("library_agents_user_idx").on(t.userId, t.isDeleted), index("library_agents_graph_idx").on(t.graphId)],
);

/** Saved inputs and credential selections for an agent (AutoGPT's AgentPreset). */
export const agentPresets = pgTable(
  "agent_presets",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    graphId: text("graph_id").notNull(),
    graphVersion: integer("graph_version").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    inputs: jsonb("inputs").notNull().default({}),
    credentials: jsonb("credentials").notNull().default({}),
    isActive: boolean("is_active").notNull().default(true),
    /** The webhook that triggers runs of this preset (one set up by POST /api/library/presets/setup-trigger). */
    webhookId: text("webhook_id"),
    isDeleted: boolean("is_deleted").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    index("agent_presets_user_idx").on(t.userId, t.isDeleted),
    index("agent_presets_webhook_idx").on(t.webhookId),
  ],
);

/** Cron schedules that run a graph version with saved inputs. */
export const schedules = pgTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    graphId: text("graph_id").notNull(),
    graphVersion: integer("graph_version").notNull(),
    name: text("name").notNull(),
    cron: text("cron").notNull(),
    timezone: text("timezone").notNull().default("UTC"),
    inputs: jsonb("inputs").notNull().default({}),
    credentials: jsonb("credentials").notNull().default({}),
    nextRunAt: ts("next_run_at"),
    /** The tick a process has claimed, so one tick fires once even with several processes. */
    lastFiredFor: ts("last_fired_for"),
    createdAt: createdAt(),
  },
  (t) => [index("schedules_user_idx").on(t.userId), index("schedules_next_run_idx").on(t.nextRunAt)],
);

/** Files uploaded for agent input, stored under the data dir (or another store) by id. */
export const uploadedFiles = pgTable(
  "uploaded_files",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    mimeType: text("mime_type").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    checksum: text("checksum").notNull(),
    storagePath: text("storage_path").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("uploaded_files_user_idx").on(t.userId)],
);

/**
 * Values blocks keep for a user across runs (AutoGPT's AgentNodeExecutionKeyValueData): PersistInformationBlock
 * writes, RetrieveInformationBlock reads. `key` carries the scope (`agent#<graph id>#<key>` or `global#<key>`).
 */
export const blockKeyValueData = pgTable(
  "agent_node_execution_key_value_data",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    /** The node execution that wrote the value last. */
    agentNodeExecutionId: text("agent_node_execution_id").notNull(),
    data: jsonb("data"),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] })],
);

/**
 * Third-party credentials a user stores (AutoGPT's integration credentials). The secret part (API key, password,
 * tokens, headers) is a SealedBox (AES-256-GCM under ENCRYPTION_KEY, `key_id` names the key); the rest is metadata.
 */
export const integrationCredentials = pgTable(
  "integration_credentials",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    type: text("type").$type<"api_key" | "oauth2" | "user_password" | "host_scoped">().notNull(),
    title: text("title"),
    secret: jsonb("secret").notNull(),
    keyId: text("key_id").notNull(),
    expiresAt: ts("expires_at"),
    scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
    host: text("host"),
    username: text("username"),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [index("integration_credentials_user_provider_idx").on(t.userId, t.provider)],
);

/**
 * OAuth2 flows of integrations in progress (AutoGPT's OAuthState): the state token's SHA-256, the scopes asked for
 * and the PKCE verifier; single use, expiring after 10 minutes.
 */
export const integrationOAuthStates = pgTable(
  "integration_oauth_states",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
    codeVerifier: text("code_verifier").notNull(),
    createdAt: createdAt(),
    expiresAt: ts("expires_at").notNull(),
  },
  (t) => [index("integration_oauth_states_user_idx").on(t.userId)],
);

/**
 * Webhooks that trigger graphs (AutoGPT's IntegrationWebhook): where a provider (or anyone, for the generic
 * provider) posts events; nodes point at one through agent_nodes.webhook_id. `secret` is sealed.
 */
export const integrationWebhooks = pgTable(
  "integration_webhooks",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    credentialsId: text("credentials_id").notNull().default(""),
    webhookType: text("webhook_type").notNull(),
    resource: text("resource").notNull().default(""),
    events: text("events").array().notNull().default(sql`'{}'::text[]`),
    config: jsonb("config").notNull().default({}),
    secret: jsonb("secret").notNull(),
    providerWebhookId: text("provider_webhook_id").notNull().default(""),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [index("integration_webhooks_user_idx").on(t.userId)],
);

/** A user's public creator profile in the store (AutoGPT's Profile); `username` is unique and lower-case. */
export const storeProfiles = pgTable("store_profiles", {
  id: text("id").primaryKey(),
  userId: text("user_id")
    .notNull()
    .unique()
    .references(() => users.id, { onDelete: "cascade" }),
  name: text("name").notNull(),
  username: text("username").notNull().unique(),
  description: text("description").notNull().default(""),
  links: jsonb("links").$type<string[]>().notNull().default([]),
  avatarUrl: text("avatar_url"),
  isFeatured: boolean("is_featured").notNull().default(false),
  createdAt: createdAt(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const submissionStatus = pgEnum("submission_status", ["DRAFT", "PENDING", "APPROVED", "REJECTED"]);

/** One agent graph offered in the store by its owner (AutoGPT's StoreListing); its content lives in versions. */
export const storeListings = pgTable(
  "store_listings",
  {
    id: text("id").primaryKey(),
    owningUserId: text("owning_user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    agentGraphId: text("agent_graph_id").notNull(),
    slug: text("slug").notNull(),
    /** The approved version the store shows; null until one is approved. */
    activeVersionId: text("active_version_id"),
    hasApprovedVersion: boolean("has_approved_version").notNull().default(false),
    isDeleted: boolean("is_deleted").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("store_listings_owner_slug_idx").on(t.owningUserId, t.slug),
    index("store_listings_graph_idx").on(t.agentGraphId),
  ],
);

/** A submitted version of a listing (AutoGPT's StoreListingVersion): what an admin approves or rejects. */
export const storeListingVersions = pgTable(
  "store_listing_versions",
  {
    id: text("id").primaryKey(),
    storeListingId: text("store_listing_id")
      .notNull()
      .references(() => storeListings.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    agentGraphId: text("agent_graph_id").notNull(),
    agentGraphVersion: integer("agent_graph_version").notNull(),
    name: text("name").notNull(),
    subHeading: text("sub_heading").notNull(),
    description: text("description").notNull().default(""),
    instructions: text("instructions"),
    videoUrl: text("video_url"),
    agentOutputDemoUrl: text("agent_output_demo_url"),
    imageUrls: jsonb("image_urls").$type<string[]>().notNull().default([]),
    categories: jsonb("categories").$type<string[]>().notNull().default([]),
    changesSummary: text("changes_summary"),
    recommendedScheduleCron: text("recommended_schedule_cron"),
    isFeatured: boolean("is_featured").notNull().default(false),
    submissionStatus: submissionStatus("submission_status").notNull().default("PENDING"),
    submittedAt: ts("submitted_at").notNull().defaultNow(),
    reviewerId: text("reviewer_id"),
    reviewComments: text("review_comments"),
    internalComments: text("internal_comments"),
    reviewedAt: ts("reviewed_at"),
    isDeleted: boolean("is_deleted").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [index("store_listing_versions_listing_idx").on(t.storeListingId, t.version)],
);

/** A user's rating of a store listing version (AutoGPT's StoreListingReview): one per user and version. */
export const storeListingReviews = pgTable(
  "store_listing_reviews",
  {
    id: text("id").primaryKey(),
    storeListingVersionId: text("store_listing_version_id")
      .notNull()
      .references(() => storeListingVersions.id, { onDelete: "cascade" }),
    reviewByUserId: text("review_by_user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    score: integer("score").notNull(),
    comments: text("comments"),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("store_listing_reviews_version_user_idx").on(t.storeListingVersionId, t.reviewByUserId)],
);

export const reviewStatus = pgEnum("review_status", ["WAITING", "APPROVED", "REJECTED"]);

/**
 * AutoGPT's PendingHumanReview: what a HumanInTheLoop node asked a person to approve, keyed by its node
 * execution (the node runs again under the same id once the run resumes, and reads the decision here).
 */
export const pendingHumanReviews = pgTable(
  "pending_human_reviews",
  {
    nodeExecId: text("node_exec_id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    graphExecId: text("graph_exec_id")
      .notNull()
      .references(() => graphExecutions.id, { onDelete: "cascade" }),
    graphId: text("graph_id").notNull(),
    graphVersion: integer("graph_version").notNull(),
    nodeId: text("node_id").notNull().default(""),
    payload: jsonb("payload"),
    instructions: text("instructions"),
    editable: boolean("editable").notNull().default(true),
    status: reviewStatus("status").notNull().default("WAITING"),
    reviewMessage: text("review_message"),
    wasEdited: boolean("was_edited"),
    /** Whether the resumed node has read the decision. */
    processed: boolean("processed").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    reviewedAt: ts("reviewed_at"),
  },
  (t) => [
    index("pending_human_reviews_user_idx").on(t.userId, t.status, t.createdAt),
    index("pending_human_reviews_graph_exec_idx").on(t.graphExecId, t.status),
  ],
);
