// The Gmail and Google Calendar blocks through the real server against a loopback Google: the requests Google would
// receive (paths, query, bearer token, the MIME messages sent) and what each block yields; errors never show the token.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standaloneContext } from "../src/blocks/context.js";
import { googleCalendarReadEvents } from "../src/blocks/google/calendar.js";
import { gmailRead } from "../src/blocks/google/gmail.js";
import type { Block } from "../src/blocks/sdk.js";
import { runBlock } from "./helpers/block-run.js";
import { signUp } from "./helpers/client.js";
import {
  type Handler,
  type ProviderServer,
  type ReceivedRequest,
  startProviderServer,
} from "./helpers/provider-server.js";
import { create, ended, graph, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const TOKEN = "ya29.google-access-token-5f1e9c";
const GMAIL_READ = "25310c70-b89b-43ba-b25c-4dfa7e2a481c";
const GMAIL_SEND = "6c27abc2-e51d-499e-a85f-5a0041ba94f0";
const GMAIL_REPLY = "12bf5a24-9b90-4f40-9090-4e86e6995e60";
const GMAIL_FORWARD = "64d2301c-b3f5-4174-8ac0-111ca1e1a7c0";
const GMAIL_ADD_LABEL = "f884b2fb-04f4-4265-9658-14f433926ac9";
const CALENDAR_READ = "80bc3ed1-e9a4-449e-8163-a8fc86f74f6a";

const google = (scopes: string[] = []) => ({
  id: "google-cred-1",
  provider: "google",
  type: "oauth2",
  title: "My Google",
  access_token: TOKEN,
  refresh_token: "1//refresh-token-never-sent",
  scopes,
});

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** Header names lower-cased, folded lines joined, RFC 2047 words decoded. */
function parseHeaders(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of block.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const value = line
      .slice(i + 1)
      .trim()
      .replace(/\?=\s+=\?/g, "?==?")
      .replace(/=\?utf-8\?b\?([^?]*)\?=/gi, (_m, b: string) => Buffer.from(b, "base64").toString("utf8"));
    out[line.slice(0, i).toLowerCase()] = value;
  }
  return out;
}

/** The `raw` of a sent message: its headers and its MIME parts, each with its decoded content. */
function parseMime(raw: string) {
  const text = Buffer.from(raw, "base64url").toString("utf8");
  const split = text.indexOf("\r\n\r\n");
  const headers = parseHeaders(text.slice(0, split));
  const boundary = /boundary="([^"]+)"/.exec(headers["content-type"] ?? "")?.[1];
  expect(boundary, headers["content-type"]).toBeTruthy();
  const sections = text.slice(split + 4).split(`--${boundary}`);
  expect(sections.at(-1)?.startsWith("--"), "the closing boundary").toBe(true);
  const parts = sections.slice(1, -1).map((section) => {
    const body = section.replace(/^\r\n/, "");
    const end = body.indexOf("\r\n\r\n");
    const partHeaders = parseHeaders(body.slice(0, end));
    expect(partHeaders["content-transfer-encoding"]).toBe("base64");
    return { headers: partHeaders, content: Buffer.from(body.slice(end + 4).replace(/\s+/g, ""), "base64") };
  });
  return { headers, parts, text };
}

describe("Google blocks against a loopback Google", () => {
  let provider: ProviderServer;
  let t: TestServer;
  let api: Awaited<ReturnType<typeof signUp>>["api"];

  beforeAll(async () => {
    provider = await startProviderServer();
    // One `google` base URL serves both APIs: the blocks' paths carry /gmail/v1 and /calendar/v3.
    t = await startTestServer({ outgoingHttp: { providerBaseUrls: { google: provider.url } } });
    ({ api } = await signUp(t.url));
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });

  /** Serves `routes` ("METHOD /path" → reply) and returns the requests this test makes. */
  function serve(routes: Record<string, ReturnType<Handler> | ((req: ReceivedRequest) => ReturnType<Handler>)>) {
    const from = provider.received.length;
    provider.handle((req) => {
      const route = routes[`${req.method} ${req.path}`];
      if (!route) return { status: 404, json: { error: { code: 404, message: `no route ${req.method} ${req.path}` } } };
      return typeof route === "function" ? route(req) : route;
    });
    return () => provider.received.slice(from);
  }

  const expectAuthorized = (requests: ReceivedRequest[]) => {
    expect(requests.length).toBeGreaterThan(0);
    for (const req of requests) expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
  };

  it("GmailReadBlock lists, fetches each message in full and decodes bodies, recipients and attachments", async () => {
    const received = serve({
      "GET /gmail/v1/users/me/messages": { json: { messages: [{ id: "m1" }, { id: "m2" }, { id: "m3" }] } },
      "GET /gmail/v1/users/me/messages/m1": {
        json: {
          id: "m1",
          threadId: "t1",
          labelIds: ["INBOX", "UNREAD"],
          snippet: "Voilà the report",
          sizeEstimate: 2048,
          payload: {
            mimeType: "multipart/mixed",
            headers: [
              { name: "Subject", value: "Quarterly report" },
              { name: "From", value: '"Ann, Sales" <ann@example.com>' },
              { name: "To", value: "Bob <bob@example.com>, carol@example.com" },
              { name: "Cc", value: "dan@example.com (Dan)" },
              { name: "Date", value: "Mon, 1 Jan 2024 10:00:00 +0000" },
            ],
            parts: [
              {
                mimeType: "multipart/alternative",
                filename: "",
                parts: [
                  // Gmail sends base64url without padding.
                  {
                    mimeType: "text/plain",
                    filename: "",
                    body: { data: b64url("Voilà the report ✓").replace(/=+$/, "") },
                  },
                  { mimeType: "text/html", filename: "", body: { data: b64url("<p>ignored</p>") } },
                ],
              },
              { mimeType: "application/pdf", filename: "report.pdf", body: { attachmentId: "att-1", size: 1234 } },
            ],
          },
        },
      },
      "GET /gmail/v1/users/me/messages/m2": {
        json: {
          id: "m2",
          threadId: "t2",
          snippet: "html",
          sizeEstimate: 10,
          payload: {
            mimeType: "text/html",
            headers: [{ name: "From", value: "news@example.com" }],
            body: {
              data: b64url(
                '<html><body><p>Hello <b>there</b> &amp; <a href="https://x.test/a">read</a></p><ul><li>one</li><li>two</li></ul><script>x()</script></body></html>',
              ),
            },
          },
        },
      },
      "GET /gmail/v1/users/me/messages/m3": {
        json: {
          id: "m3",
          threadId: "t3",
          snippet: "",
          sizeEstimate: 5,
          payload: { mimeType: "text/plain", headers: [], body: { attachmentId: "big-body", size: 9000 } },
        },
      },
      "GET /gmail/v1/users/me/messages/m3/attachments/big-body": { json: { data: b64url("A body kept apart") } },
    });
    const { status, outputs, node } = await runBlock(api, GMAIL_READ, { max_results: 3 }, { credentials: google() });
    expect(status, JSON.stringify(node.output_data)).toBe("COMPLETED");

    const requests = received();
    expectAuthorized(requests);
    const list = requests[0];
    expect(list.method).toBe("GET");
    expect(list.query.get("q")).toBe("is:unread");
    expect(list.query.get("maxResults")).toBe("3");
    expect(requests.filter((r) => /messages\/m\d$/.test(r.path)).map((r) => r.query.get("format"))).toEqual([
      "full",
      "full",
      "full",
    ]);

    expect(outputs.email).toHaveLength(3);
    const [first, second, third] = outputs.email as any[];
    expect(first).toEqual({
      threadId: "t1",
      labelIds: ["INBOX", "UNREAD"],
      id: "m1",
      subject: "Quarterly report",
      snippet: "Voilà the report",
      from_: "ann@example.com",
      to: ["bob@example.com", "carol@example.com"],
      cc: ["dan@example.com"],
      bcc: [],
      date: "Mon, 1 Jan 2024 10:00:00 +0000",
      body: "Voilà the report ✓",
      sizeEstimate: 2048,
      attachments: [{ filename: "report.pdf", content_type: "application/pdf", size: 1234, attachment_id: "att-1" }],
    });
    expect(second.subject).toBe("No Subject");
    expect(second.body).toContain("Hello there & [read](https://x.test/a)");
    expect(second.body).not.toContain("<");
    expect(second.body).toContain("  * one\n  * two");
    expect(second.body).not.toContain("x()");
    expect(third.body).toBe("A body kept apart");
    expect(outputs.emails).toEqual([[first, second, third]]);
  });

  it("GmailReadBlock with only the metadata scope sends no query and asks for metadata", async () => {
    const received = serve({
      "GET /gmail/v1/users/me/messages": { json: { messages: [{ id: "m9" }] } },
      "GET /gmail/v1/users/me/messages/m9": {
        json: { id: "m9", threadId: "t9", payload: { mimeType: "text/plain", headers: [] } },
      },
    });
    const { status, outputs } = await runBlock(
      api,
      GMAIL_READ,
      { query: "from:boss" },
      { credentials: google(["https://www.googleapis.com/auth/gmail.metadata"]) },
    );
    expect(status).toBe("COMPLETED");
    const [list, get] = received();
    expect(list.query.has("q")).toBe(false);
    expect(list.query.get("maxResults")).toBe("10");
    expect(get.query.get("format")).toBe("metadata");
    expect((outputs.email as any[])[0].body).toBe("This email does not contain a readable body.");
  });

  it("GmailSendBlock sends one MIME message with To, Cc, Bcc, an encoded subject and the body unwrapped", async () => {
    const received = serve({
      "POST /gmail/v1/users/me/messages/send": { json: { id: "sent-1", threadId: "th-1", labelIds: ["SENT"] } },
    });
    const body = `${"A long plain line that must not be hard-wrapped at 78 characters. ".repeat(3)}\nSecond line, café.`;
    const { status, outputs } = await runBlock(
      api,
      GMAIL_SEND,
      {
        to: ["ann@example.com", "bob@example.com"],
        cc: ["carol@example.com"],
        bcc: ["dan@example.com"],
        subject: "Résumé for Q1",
        body,
      },
      { credentials: google() },
    );
    expect(status).toBe("COMPLETED");
    expect(outputs.result).toEqual([{ id: "sent-1", status: "sent" }]);

    const [send] = received();
    expectAuthorized([send]);
    expect(send.headers["content-type"]).toContain("application/json");
    expect(Object.keys(send.json)).toEqual(["raw"]);
    const mail = parseMime(send.json.raw);
    expect(mail.headers.to).toBe("ann@example.com, bob@example.com");
    expect(mail.headers.cc).toBe("carol@example.com");
    expect(mail.headers.bcc).toBe("dan@example.com");
    expect(mail.headers.subject).toBe("Résumé for Q1");
    expect(mail.text).not.toContain("Résumé"); // non-ASCII headers travel encoded
    expect(mail.headers["content-type"]).toMatch(/^multipart\/mixed/);
    expect(mail.parts).toHaveLength(1);
    expect(mail.parts[0].headers["content-type"]).toBe('text/plain; charset="utf-8"');
    expect(mail.parts[0].content.toString("utf8")).toBe(body);
  });

  it("GmailSendBlock detects HTML, attaches a data: URI file, and keeps a header from being injected", async () => {
    const received = serve({ "POST /gmail/v1/users/me/messages/send": { json: { id: "sent-2" } } });
    const { status } = await runBlock(
      api,
      GMAIL_SEND,
      {
        to: ["ann@example.com"],
        subject: "Hi\r\nBcc: evil@example.com",
        body: "<h1>Hello</h1><p>World</p>",
        attachments: [`data:text/csv;base64,${Buffer.from("a,b\n1,2\n").toString("base64")}`],
      },
      { credentials: google() },
    );
    expect(status).toBe("COMPLETED");
    const mail = parseMime(received()[0].json.raw);
    expect(mail.headers.subject).toBe("Hi Bcc: evil@example.com");
    expect(mail.headers.bcc).toBeUndefined();
    expect(mail.parts[0].headers["content-type"]).toBe('text/html; charset="utf-8"');
    expect(mail.parts[0].content.toString()).toBe("<h1>Hello</h1><p>World</p>");
    expect(mail.parts[1].headers["content-disposition"]).toBe('attachment; filename="attachment_1.csv"');
    expect(mail.parts[1].content.toString()).toBe("a,b\n1,2\n");
  });

  it("GmailSendBlock refuses an empty body before calling Gmail", async () => {
    const received = serve({});
    const { status, outputs } = await runBlock(
      api,
      GMAIL_SEND,
      { to: ["ann@example.com"], subject: "x", body: "" },
      { credentials: google() },
    );
    expect(status).toBe("FAILED");
    expect(String(outputs.error?.[0])).toContain("At least one recipient, subject, and body are required");
    expect(received()).toHaveLength(0);
  });

  const parent = {
    id: "p1",
    threadId: "thread-9",
    payload: {
      headers: [
        { name: "Subject", value: "Lunch?" },
        { name: "From", value: "Ann <ann@example.com>" },
        { name: "Reply-To", value: "Ann's desk <desk@example.com>" },
        { name: "To", value: "me@example.com, bob@example.com" },
        { name: "Cc", value: "carol@example.com, ann@example.com" },
        { name: "Message-ID", value: "<p1@mail.example.com>" },
        { name: "References", value: "<root@mail.example.com>" },
      ],
    },
  };

  it("GmailReplyBlock answers in the thread with In-Reply-To and References from the parent", async () => {
    const received = serve({
      "GET /gmail/v1/users/me/messages/p1": { json: parent },
      "POST /gmail/v1/users/me/messages/send": { json: { id: "r1", threadId: "thread-9", labelIds: ["SENT"] } },
    });
    const { status, outputs } = await runBlock(
      api,
      GMAIL_REPLY,
      { threadId: "thread-9", parentMessageId: "p1", body: "Sure, noon works." },
      { credentials: google() },
    );
    expect(status).toBe("COMPLETED");
    const [get, send] = received();
    expectAuthorized([get, send]);
    expect(get.query.get("format")).toBe("metadata");
    expect(get.query.getAll("metadataHeaders")).toEqual([
      "Subject",
      "References",
      "Message-ID",
      "From",
      "To",
      "Cc",
      "Reply-To",
    ]);
    expect(send.json.threadId).toBe("thread-9");
    const mail = parseMime(send.json.raw);
    expect(mail.headers.to).toBe("desk@example.com");
    expect(mail.headers.subject).toBe("Re: Lunch?");
    expect(mail.headers["in-reply-to"]).toBe("<p1@mail.example.com>");
    expect(mail.headers.references).toBe("<root@mail.example.com> <p1@mail.example.com>");
    expect(mail.parts[0].content.toString()).toBe("Sure, noon works.");

    expect(outputs.messageId).toEqual(["r1"]);
    expect(outputs.threadId).toEqual(["thread-9"]);
    expect(outputs.message).toEqual([{ id: "r1", threadId: "thread-9", labelIds: ["SENT"] }]);
    expect((outputs.email as any[])[0]).toMatchObject({
      id: "r1",
      threadId: "thread-9",
      labelIds: ["SENT"],
      to: ["desk@example.com"],
      body: "Sure, noon works.",
    });
  });

  it("GmailReplyBlock with replyAll writes to the sender and every recipient once", async () => {
    const received = serve({
      "GET /gmail/v1/users/me/messages/p1": { json: parent },
      "POST /gmail/v1/users/me/messages/send": { json: { id: "r2", threadId: "thread-9" } },
    });
    const { status } = await runBlock(
      api,
      GMAIL_REPLY,
      { threadId: "thread-9", parentMessageId: "p1", body: "All: yes", replyAll: true, subject: "Re: lunch" },
      { credentials: google() },
    );
    expect(status).toBe("COMPLETED");
    const mail = parseMime(received()[1].json.raw);
    expect(mail.headers.to).toBe("ann@example.com, me@example.com, bob@example.com, carol@example.com");
    expect(mail.headers.subject).toBe("Re: lunch");
  });

  it("GmailForwardBlock quotes the original under a forward header and carries its attachments", async () => {
    const received = serve({
      "GET /gmail/v1/users/me/messages/o1": {
        json: {
          id: "o1",
          threadId: "t-o",
          payload: {
            mimeType: "multipart/mixed",
            headers: [
              { name: "Subject", value: "Invoice 42" },
              { name: "From", value: "billing@example.com" },
              { name: "Date", value: "Tue, 2 Jan 2024 09:00:00 +0000" },
              { name: "To", value: "me@example.com" },
            ],
            parts: [
              { mimeType: "text/plain", filename: "", body: { data: b64url("Please pay by Friday.") } },
              { mimeType: "application/pdf", filename: "invoice.pdf", body: { attachmentId: "inv", size: 8 } },
            ],
          },
        },
      },
      "GET /gmail/v1/users/me/messages/o1/attachments/inv": { json: { data: b64url(Buffer.from("%PDF-1.4")) } },
      "POST /gmail/v1/users/me/messages/send": { json: { id: "f1", threadId: "t-f" } },
    });
    const { status, outputs } = await runBlock(
      api,
      GMAIL_FORWARD,
      { messageId: "o1", to: ["acct@example.com"], forwardMessage: "FYI" },
      { credentials: google() },
    );
    expect(status).toBe("COMPLETED");
    expect(outputs).toMatchObject({ messageId: ["f1"], threadId: ["t-f"], status: ["forwarded"] });
    const requests = received();
    expectAuthorized(requests);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /gmail/v1/users/me/messages/o1",
      "GET /gmail/v1/users/me/messages/o1/attachments/inv",
      "POST /gmail/v1/users/me/messages/send",
    ]);
    expect(requests[0].query.get("format")).toBe("full");
    const send = requests[2];
    expect(send.json.threadId).toBeUndefined();
    const mail = parseMime(send.json.raw);
    expect(mail.headers.to).toBe("acct@example.com");
    expect(mail.headers.subject).toBe("Fwd: Invoice 42");
    const text = mail.parts[0].content.toString();
    expect(text).toBe(
      "FYI\n\n\n---------- Forwarded message ---------\nFrom: billing@example.com\nDate: Tue, 2 Jan 2024 09:00:00 +0000\n" +
        "Subject: Invoice 42\nTo: me@example.com\n\n\nPlease pay by Friday.",
    );
    expect(mail.parts[1].headers["content-disposition"]).toBe('attachment; filename="invoice.pdf"');
    expect(mail.parts[1].content.toString()).toBe("%PDF-1.4");
  });

  it("GmailAddLabelBlock creates a missing label and adds it to the message", async () => {
    const received = serve({
      "GET /gmail/v1/users/me/labels": { json: { labels: [{ id: "INBOX", name: "INBOX" }] } },
      "POST /gmail/v1/users/me/labels": { json: { id: "Label_7", name: "Follow up" } },
      "POST /gmail/v1/users/me/messages/m1/modify": { json: { id: "m1", labelIds: ["INBOX", "Label_7"] } },
    });
    const { status, outputs } = await runBlock(
      api,
      GMAIL_ADD_LABEL,
      { message_id: "m1", label_name: "Follow up" },
      { credentials: google() },
    );
    expect(status).toBe("COMPLETED");
    expect(outputs.result).toEqual([{ status: "Label added successfully", label_id: "Label_7" }]);
    const [list, createLabel, modify] = received();
    expectAuthorized([list, createLabel, modify]);
    expect(createLabel.json).toEqual({ name: "Follow up" });
    expect(modify.json).toEqual({ addLabelIds: ["Label_7"] });
  });

  it("GoogleCalendarReadEventsBlock lists the window's events and formats them as AutoGPT does", async () => {
    const received = serve({
      "GET /calendar/v3/calendars/team%40example.com/events": {
        json: {
          nextPageToken: "page-2",
          items: [
            {
              id: "e1",
              summary: "Offsite",
              start: { date: "2030-03-04" },
              end: { date: "2030-03-05" },
              htmlLink: "https://calendar.google.com/e1",
            },
            {
              id: "e2",
              start: { dateTime: "2030-03-04T09:30:00+02:00" },
              end: { dateTime: "2030-03-04T10:00:00+02:00" },
              organizer: { email: "boss@example.com" },
              attendees: [{ email: "a@example.com" }, { displayName: "no email" }],
              conferenceData: {
                entryPoints: [{ entryPointType: "phone" }, { entryPointType: "video", uri: "https://meet.test/x" }],
              },
              recurrence: ["RRULE:FREQ=DAILY"],
            },
          ],
        },
      },
    });
    const { status, outputs } = await runBlock(
      api,
      CALENDAR_READ,
      {
        calendar_id: "team@example.com",
        start_time: "2030-03-01T00:00:00Z",
        time_range_days: 7,
        max_events: 2,
        search_term: "standup",
      },
      { credentials: google() },
    );
    expect(status).toBe("COMPLETED");
    const [req] = received();
    expectAuthorized([req]);
    expect(Object.fromEntries(req.query)).toEqual({
      timeMin: "2030-03-01T00:00:00.000Z",
      timeMax: "2030-03-08T00:00:00.000Z",
      maxResults: "2",
      singleEvents: "true",
      orderBy: "startTime",
      showDeleted: "false",
      showHiddenInvitations: "false",
      q: "standup",
    });
    expect(outputs.next_page_token).toEqual(["page-2"]);
    const offsite = {
      id: "e1",
      title: "Offsite",
      start_time: "2030-03-04",
      end_time: "2030-03-05",
      is_all_day: true,
      location: null,
      description: null,
      organizer: null,
      attendees: [],
      has_video_call: false,
      video_link: null,
      calendar_link: "https://calendar.google.com/e1",
      is_recurring: false,
    };
    const meeting = {
      id: "e2",
      title: "Untitled Event",
      start_time: "2030-03-04 09:30",
      end_time: "2030-03-04 10:00",
      is_all_day: false,
      location: null,
      description: null,
      organizer: "boss@example.com",
      attendees: ["a@example.com"],
      has_video_call: true,
      video_link: "https://meet.test/x",
      calendar_link: "",
      is_recurring: true,
    };
    expect(outputs.event).toEqual([offsite, meeting]);
    expect(outputs.events).toEqual([[offsite, meeting]]);
  });

  it("a Google error fails the node with Google's message and never the token", async () => {
    serve({
      "GET /gmail/v1/users/me/messages": {
        status: 403,
        json: {
          error: {
            code: 403,
            message: `Request had insufficient authentication scopes (token ${TOKEN}).`,
            status: "PERMISSION_DENIED",
          },
        },
      },
    });
    const { status, outputs, run } = await runBlock(api, GMAIL_READ, {}, { credentials: google() });
    expect(status).toBe("FAILED");
    expect(String(outputs.error?.[0])).toMatch(
      /^Gmail API answered 403: Request had insufficient authentication scopes/,
    );
    expect(JSON.stringify(run)).not.toContain(TOKEN);

    serve({
      "GET /calendar/v3/calendars/primary/events": {
        status: 401,
        json: { error: { code: 401, message: "Invalid Credentials" } },
      },
    });
    const calendar = await runBlock(api, CALENDAR_READ, {}, { credentials: google() });
    expect(calendar.status).toBe("FAILED");
    expect(calendar.outputs.error).toEqual([
      "Google Calendar API answered 401 (the Google credentials are invalid or expired): Invalid Credentials",
    ]);
    expect(JSON.stringify(calendar.run)).not.toContain(TOKEN);
  });

  it("a run without Google credentials is refused or fails naming them, and Google hears nothing", async () => {
    const received = serve({});
    const g = await create(
      api,
      graph(
        "no creds",
        [{ id: "node", block_id: GMAIL_SEND, input_default: { to: ["a@example.com"], subject: "s", body: "b" } }],
        [],
      ),
    );
    expect(Object.keys(g.credentials_input_schema.properties)).toEqual(["google_oauth2_credentials"]);
    const refused = await api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: {}, credentials_inputs: {} });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain("credentials_inputs.google_oauth2_credentials");

    const ghost = { id: "ghost-cred", provider: "google", type: "oauth2", title: null };
    const { status, run } = await runBlock(
      api,
      GMAIL_ADD_LABEL,
      { message_id: "m1", label_name: "x" },
      { credentialsInputs: { google_oauth2_credentials: ghost } },
    );
    expect(status).toBe("FAILED");
    expect(JSON.stringify(run)).toMatch(
      /Credentials ghost-cred \(google, oauth2\) for `credentials` are not available/,
    );
    expect(received()).toHaveLength(0);
    await waitFor(api, run.id, ended);
  });

  it("a direct block run with no credentials at all fails naming the Google credentials", async () => {
    const collect = async (block: Block, input: Record<string, unknown>) => {
      const out: Array<readonly [string, unknown]> = [];
      for await (const entry of block.run(input, standaloneContext())) out.push(entry);
      return out;
    };
    await expect(collect(gmailRead, { query: "", max_results: 1 })).rejects.toThrow(
      "Missing Google OAuth2 credentials for `credentials`",
    );
    expect(await collect(googleCalendarReadEvents, { calendar_id: "primary", time_range_days: 1 })).toEqual([
      ["error", "Missing Google OAuth2 credentials for `credentials`"],
    ]);
  });
});
