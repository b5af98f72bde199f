CREATE TABLE "credit_auto_top_up" (
	"user_id" text PRIMARY KEY NOT NULL,
	"threshold" integer NOT NULL,
	"amount" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credit_refund_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"transaction_key" text NOT NULL,
	"amount" integer NOT NULL,
	"reason" text NOT NULL,
	"result" text,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "credit_auto_top_up" ADD CONSTRAINT "credit_auto_top_up_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_refund_requests" ADD CONSTRAINT "credit_refund_requests_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "credit_refund_requests_tx_idx" ON "credit_refund_requests" USING btree ("user_id","transaction_key");