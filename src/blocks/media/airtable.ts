// Airtable: AirtableCreateBaseBlock (find a base by name or create it, with its tables) and
// AirtableCreateRecordsBlock (create up to 10 records, normalized against the table's schema), on Airtable's Web API.
import { Type } from "@sinclair/typebox";
import type { Http } from "../../infra/http/client.js";
import { authHeader, type Credentials, CredentialsField, requireCredentials } from "../credentials.js";
import { Dict, inputs, Nullable, outputs } from "../fields.js";
import { type Block, type BlockContext, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { bodyText, exampleCredentialsInput, jsonOf } from "./shared.js";

export const AIRTABLE_BASE_URL = "https://api.airtable.com";
const TYPES = ["api_key", "oauth2"] as const;
const BASE_COST = [{ cost_amount: 1, cost_filter: {}, cost_type: "run" as const }];

type Json = Record<string, unknown>;

/** AutoGPT's _convert_bools: the strings "true"/"false" (any case) become booleans, deep. */
export function convertBools(value: unknown): unknown {
  if (typeof value === "string") {
    const lowered = value.toLowerCase();
    return lowered === "true" ? true : lowered === "false" ? false : value;
  }
  if (Array.isArray(value)) return value.map(convertBools);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertBools(v)]));
  }
  return value;
}

/** One Airtable call: JSON in and out; a refused one fails with Airtable's own message. */
async function call(
  ctx: BlockContext,
  api: Http,
  credentials: Credentials,
  request: { url: string; method?: string; json?: unknown },
): Promise<Json> {
  const res = await api.request({
    ...request,
    headers: { authorization: authHeader(credentials) },
    retry: { attempts: 3, baseDelayMs: 500 },
  });
  ctx.reportUsage({ requests: 1 });
  if (!res.ok) {
    const error = jsonOf<{ error?: { message?: string; type?: string } | string }>(res)?.error;
    const message = typeof error === "string" ? error : (error?.message ?? error?.type ?? bodyText(res));
    throw new Error(`Airtable answered ${res.status}: ${message}`);
  }
  return jsonOf<Json>(res) ?? {};
}

function airtable(ctx: BlockContext) {
  const credentials = requireCredentials(ctx, "airtable", TYPES);
  const api = ctx.http.forProvider("airtable", AIRTABLE_BASE_URL);
  return (request: { url: string; method?: string; json?: unknown }) => call(ctx, api, credentials, request);
}

const airtableCredentials = () =>
  CredentialsField({ providers: ["airtable"], types: [...TYPES], description: "Airtable API credentials" });

const DEFAULT_TABLES = [
  {
    description: "Default table",
    name: "Default table",
    fields: [{ name: "ID", type: "number", description: "Auto-incrementing ID field", options: { precision: 0 } }],
  },
];

export const airtableCreateBase = defineBlock({
  id: "f59b88a8-54ce-4676-a508-fd614b4e8dce",
  name: "AirtableCreateBaseBlock",
  description: "Create or find a base in Airtable",
  categories: ["DATA"],
  input: inputs({
    credentials: airtableCredentials(),
    workspace_id: Type.String({ description: "The workspace ID where the base will be created" }),
    name: Type.String({ description: "The name of the new base" }),
    find_existing: Type.Boolean({
      description: "If true, return existing base with same name instead of creating duplicate",
      default: true,
    }),
    tables: Type.Array(Dict(), {
      description:
        "At least one table and field must be specified. Array of table objects to create in the base. Each table should have 'name' and 'fields' properties",
      default: DEFAULT_TABLES,
    }),
  }),
  output: outputs({
    base_id: Type.String({ description: "The ID of the created or found base" }),
    tables: Type.Array(Dict(), { description: "Array of table objects" }),
    table: Dict({ description: "A single table object" }),
    was_created: Type.Boolean({
      description: "True if a new base was created, False if existing was found",
      default: true,
    }),
  }),
  costs: BASE_COST,
  async *run({ workspace_id, name, find_existing, tables }, ctx) {
    const request = airtable(ctx);
    if (find_existing) {
      // Airtable cannot search bases by name: list them and compare.
      const listed = await request({ url: "/v0/meta/bases" });
      const bases = Array.isArray(listed.bases) ? (listed.bases as Json[]) : [];
      const found = bases.find((base) => base.name === name);
      if (found) {
        yield ["base_id", found.id];
        yield ["was_created", false];
        let existing: Json[] = [];
        try {
          const schema = await request({ url: `/v0/meta/bases/${encodeURIComponent(String(found.id))}/tables` });
          existing = Array.isArray(schema.tables) ? (schema.tables as Json[]) : [];
        } catch {
          // AutoGPT reports the base with no tables when their schema cannot be read.
          if (ctx.signal.aborted) throw ctx.signal.reason;
        }
        yield ["tables", existing];
        for (const table of existing) yield ["table", table];
        return;
      }
    }
    const body: Json = { name, workspaceId: workspace_id };
    if (tables.length > 0) body.tables = tables;
    const created = await request({ url: "/v0/meta/bases", method: "POST", json: convertBools(body) });
    const createdTables = Array.isArray(created.tables) ? (created.tables as Json[]) : [];
    yield ["base_id", created.id ?? null];
    yield ["was_created", true];
    yield ["tables", createdTables];
    for (const table of createdTables) yield ["table", table];
  },
  test: [
    {
      input: { credentials: exampleCredentialsInput("airtable"), workspace_id: "wsp1", name: "CRM" },
      output: [
        ["base_id", "appNEW"],
        ["was_created", true],
        ["tables", [{ id: "tbl1", name: "Default table" }]],
        ["table", { id: "tbl1", name: "Default table" }],
      ],
      context: {
        http: scriptedHttp((req) =>
          req.method === "POST"
            ? { json: { id: "appNEW", tables: [{ id: "tbl1", name: "Default table" }] } }
            : { json: { bases: [{ id: "appOLD", name: "Other" }] } },
        ),
        credentials: testCredentials({ provider: "airtable", type: "api_key", api_key: "mock-airtable-key" }),
      },
    },
  ],
});

/** AutoGPT's get_empty_value_for_field: what a field Airtable left out reads as. */
function emptyValue(type: string): unknown {
  if (type === "checkbox") return false;
  if (
    [
      "multipleSelects",
      "multipleRecordLinks",
      "multipleAttachments",
      "multipleLookupValues",
      "multipleCollaborators",
    ].includes(type)
  )
    return [];
  if (["number", "percent", "currency", "rating", "duration", "count", "autoNumber"].includes(type)) return 0;
  if (["singleLineText", "multilineText", "email", "url", "phoneNumber", "richText", "barcode"].includes(type))
    return "";
  return null;
}

/** AutoGPT's normalize_records: every field of the table's schema present on every record. */
export function normalizeRecords(records: Json[], table: Json): Json[] {
  const fields = Array.isArray(table.fields) ? (table.fields as Array<{ name: string; type: string }>) : [];
  return records.map((record) => {
    const given = (record.fields as Json | undefined) ?? {};
    const out: Json = {};
    for (const field of fields) out[field.name] = field.name in given ? given[field.name] : emptyValue(field.type);
    return { id: record.id, createdTime: record.createdTime, fields: out };
  });
}

export const airtableCreateRecords = defineBlock({
  id: "42527e98-47b6-44ce-ac0e-86b4883721d3",
  name: "AirtableCreateRecordsBlock",
  description: "Create records in an Airtable table",
  categories: ["DATA"],
  input: inputs({
    credentials: airtableCredentials(),
    base_id: Type.String({ description: "The Airtable base ID" }),
    table_id_or_name: Type.String({ description: "Table ID or name" }),
    records: Type.Array(Dict(), { description: "Array of records to create (each with 'fields' object)" }),
    skip_normalization: Type.Boolean({
      description: "Skip output normalization to get raw Airtable response (faster but may have missing fields)",
      default: false,
    }),
    typecast: Type.Boolean({
      description: "Automatically convert string values to appropriate types",
      default: false,
    }),
    return_fields_by_field_id: Nullable(Type.Boolean(), { description: "Return fields by field ID", default: null }),
  }),
  output: outputs({
    records: Type.Array(Dict(), { description: "Array of created record objects" }),
    details: Dict({ description: "Details of the created records" }),
  }),
  costs: BASE_COST,
  async *run({ base_id, table_id_or_name, records, skip_normalization, typecast, return_fields_by_field_id }, ctx) {
    const request = airtable(ctx);
    if (records.length === 0) throw new Error("At least one record must be provided");
    if (records.length > 10) throw new Error("Only up to 10 records can be created at a time");
    const body: Json = { records: records.map((fields) => ({ fields })) };
    if (return_fields_by_field_id) body.returnFieldsByFieldId = return_fields_by_field_id;
    if (typecast) body.typecast = true;
    const path = `/v0/${encodeURIComponent(base_id)}/${encodeURIComponent(table_id_or_name)}`;
    const data = await request({ url: path, method: "POST", json: convertBools(body) });
    let created = Array.isArray(data.records) ? (data.records as Json[]) : [];
    if (!skip_normalization && created.length > 0) {
      const schema = await request({ url: `/v0/meta/bases/${encodeURIComponent(base_id)}/tables` });
      const tables = Array.isArray(schema.tables) ? (schema.tables as Json[]) : [];
      const table = tables.find((t) => t.id === table_id_or_name || t.name === table_id_or_name);
      if (!table) throw new Error(`Table '${table_id_or_name}' not found in base '${base_id}'`);
      created = normalizeRecords(created, table);
    }
    yield ["records", created];
    if (data.details && typeof data.details === "object" && Object.keys(data.details).length > 0) {
      yield ["details", data.details];
    }
  },
  test: [
    {
      input: {
        credentials: exampleCredentialsInput("airtable"),
        base_id: "app1",
        table_id_or_name: "Leads",
        records: [{ Name: "Ada" }],
      },
      output: [
        ["records", [{ id: "rec1", createdTime: "2026-01-01T00:00:00.000Z", fields: { Name: "Ada", Score: 0 } }]],
      ],
      context: {
        http: scriptedHttp((req) =>
          req.method === "POST"
            ? { json: { records: [{ id: "rec1", createdTime: "2026-01-01T00:00:00.000Z", fields: { Name: "Ada" } }] } }
            : {
                json: {
                  tables: [
                    {
                      id: "tbl1",
                      name: "Leads",
                      fields: [
                        { id: "f1", name: "Name", type: "singleLineText" },
                        { id: "f2", name: "Score", type: "number" },
                      ],
                    },
                  ],
                },
              },
        ),
        credentials: testCredentials({ provider: "airtable", type: "api_key", api_key: "mock-airtable-key" }),
      },
    },
  ],
});

export const airtableBlocks: Block[] = [airtableCreateBase, airtableCreateRecords];
