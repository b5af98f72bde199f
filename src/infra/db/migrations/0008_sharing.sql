ALTER TABLE "graph_executions" ADD COLUMN "share_token" text;--> statement-breakpoint
ALTER TABLE "graph_executions" ADD COLUMN "shared_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "graph_executions_share_token_idx" ON "graph_executions" USING btree ("share_token");