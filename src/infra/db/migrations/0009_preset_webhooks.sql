ALTER TABLE "agent_presets" ADD COLUMN "webhook_id" text;--> statement-breakpoint
CREATE INDEX "agent_presets_webhook_idx" ON "agent_presets" USING btree ("webhook_id");