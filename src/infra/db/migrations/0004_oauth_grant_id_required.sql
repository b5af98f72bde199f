ALTER TABLE "oauth_access_tokens" ALTER COLUMN "grant_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "oauth_refresh_tokens" ALTER COLUMN "grant_id" SET NOT NULL;