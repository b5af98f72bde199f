-- Tokens issued before grant_id existed carry their grant in their id (`<grant id>.<uuid>`).
UPDATE "oauth_access_tokens" SET "grant_id" = split_part("id", '.', 1) WHERE "grant_id" IS NULL;--> statement-breakpoint
UPDATE "oauth_refresh_tokens" SET "grant_id" = split_part("id", '.', 1) WHERE "grant_id" IS NULL;
