CREATE TYPE "public"."review_status" AS ENUM('WAITING', 'APPROVED', 'REJECTED');--> statement-breakpoint
CREATE TABLE "pending_human_reviews" (
	"node_exec_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"graph_exec_id" text NOT NULL,
	"graph_id" text NOT NULL,
	"graph_version" integer NOT NULL,
	"node_id" text DEFAULT '' NOT NULL,
	"payload" jsonb,
	"instructions" text,
	"editable" boolean DEFAULT true NOT NULL,
	"status" "review_status" DEFAULT 'WAITING' NOT NULL,
	"review_message" text,
	"was_edited" boolean,
	"processed" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reviewed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "pending_human_reviews" ADD CONSTRAINT "pending_human_reviews_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pending_human_reviews" ADD CONSTRAINT "pending_human_reviews_graph_exec_id_graph_executions_id_fk" FOREIGN KEY ("graph_exec_id") REFERENCES "public"."graph_executions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pending_human_reviews_user_idx" ON "pending_human_reviews" USING btree ("user_id","status","created_at");--> statement-breakpoint
CREATE INDEX "pending_human_reviews_graph_exec_idx" ON "pending_human_reviews" USING btree ("graph_exec_id","status");