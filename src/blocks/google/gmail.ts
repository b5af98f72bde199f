// AutoGPT's Gmail blocks (read, send, reply, forward, add label) over the Gmail REST API v1 with the user's Google
// OAuth2 token: the same ids, pins, defaults and outputs, with the MIME messages built here.
import { type Static, Type } from "@sinclair/typebox";
import { Dict, inputs, Nullable, outputs, StringEnum } from "../fields.js";
import { type Block, type BlockContext, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import {
  GMAIL_BASE_URL,
  GMAIL_METADATA_SCOPE,
  type GoogleApi,
  GoogleCredentialsField,
  googleApi,
  googleCredentials,
  TEST_GOOGLE_CREDENTIALS_INPUT,
} from "./google.js";
import {
  buildMime,
  type ContentType,
  decodeBase64Bytes,
  decodeBase64Text,
  getAddresses,
  htmlToText,
  loadAttachment,
  type MailAttachment,
  parseAddress,
} from "./mail.js";

const SCOPE = {
  readonly: "https://www.googleapis.com/auth/gmail.readonly",
  send: "https://www.googleapis.com/auth/gmail.send",
  modify: "https://www.googleapis.com/auth/gmail.modify",
};

const Attachment = Type.Object(
  {
    filename: Type.String({ title: "Filename" }),
    content_type: Type.String({ title: "Content Type" }),
    size: Type.Integer({ title: "Size" }),
    attachment_id: Type.String({ title: "Attachment Id" }),
  },
  { title: "Attachment" },
);
type AttachmentInfo = Static<typeof Attachment>;

const Email = Type.Object(
  {
    threadId: Type.String({ title: "Threadid" }),
    labelIds: Type.Array(Type.String(), { title: "Labelids" }),
    id: Type.String({ title: "Id" }),
    subject: Type.String({ title: "Subject" }),
    snippet: Type.String({ title: "Snippet" }),
    from_: Type.String({ title: "From" }),
    to: Type.Array(Type.String(), { title: "To" }),
    cc: Type.Array(Type.String(), { title: "Cc" }),
    bcc: Type.Array(Type.String(), { title: "Bcc" }),
    date: Type.String({ title: "Date" }),
    body: Type.String({ title: "Body", default: "" }),
    sizeEstimate: Type.Integer({ title: "Sizeestimate" }),
    attachments: Type.Array(Attachment, { title: "Attachments" }),
  },
  { title: "Email" },
);
type EmailData = Static<typeof Email>;

/** A message part as Gmail's messages.get (format full) returns it. */
interface GmailPart {
  partId?: string;
  mimeType?: string;
  filename?: string;
  headers?: Array<{ name: string; value: string }>;
  body?: { attachmentId?: string; size?: number; data?: string };
  parts?: GmailPart[];
}

interface GmailMessage {
  id: string;
  threadId?: string;
  labelIds?: string[];
  snippet?: string;
  sizeEstimate?: number;
  payload?: GmailPart;
}

const MESSAGES = "/gmail/v1/users/me/messages";
const LABELS = "/gmail/v1/users/me/labels";
const gmail = (ctx: BlockContext) => googleApi(ctx, "Gmail API", GMAIL_BASE_URL);

/** Header names in lower case; for a repeated header the first value, as AutoGPT keeps for replies. */
function headersOf(message: GmailMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of message.payload?.headers ?? []) {
    const name = h.name.toLowerCase();
    if (!(name in out)) out[name] = h.value;
  }
  return out;
}

async function downloadAttachment(api: GoogleApi, messageId: string, attachmentId: string): Promise<string> {
  const path = `${MESSAGES}/${encodeURIComponent(messageId)}/attachments/${encodeURIComponent(attachmentId)}`;
  const attachment = await api.request<{ data?: string }>(path);
  return attachment.data ?? "";
}

/**
 * AutoGPT's _walk_for_body: the first text/plain part, else an HTML part as text, else a body kept as an attachment,
 * depth first and at most 10 levels deep.
 */
async function walkForBody(api: GoogleApi, part: GmailPart, messageId: string, depth = 0): Promise<string | undefined> {
  if (depth > 10) return undefined;
  const mime = part.mimeType ?? "";
  const body = part.body ?? {};
  if (mime === "text/plain" && body.data) return decodeBase64Text(body.data);
  if (mime === "text/html" && body.data) {
    const html = decodeBase64Text(body.data);
    if (html) return htmlToText(html);
  }
  if (body.attachmentId) {
    // AutoGPT ignores a failed download here and looks further.
    const data = await downloadAttachment(api, messageId, body.attachmentId).catch(() => "");
    const text = decodeBase64Text(data);
    if (text) return text;
  }
  for (const sub of part.parts ?? []) {
    const text = await walkForBody(api, sub, messageId, depth + 1);
    if (text) return text;
  }
  return undefined;
}

async function emailBody(api: GoogleApi, message: GmailMessage): Promise<string> {
  const text = message.payload ? await walkForBody(api, message.payload, message.id) : undefined;
  return text || "This email does not contain a readable body.";
}

/** The top-level parts with a file name, as AutoGPT lists attachments. */
function attachmentsOf(message: GmailMessage): AttachmentInfo[] {
  return (message.payload?.parts ?? [])
    .filter((part) => part.filename)
    .map((part) => ({
      filename: part.filename ?? "",
      content_type: part.mimeType ?? "",
      size: Number(part.body?.size ?? 0),
      attachment_id: part.body?.attachmentId ?? "",
    }));
}

async function toEmail(api: GoogleApi, message: GmailMessage): Promise<EmailData> {
  const headers = headersOf(message);
  return {
    threadId: message.threadId ?? "",
    labelIds: message.labelIds ?? [],
    id: message.id,
    subject: headers.subject ?? "No Subject",
    snippet: message.snippet ?? "",
    from_: parseAddress(headers.from ?? ""),
    to: getAddresses(headers.to),
    cc: getAddresses(headers.cc),
    bcc: getAddresses(headers.bcc),
    date: headers.date ?? "",
    body: await emailBody(api, message),
    sizeEstimate: message.sizeEstimate ?? 0,
    attachments: attachmentsOf(message),
  };
}

async function loadAttachments(references: string[], ctx: BlockContext): Promise<MailAttachment[]> {
  const out: MailAttachment[] = [];
  for (const [i, reference] of references.entries()) out.push(await loadAttachment(reference, i, ctx));
  return out;
}

const sendMessage = (api: GoogleApi, raw: string, threadId?: string) =>
  api.request<{ id: string; threadId?: string; labelIds?: string[]; snippet?: string; sizeEstimate?: number }>(
    `${MESSAGES}/send`,
    { method: "POST", json: threadId ? { threadId, raw } : { raw } },
  );

// ---- pins shared by the sending blocks ----

const Recipients = (description: string) => Type.Array(Type.String(), { description, default: [] });
const ContentTypePin = Nullable(StringEnum(["auto", "plain", "html"]), {
  description: "Content type: 'auto' (default - detects HTML), 'plain', or 'html'",
  default: null,
  advanced: true,
});
const Files = (description: string) =>
  Type.Array(Type.String({ format: "file" }), { description, default: [], advanced: true });

// ---- examples (AutoGPT's test_mock, answered by a scripted Gmail) ----

const testContext = (script: Parameters<typeof scriptedHttp>[0]) => ({
  http: scriptedHttp(script),
  credentials: testCredentials({
    ...TEST_GOOGLE_CREDENTIALS_INPUT,
    access_token: "mock-google-access-token",
    scopes: [SCOPE.readonly, SCOPE.send],
  }),
});
const b64 = (text: string) => Buffer.from(text).toString("base64url");

export const gmailRead = defineBlock({
  id: "25310c70-b89b-43ba-b25c-4dfa7e2a481c",
  name: "GmailReadBlock",
  description:
    "A block that retrieves and reads emails from a Gmail account based on search criteria, returning detailed message information including subject, sender, body, and attachments.",
  categories: ["COMMUNICATION"],
  input: inputs({
    credentials: GoogleCredentialsField([SCOPE.readonly]),
    query: Type.String({ description: "Search query for reading emails", default: "is:unread" }),
    max_results: Type.Integer({ description: "Maximum number of emails to retrieve", default: 10 }),
  }),
  output: outputs({
    error: Type.String({ description: "Error message if any" }),
    email: { ...Email, description: "Email data" },
    emails: Type.Array(Email, { description: "List of email data" }),
  }),
  async *run({ query, max_results }, ctx) {
    const api = gmail(ctx);
    // With only the metadata scope Gmail refuses both a search query and full messages.
    const metadataOnly = googleCredentials(ctx).scopes.some((s) => s.toLowerCase() === GMAIL_METADATA_SCOPE);
    const list = await api.request<{ messages?: Array<{ id: string }> }>(MESSAGES, {
      query: { maxResults: max_results || 10, q: query && !metadataOnly ? query : undefined },
    });
    const emails: EmailData[] = [];
    for (const { id } of list.messages ?? []) {
      const message = await api.request<GmailMessage>(`${MESSAGES}/${encodeURIComponent(id)}`, {
        query: { format: metadataOnly ? "metadata" : "full" },
      });
      emails.push(await toEmail(api, message));
    }
    for (const email of emails) yield ["email", email];
    yield ["emails", emails];
  },
  test: [
    {
      input: { query: "is:unread", max_results: 5, credentials: TEST_GOOGLE_CREDENTIALS_INPUT },
      context: testContext((req) =>
        req.url.pathname.endsWith("/messages")
          ? { json: { messages: [{ id: "1", threadId: "t1" }] } }
          : {
              json: {
                id: "1",
                threadId: "t1",
                labelIds: ["INBOX"],
                snippet: "This is a test email",
                sizeEstimate: 100,
                payload: {
                  mimeType: "text/plain",
                  headers: [
                    { name: "Subject", value: "Test Email" },
                    { name: "From", value: "Tester <test@example.com>" },
                    { name: "To", value: "recipient@example.com" },
                    { name: "Date", value: "2024-01-01" },
                  ],
                  body: { size: 20, data: b64("This is a test email") },
                },
              },
            },
      ),
      output: [
        [
          "email",
          {
            threadId: "t1",
            labelIds: ["INBOX"],
            id: "1",
            subject: "Test Email",
            snippet: "This is a test email",
            from_: "test@example.com",
            to: ["recipient@example.com"],
            cc: [],
            bcc: [],
            date: "2024-01-01",
            body: "This is a test email",
            sizeEstimate: 100,
            attachments: [],
          },
        ],
        ["emails", (v: unknown) => Array.isArray(v) && v.length === 1 && v[0].id === "1"],
      ],
    },
  ],
});

export const gmailSend = defineBlock({
  id: "6c27abc2-e51d-499e-a85f-5a0041ba94f0",
  name: "GmailSendBlock",
  description:
    "Send emails via Gmail with automatic HTML detection and proper text formatting. Plain text emails are sent without 78-character line wrapping, preserving natural paragraph flow. HTML emails are automatically detected and sent with correct MIME type.",
  categories: ["COMMUNICATION"],
  input: inputs({
    credentials: GoogleCredentialsField([SCOPE.send]),
    to: Type.Array(Type.String(), { description: "Recipient email addresses" }),
    subject: Type.String({ description: "Email subject" }),
    body: Type.String({ description: "Email body (plain text or HTML)" }),
    cc: Recipients("CC recipients"),
    bcc: Recipients("BCC recipients"),
    content_type: ContentTypePin,
    attachments: Files("Files to attach"),
  }),
  output: outputs({
    error: Type.String({ description: "Error message if any" }),
    result: Type.Object(
      { id: Type.String({ title: "Id" }), status: Type.String({ title: "Status" }) },
      { title: "GmailSendResult", description: "Send confirmation" },
    ),
  }),
  async *run(input, ctx) {
    if (!input.to.length || !input.subject || !input.body) {
      throw new Error("At least one recipient, subject, and body are required for sending an email");
    }
    const api = gmail(ctx);
    const raw = buildMime({
      to: input.to,
      cc: input.cc,
      bcc: input.bcc,
      subject: input.subject,
      body: input.body,
      contentType: input.content_type as ContentType,
      attachments: await loadAttachments(input.attachments, ctx),
    });
    const sent = await sendMessage(api, raw);
    yield ["result", { id: sent.id, status: "sent" }];
  },
  test: [
    {
      input: {
        to: ["recipient@example.com"],
        subject: "Test Email",
        body: "This is a test email sent from GmailSendBlock.",
        credentials: TEST_GOOGLE_CREDENTIALS_INPUT,
      },
      context: testContext(() => ({ json: { id: "1", threadId: "t1", labelIds: ["SENT"] } })),
      output: [["result", { id: "1", status: "sent" }]],
    },
  ],
});

/** AutoGPT's _build_reply_message: the recipients, subject and threading headers a reply takes from its parent. */
async function buildReply(
  api: GoogleApi,
  ctx: BlockContext,
  input: {
    parentMessageId: string;
    to: string[];
    cc: string[];
    bcc: string[];
    replyAll: boolean;
    subject: string;
    body: string;
    content_type: ContentType;
    attachments: string[];
  },
): Promise<{ raw: string; to: string[] }> {
  const parent = await api.request<GmailMessage>(`${MESSAGES}/${encodeURIComponent(input.parentMessageId)}`, {
    query: {
      format: "metadata",
      metadataHeaders: ["Subject", "References", "Message-ID", "From", "To", "Cc", "Reply-To"],
    },
  });
  const headers = headersOf(parent);
  let to = input.to;
  if (!input.to.length && !input.cc.length && !input.bcc.length) {
    if (input.replyAll) {
      const all = [parseAddress(headers.from ?? ""), ...getAddresses(headers.to), ...getAddresses(headers.cc)];
      to = [...new Set(all.filter(Boolean))];
    } else {
      const sender = parseAddress(headers["reply-to"] || headers.from || "");
      to = sender ? [sender] : [];
    }
  }
  let subject = input.subject;
  if (!subject) {
    const parentSubject = (headers.subject ?? "").trim();
    if (parentSubject.toLowerCase().startsWith("re:")) subject = parentSubject;
    else subject = parentSubject ? `Re: ${parentSubject}` : "Re:";
  }
  const messageId = headers["message-id"];
  const references = (headers.references ?? "").split(/\s+/).filter(Boolean);
  if (messageId) references.push(messageId);
  const raw = buildMime({
    to,
    cc: input.cc,
    bcc: input.bcc,
    subject,
    inReplyTo: messageId,
    references: references.join(" ") || undefined,
    body: input.body,
    contentType: input.content_type,
    attachments: await loadAttachments(input.attachments, ctx),
  });
  return { raw, to };
}

export const gmailReply = defineBlock({
  id: "12bf5a24-9b90-4f40-9090-4e86e6995e60",
  name: "GmailReplyBlock",
  description:
    "Reply to Gmail threads with automatic HTML detection and proper text formatting. Plain text replies maintain natural paragraph flow without 78-character line wrapping. HTML content is automatically detected and sent with correct MIME type.",
  categories: ["COMMUNICATION"],
  input: inputs({
    credentials: GoogleCredentialsField([SCOPE.send, SCOPE.readonly]),
    threadId: Type.String({ description: "Thread ID to reply in" }),
    parentMessageId: Type.String({ description: "ID of the message being replied to" }),
    to: Recipients("To recipients"),
    cc: Recipients("CC recipients"),
    bcc: Recipients("BCC recipients"),
    replyAll: Type.Boolean({ description: "Reply to all original recipients", default: false }),
    subject: Type.String({ description: "Email subject", default: "" }),
    body: Type.String({ description: "Email body (plain text or HTML)" }),
    content_type: ContentTypePin,
    attachments: Files("Files to attach"),
  }),
  output: outputs({
    messageId: Type.String({ description: "Sent message ID" }),
    threadId: Type.String({ description: "Thread ID" }),
    message: Dict({ description: "Raw Gmail message object" }),
    email: { ...Email, description: "Parsed email object with decoded body and attachments" },
  }),
  async *run(input, ctx) {
    const api = gmail(ctx);
    const { raw, to } = await buildReply(api, ctx, { ...input, content_type: input.content_type as ContentType });
    const message = await sendMessage(api, raw, input.threadId);
    const threadId = message.threadId ?? input.threadId;
    yield ["messageId", message.id];
    yield ["threadId", threadId];
    yield ["message", message];
    const email: EmailData = {
      threadId,
      labelIds: message.labelIds ?? [],
      id: message.id,
      subject: input.subject || "",
      snippet: message.snippet ?? "",
      // Gmail's send answer holds no headers; AutoGPT leaves these empty too.
      from_: "",
      to,
      cc: input.cc,
      bcc: input.bcc,
      date: "",
      body: input.body,
      sizeEstimate: message.sizeEstimate ?? 0,
      attachments: [],
    };
    yield ["email", email];
  },
  test: [
    {
      input: {
        threadId: "t1",
        parentMessageId: "m1",
        body: "Thanks",
        replyAll: false,
        credentials: TEST_GOOGLE_CREDENTIALS_INPUT,
      },
      context: testContext((req) =>
        req.url.pathname.endsWith("/send")
          ? { json: { id: "m2", threadId: "t1" } }
          : { json: { id: "m1", threadId: "t1", payload: { headers: [] } } },
      ),
      output: [
        ["messageId", "m2"],
        ["threadId", "t1"],
        ["message", { id: "m2", threadId: "t1" }],
        [
          "email",
          {
            threadId: "t1",
            labelIds: [],
            id: "m2",
            subject: "",
            snippet: "",
            from_: "",
            to: [],
            cc: [],
            bcc: [],
            date: "",
            body: "Thanks",
            sizeEstimate: 0,
            attachments: [],
          },
        ],
      ],
    },
  ],
});

export const gmailForward = defineBlock({
  id: "64d2301c-b3f5-4174-8ac0-111ca1e1a7c0",
  name: "GmailForwardBlock",
  description:
    "Forward Gmail messages to other recipients with automatic HTML detection and proper formatting. Preserves original message threading and attachments.",
  categories: ["COMMUNICATION"],
  input: inputs({
    credentials: GoogleCredentialsField([SCOPE.send, SCOPE.readonly]),
    messageId: Type.String({ description: "ID of the message to forward" }),
    to: Type.Array(Type.String(), { description: "Recipients to forward the message to" }),
    cc: Recipients("CC recipients"),
    bcc: Recipients("BCC recipients"),
    subject: Type.String({
      description: "Optional custom subject (defaults to 'Fwd: [original subject]')",
      default: "",
    }),
    forwardMessage: Type.String({
      description: "Optional message to include before the forwarded content",
      default: "",
    }),
    includeAttachments: Type.Boolean({ description: "Include attachments from the original message", default: true }),
    content_type: ContentTypePin,
    additionalAttachments: Files("Additional files to attach"),
  }),
  output: outputs({
    messageId: Type.String({ description: "Forwarded message ID" }),
    threadId: Type.String({ description: "Thread ID" }),
    status: Type.String({ description: "Forward status" }),
  }),
  async *run(input, ctx) {
    if (!input.to.length) throw new Error("At least one recipient is required for forwarding");
    const api = gmail(ctx);
    const original = await api.request<GmailMessage>(`${MESSAGES}/${encodeURIComponent(input.messageId)}`, {
      query: { format: "full" },
    });
    const headers = headersOf(original);
    const originalSubject = headers.subject ?? "No Subject";
    const subject =
      input.subject || (originalSubject.toLowerCase().startsWith("fwd:") ? originalSubject : `Fwd: ${originalSubject}`);
    const forwardHeader = [
      "",
      "---------- Forwarded message ---------",
      `From: ${headers.from ?? "Unknown"}`,
      `Date: ${headers.date ?? "Unknown"}`,
      `Subject: ${originalSubject}`,
      `To: ${headers.to ?? "Unknown"}`,
      "",
    ].join("\n");
    const originalBody = await emailBody(api, original);
    const body = input.forwardMessage
      ? `${input.forwardMessage}\n\n${forwardHeader}\n\n${originalBody}`
      : `${forwardHeader}\n\n${originalBody}`;

    const attachments: MailAttachment[] = [];
    if (input.includeAttachments) {
      for (const attachment of attachmentsOf(original)) {
        const data = await downloadAttachment(api, input.messageId, attachment.attachment_id);
        attachments.push({ filename: attachment.filename, data: decodeBase64Bytes(data) });
      }
    }
    attachments.push(...(await loadAttachments(input.additionalAttachments, ctx)));
    const raw = buildMime({
      to: input.to,
      cc: input.cc,
      bcc: input.bcc,
      subject,
      body,
      contentType: input.content_type as ContentType,
      attachments,
    });
    const sent = await sendMessage(api, raw);
    yield ["messageId", sent.id];
    yield ["threadId", sent.threadId ?? ""];
    yield ["status", "forwarded"];
  },
  test: [
    {
      input: {
        messageId: "m1",
        to: ["recipient@example.com"],
        forwardMessage: "FYI - forwarding this to you.",
        credentials: TEST_GOOGLE_CREDENTIALS_INPUT,
      },
      context: testContext((req) =>
        req.url.pathname.endsWith("/send")
          ? { json: { id: "m2", threadId: "t1" } }
          : { json: { id: "m1", threadId: "t0", payload: { mimeType: "text/plain", headers: [], body: {} } } },
      ),
      output: [
        ["messageId", "m2"],
        ["threadId", "t1"],
        ["status", "forwarded"],
      ],
    },
  ],
});

export const gmailAddLabel = defineBlock({
  id: "f884b2fb-04f4-4265-9658-14f433926ac9",
  name: "GmailAddLabelBlock",
  description:
    "A block that adds a label to a specific email message in Gmail, creating the label if it doesn't exist.",
  categories: ["COMMUNICATION"],
  input: inputs({
    credentials: GoogleCredentialsField([SCOPE.modify]),
    message_id: Type.String({ description: "Message ID to add label to" }),
    label_name: Type.String({ description: "Label name to add" }),
  }),
  output: outputs({
    error: Type.String({ description: "Error message if any" }),
    result: Type.Object(
      { label_id: Type.String({ title: "Label Id" }), status: Type.String({ title: "Status" }) },
      { title: "GmailLabelResult", description: "Label addition result" },
    ),
  }),
  async *run({ message_id, label_name }, ctx) {
    const api = gmail(ctx);
    const { labels = [] } = await api.request<{ labels?: Array<{ id: string; name: string }> }>(LABELS);
    let labelId = labels.find((label) => label.name === label_name)?.id;
    if (!labelId) {
      const created = await api.request<{ id: string }>(LABELS, { method: "POST", json: { name: label_name } });
      labelId = created.id;
    }
    const modified = await api.request<{ labelIds?: string[] }>(
      `${MESSAGES}/${encodeURIComponent(message_id)}/modify`,
      {
        method: "POST",
        json: { addLabelIds: [labelId] },
      },
    );
    const status = modified.labelIds?.length ? "Label added successfully" : "Label already applied or not found";
    yield ["result", { status, label_id: labelId }];
  },
  test: [
    {
      input: { message_id: "12345", label_name: "Important", credentials: TEST_GOOGLE_CREDENTIALS_INPUT },
      context: testContext((req) =>
        req.url.pathname.endsWith("/labels")
          ? { json: { labels: [{ id: "Label_1", name: "Important" }] } }
          : { json: { id: "12345", labelIds: ["INBOX", "Label_1"] } },
      ),
      output: [["result", { status: "Label added successfully", label_id: "Label_1" }]],
    },
  ],
});

export const gmailBlocks: Block[] = [gmailRead, gmailSend, gmailReply, gmailForward, gmailAddLabel];
