// SendWebRequestBlock: any HTTP request a user asks for, through the shared client (ctx.http) and its SSRF guard.
import { Type } from "@sinclair/typebox";
import { BlockedRequestError, type HttpResponse } from "../infra/http/client.js";
import { AnyValue, Dict, inputs, Nullable, outputs, StringEnum } from "./fields.js";
import { isRecord } from "./python.js";
import { type Block, defineBlock } from "./sdk.js";

/** A `data:` URI as a file part; there is no workspace file store to resolve other references against. */
function dataUriFile(reference: string, index: number): Blob & { name: string } {
  const match = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(reference);
  if (!match) throw new Error("Only data: URI files can be uploaded");
  const bytes = match[2] ? Buffer.from(match[3], "base64") : Buffer.from(decodeURIComponent(match[3]));
  const type = match[1] || "application/octet-stream";
  const extension = type.split("/")[1]?.replace(/[^a-z0-9]/gi, "") || "bin";
  return Object.assign(new Blob([bytes], { type }), { name: `file_${index}.${extension}` });
}

/** The guard lives with the client (src/infra/http/guard.ts); re-exported where tests of this block look for it. */
export { isAllowListed, isBlockedAddress } from "../infra/http/guard.js";

const formValue = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** Encodes the body as AutoGPT does: JSON when json_format, form fields otherwise, multipart when there are files. */
async function encodeBody(
  body: unknown,
  jsonFormat: boolean,
  filesName: string,
  files: string[],
): Promise<{ bytes?: Buffer; contentType?: string }> {
  if (files.length > 0) {
    if (jsonFormat) {
      throw new Error(
        "json_format=True cannot be combined with file uploads; set json_format=False and put form fields in `body`.",
      );
    }
    const form = new FormData();
    if (isRecord(body)) for (const [k, v] of Object.entries(body)) form.append(k, formValue(v));
    files.forEach((file, i) => {
      const part = dataUriFile(file, i);
      form.append(filesName, part, part.name);
    });
    const encoded = new Response(form);
    return {
      bytes: Buffer.from(await encoded.arrayBuffer()),
      contentType: encoded.headers.get("content-type") ?? undefined,
    };
  }
  if (body === null || body === undefined) return {};
  if (jsonFormat) return { bytes: Buffer.from(JSON.stringify(body)), contentType: "application/json" };
  if (isRecord(body)) {
    const form = new URLSearchParams(Object.entries(body).map(([k, v]) => [k, formValue(v)]));
    return { bytes: Buffer.from(form.toString()), contentType: "application/x-www-form-urlencoded" };
  }
  return { bytes: Buffer.from(formValue(body)), contentType: "text/plain; charset=utf-8" };
}

function parseResponse(response: HttpResponse): unknown {
  const contentType = String(response.headers["content-type"] ?? "");
  if (contentType.startsWith("application/json")) {
    return response.status === 204 || response.body.length === 0 ? null : JSON.parse(response.body.toString("utf8"));
  }
  return response.body.toString("utf8");
}

export const sendWebRequest = defineBlock({
  id: "6595ae1f-b924-42cb-9a41-551a0611c4b4",
  name: "SendWebRequestBlock",
  description: "Make an HTTP request (JSON / form / multipart).",
  categories: ["OUTPUT"],
  input: inputs({
    url: Type.String({ description: "The URL to send the request to", placeholder: "https://api.example.com" }),
    method: StringEnum(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"], {
      title: "HttpMethod",
      description: "The HTTP method to use for the request",
      default: "POST",
    }),
    headers: Dict(Type.String(), { description: "The headers to include in the request", default: {} }),
    json_format: Type.Boolean({
      title: "JSON format",
      description: "If true, send the body as JSON (unless files are also present).",
      default: true,
    }),
    body: Nullable(Dict(), {
      description: "Form/JSON body payload. If files are supplied, this must be a mapping of form‑fields.",
      default: null,
    }),
    files_name: Type.String({ description: "The name of the file field in the form data.", default: "file" }),
    files: Type.Array(Type.String({ format: "file" }), {
      description: "Mapping of *form field name* → Image url / path / base64 url.",
      default: [],
    }),
  }),
  output: outputs({
    error: Type.String({ description: "Errors for all other exceptions" }),
    response: AnyValue({ description: "The response from the server" }),
    client_error: AnyValue({ description: "Errors on 4xx status codes" }),
    server_error: AnyValue({ description: "Errors on 5xx status codes" }),
  }),
  async *run({ url, method, headers, json_format, body, files_name, files }, ctx) {
    let payload: unknown = body;
    let jsonFormat = json_format;
    // A JSON text body is sent as the structure it encodes; any other text goes as a plain form value.
    if (typeof payload === "string") {
      try {
        payload = JSON.parse(payload);
      } catch {
        jsonFormat = false;
      }
    }
    const encoded = await encodeBody(payload, jsonFormat, files_name, files);
    const requestHeaders: Record<string, string> = { ...headers };
    const hasHeader = (name: string) => Object.keys(requestHeaders).some((k) => k.toLowerCase() === name);
    if (encoded.contentType && !hasHeader("content-type")) requestHeaders["content-type"] = encoded.contentType;

    let target: URL;
    try {
      target = new URL(url);
    } catch {
      yield ["error", `Invalid URL: ${url}`];
      return;
    }
    let response: HttpResponse;
    try {
      response = await ctx.http.request({ url: target, method, headers: requestHeaders, body: encoded.bytes });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const refused = error instanceof BlockedRequestError;
      yield ["error", refused ? error.message : `Request to ${target.href} failed: ${(error as Error).message}`];
      return;
    }
    const result = parseResponse(response);
    if (response.status >= 200 && response.status < 300) yield ["response", result];
    else if (response.status >= 400 && response.status < 500) yield ["client_error", result];
    else yield ["server_error", result];
  },
  test: [
    {
      input: { url: "http://127.0.0.1:9/", method: "GET" },
      output: [["error", (v: unknown) => typeof v === "string" && v.includes("is blocked")]],
    },
    {
      input: { url: "file:///etc/passwd", method: "GET" },
      output: [["error", (v: unknown) => typeof v === "string" && v.includes("Only http and https")]],
    },
  ],
});

export const httpBlocks: Block[] = [sendWebRequest];
