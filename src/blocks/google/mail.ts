// Mail formats the Gmail blocks need without a mail library: RFC 2822 messages with MIME parts built for sending,
// and the reading side: Gmail's base64url bodies, address lists, and HTML bodies turned into readable text.
import { randomBytes } from "node:crypto";
import type { BlockContext } from "../sdk.js";

export type ContentType = "auto" | "plain" | "html" | null | undefined;

export interface MailAttachment {
  filename: string;
  data: Buffer;
}

export interface MailMessage {
  to?: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  inReplyTo?: string;
  references?: string;
  body: string;
  contentType?: ContentType;
  attachments?: MailAttachment[];
}

/** A header value on one line: a CR or LF in user input would start a header of its own. */
const headerValue = (value: string) => value.replace(/[\r\n]+/g, " ").trim();

/** RFC 2047 encoded words (UTF-8, B) for a header with non-ASCII text, split so no word passes 75 characters. */
function encodeHeader(value: string): string {
  const clean = headerValue(value);
  if (/^[\x20-\x7e]*$/.test(clean)) return clean;
  const words: string[] = [];
  let chunk = "";
  for (const ch of clean) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = "";
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?utf-8?b?${Buffer.from(w).toString("base64")}?=`).join("\r\n ");
}

const base64Lines = (data: Buffer) => (data.toString("base64").match(/.{1,76}/g) ?? []).join("\r\n");

/** AutoGPT's _make_mime_text: "auto" (or none) is HTML when the first 500 characters hold both `<` and `>`. */
export function textSubtype(body: string, contentType: ContentType): "plain" | "html" {
  if (contentType === "plain" || contentType === "html") return contentType;
  const head = body.slice(0, 500);
  return head.includes("<") && head.includes(">") ? "html" : "plain";
}

const quotedFilename = (name: string) => headerValue(name).replace(/["\\]/g, "_");

/**
 * The message as Gmail's `raw` wants it: a multipart/mixed RFC 2822 message (as AutoGPT's MIMEMultipart) with the
 * body as one UTF-8 text part, base64 encoded (so long plain lines are never hard-wrapped), then each attachment.
 */
export function buildMime(message: MailMessage): string {
  const boundary = `=_agentry_${randomBytes(12).toString("hex")}`;
  const headers = [`Content-Type: multipart/mixed; boundary="${boundary}"`, "MIME-Version: 1.0"];
  if (message.to?.length) headers.push(`To: ${headerValue(message.to.join(", "))}`);
  if (message.cc?.length) headers.push(`Cc: ${headerValue(message.cc.join(", "))}`);
  if (message.bcc?.length) headers.push(`Bcc: ${headerValue(message.bcc.join(", "))}`);
  headers.push(`Subject: ${encodeHeader(message.subject)}`);
  if (message.inReplyTo) headers.push(`In-Reply-To: ${headerValue(message.inReplyTo)}`);
  if (message.references) headers.push(`References: ${headerValue(message.references)}`);

  const parts = [
    [
      `Content-Type: text/${textSubtype(message.body, message.contentType)}; charset="utf-8"`,
      "MIME-Version: 1.0",
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(Buffer.from(message.body, "utf8")),
    ].join("\r\n"),
  ];
  for (const attachment of message.attachments ?? []) {
    parts.push(
      [
        "Content-Type: application/octet-stream",
        "MIME-Version: 1.0",
        "Content-Transfer-Encoding: base64",
        `Content-Disposition: attachment; filename="${quotedFilename(attachment.filename)}"`,
        "",
        base64Lines(attachment.data),
      ].join("\r\n"),
    );
  }
  const text = `${headers.join("\r\n")}\r\n\r\n${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join("")}--${boundary}--\r\n`;
  return Buffer.from(text, "utf8").toString("base64url");
}

/** Gmail's base64url data (padded or not) as UTF-8 text, or undefined when it is not text, as AutoGPT's _decode_base64. */
export function decodeBase64Text(data: string | undefined): string | undefined {
  if (!data) return undefined;
  const bytes = Buffer.from(data.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The bytes of Gmail's base64url data (an attachment). */
export const decodeBase64Bytes = (data: string) => Buffer.from(data.replace(/-/g, "+").replace(/_/g, "/"), "base64");

/** Splits an address list on commas outside quotes, comments and angle brackets. */
function splitAddresses(list: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  let angle = 0;
  let comment = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    if (ch === "\\" && quoted) {
      current += ch + (list[++i] ?? "");
      continue;
    }
    if (ch === '"' && comment === 0) quoted = !quoted;
    else if (!quoted && ch === "(") comment++;
    else if (!quoted && ch === ")" && comment > 0) comment--;
    else if (!quoted && comment === 0 && ch === "<") angle++;
    else if (!quoted && comment === 0 && ch === ">" && angle > 0) angle--;
    if (ch === "," && !quoted && angle === 0 && comment === 0) {
      out.push(current);
      current = "";
    } else current += ch;
  }
  out.push(current);
  return out;
}

/** Python's parseaddr(...)[1]: the bare address of `Name <addr>` or `addr (comment)`. */
export function parseAddress(value: string): string {
  const angled = /<([^<>]*)>/.exec(value);
  if (angled) return angled[1].trim();
  return value
    .replace(/\([^)]*\)/g, "")
    .replace(/"[^"]*"/g, "")
    .trim();
}

/** Python's getaddresses: every address of a header such as To or Cc (empty entries left out). */
export const getAddresses = (header: string | undefined): string[] =>
  header ? splitAddresses(header).map(parseAddress).filter(Boolean) : [];

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** Marks a list item until whitespace is tidied (which would eat its indentation). */
const BULLET = "\u0000";
const SKIPPED = new Set(["script", "style", "head", "title"]);
const BLOCKS = new Set([
  "p",
  "div",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "ul",
  "ol",
  "table",
  "blockquote",
  "section",
  "article",
]);

/** The href of an `<a ...>` tag's attribute text. */
function hrefOf(attributes: string): string {
  const m = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(attributes);
  return decodeEntities(m?.[1] ?? m?.[2] ?? m?.[3] ?? "");
}

/**
 * An HTML body as readable text, in the spirit of the html2text AutoGPT uses (links kept as `[text](url)`, images
 * dropped, block elements as line breaks). One pass with indexOf over the tags: a mail body is untrusted input, so
 * nothing here may backtrack.
 */
export function htmlToText(html: string): string {
  const lower = html.toLowerCase();
  // Pieces, not one growing string: a link's label is joined from its own pieces only, so the pass stays linear.
  const out: string[] = [];
  const links: Array<{ href: string; start: number }> = [];
  let i = 0;
  while (i < html.length) {
    const open = html.indexOf("<", i);
    if (open < 0) {
      out.push(html.slice(i));
      break;
    }
    out.push(html.slice(i, open));
    if (html.startsWith("<!--", open)) {
      const close = html.indexOf("-->", open + 4);
      i = close < 0 ? html.length : close + 3;
      continue;
    }
    const close = html.indexOf(">", open + 1);
    if (close < 0) {
      out.push(html.slice(open));
      break;
    }
    const tag = /^<(\/?)([a-z][a-z0-9]*)/i.exec(html.slice(open, Math.min(close + 1, open + 64)));
    i = close + 1;
    if (!tag) continue;
    const closing = tag[1] === "/";
    const name = tag[2].toLowerCase();
    if (!closing && SKIPPED.has(name)) {
      const end = lower.indexOf(`</${name}`, i);
      const after = end < 0 ? -1 : html.indexOf(">", end);
      i = after < 0 ? html.length : after + 1;
    } else if (name === "br") out.push("\n");
    else if (name === "li" && !closing) out.push(`\n${BULLET}`);
    else if (name === "tr" && closing) out.push("\n");
    else if (BLOCKS.has(name)) out.push("\n\n");
    else if (name === "a" && !closing) links.push({ href: hrefOf(html.slice(open, close)), start: out.length });
    else if (name === "a" && closing) {
      const link = links.pop();
      if (link) {
        const label = out.splice(link.start).join("").trim();
        const keep = label && link.href && !link.href.startsWith("#");
        out.push(keep ? `[${label}](${link.href})` : label);
      }
    }
  }
  const text = decodeEntities(out.join(""))
    .split("\n")
    .map((line) =>
      line
        .replace(/[ \t\f\v\u00a0]+/g, " ")
        .trim()
        .replace(BULLET, "  * "),
    )
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
  return `${text.trim()}\n\n`;
}

const extensionOf = (type: string) => type.split("/")[1]?.replace(/[^a-z0-9]/gi, "") || "bin";

/**
 * A file to attach, from what AutoGPT's MediaFileType holds: a `data:` URI or an http(s) URL, fetched through the
 * guarded client (a user's URL may not reach private hosts). There is no workspace file store to resolve paths in.
 */
export async function loadAttachment(reference: string, index: number, ctx: BlockContext): Promise<MailAttachment> {
  const data = /^data:([^;,]*)((?:;[^;,]*)*?)(;base64)?,(.*)$/s.exec(reference);
  if (data) {
    const type = data[1] || "application/octet-stream";
    const name = /;name=([^;]+)/.exec(data[2] ?? "")?.[1];
    const bytes = data[3] ? Buffer.from(data[4], "base64") : Buffer.from(decodeURIComponent(data[4]), "utf8");
    return { filename: name ? decodeURIComponent(name) : `attachment_${index + 1}.${extensionOf(type)}`, data: bytes };
  }
  if (/^https?:\/\//i.test(reference)) {
    const url = new URL(reference);
    const res = await ctx.http.request({ url });
    if (!res.ok) throw new Error(`Could not download the attachment ${url.href}: HTTP ${res.status}`);
    const base = decodeURIComponent(url.pathname.split("/").pop() ?? "");
    return { filename: base || `attachment_${index + 1}`, data: res.body };
  }
  throw new Error(
    `Cannot attach ${reference.slice(0, 80)}: only data: URIs and http(s) URLs can be attached here (there is no workspace file store)`,
  );
}
