// The graph JSON shapes of the AutoGPT Platform API (GraphModel, NodeModel, Link), shared by the API and the engine.
export interface Link {
  id: string;
  source_id: string;
  sink_id: string;
  source_name: string;
  sink_name: string;
  is_static: boolean;
}

export interface Node {
  id: string;
  block_id: string;
  input_default: Record<string, unknown>;
  metadata: Record<string, unknown>;
  input_links: Link[];
  output_links: Link[];
  graph_id?: string;
  graph_version?: number;
  webhook_id?: string | null;
}

export type JsonSchemaObject = {
  type: "object";
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  [key: string]: unknown;
};

/** A stored graph version as the API returns it (AutoGPT's GraphModel). */
export interface GraphModel {
  id: string;
  version: number;
  is_active: boolean;
  name: string;
  description: string;
  instructions: string | null;
  recommended_schedule_cron: string | null;
  forked_from_id: string | null;
  forked_from_version: number | null;
  user_id: string;
  created_at: string;
  nodes: Node[];
  links: Link[];
  sub_graphs: GraphModel[];
  input_schema: JsonSchemaObject;
  output_schema: JsonSchemaObject;
  credentials_input_schema: JsonSchemaObject;
  has_external_trigger: boolean;
  has_human_in_the_loop: boolean;
  has_sensitive_action: boolean;
  trigger_setup_info: Record<string, unknown> | null;
}
