CREATE TYPE "public"."submission_status" AS ENUM('DRAFT', 'PENDING', 'APPROVED', 'REJECTED');--> statement-breakpoint
CREATE TABLE "store_listing_reviews" (
	"id" text PRIMARY KEY NOT NULL,
	"store_listing_version_id" text NOT NULL,
	"review_by_user_id" text NOT NULL,
	"score" integer NOT NULL,
	"comments" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "store_listing_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"store_listing_id" text NOT NULL,
	"version" integer NOT NULL,
	"agent_graph_id" text NOT NULL,
	"agent_graph_version" integer NOT NULL,
	"name" text NOT NULL,
	"sub_heading" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"instructions" text,
	"video_url" text,
	"agent_output_demo_url" text,
	"image_urls" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"categories" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"changes_summary" text,
	"recommended_schedule_cron" text,
	"is_featured" boolean DEFAULT false NOT NULL,
	"submission_status" "submission_status" DEFAULT 'PENDING' NOT NULL,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reviewer_id" text,
	"review_comments" text,
	"internal_comments" text,
	"reviewed_at" timestamp with time zone,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "store_listings" (
	"id" text PRIMARY KEY NOT NULL,
	"owning_user_id" text NOT NULL,
	"agent_graph_id" text NOT NULL,
	"slug" text NOT NULL,
	"active_version_id" text,
	"has_approved_version" boolean DEFAULT false NOT NULL,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "store_profiles" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"username" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"links" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"avatar_url" text,
	"is_featured" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "store_profiles_user_id_unique" UNIQUE("user_id"),
	CONSTRAINT "store_profiles_username_unique" UNIQUE("username")
);
--> statement-breakpoint
ALTER TABLE "store_listing_reviews" ADD CONSTRAINT "store_listing_reviews_store_listing_version_id_store_listing_versions_id_fk" FOREIGN KEY ("store_listing_version_id") REFERENCES "public"."store_listing_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_listing_reviews" ADD CONSTRAINT "store_listing_reviews_review_by_user_id_users_id_fk" FOREIGN KEY ("review_by_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_listing_versions" ADD CONSTRAINT "store_listing_versions_store_listing_id_store_listings_id_fk" FOREIGN KEY ("store_listing_id") REFERENCES "public"."store_listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_listings" ADD CONSTRAINT "store_listings_owning_user_id_users_id_fk" FOREIGN KEY ("owning_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_profiles" ADD CONSTRAINT "store_profiles_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "store_listing_reviews_version_user_idx" ON "store_listing_reviews" USING btree ("store_listing_version_id","review_by_user_id");--> statement-breakpoint
CREATE INDEX "store_listing_versions_listing_idx" ON "store_listing_versions" USING btree ("store_listing_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "store_listings_owner_slug_idx" ON "store_listings" USING btree ("owning_user_id","slug");--> statement-breakpoint
CREATE INDEX "store_listings_graph_idx" ON "store_listings" USING btree ("agent_graph_id");