CREATE TABLE "agent_node_execution_key_value_data" (
	"user_id" text NOT NULL,
	"key" text NOT NULL,
	"agent_node_execution_id" text NOT NULL,
	"data" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agent_node_execution_key_value_data_user_id_key_pk" PRIMARY KEY("user_id","key")
);
--> statement-breakpoint
ALTER TABLE "agent_node_execution_key_value_data" ADD CONSTRAINT "agent_node_execution_key_value_data_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;