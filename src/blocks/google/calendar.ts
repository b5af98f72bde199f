// AutoGPT's GoogleCalendarReadEventsBlock over the Google Calendar API v3 (events.list) with the user's OAuth2 token.
import { type Static, Type } from "@sinclair/typebox";
import { inputs, Nullable, outputs } from "../fields.js";
import { type Block, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { CALENDAR_BASE_URL, GoogleCredentialsField, googleApi, TEST_GOOGLE_CREDENTIALS_INPUT } from "./google.js";

const NullableString = (title: string) => Type.Union([Type.String(), Type.Null()], { title });

const CalendarEvent = Type.Object(
  {
    id: Type.String({ title: "Id" }),
    title: Type.String({ title: "Title" }),
    start_time: Type.String({ title: "Start Time" }),
    end_time: Type.String({ title: "End Time" }),
    is_all_day: Type.Boolean({ title: "Is All Day" }),
    location: NullableString("Location"),
    description: NullableString("Description"),
    organizer: NullableString("Organizer"),
    attendees: Type.Array(Type.String(), { title: "Attendees" }),
    has_video_call: Type.Boolean({ title: "Has Video Call" }),
    video_link: NullableString("Video Link"),
    calendar_link: Type.String({ title: "Calendar Link" }),
    is_recurring: Type.Boolean({ title: "Is Recurring" }),
  },
  { title: "CalendarEvent", description: "Structured representation of a Google Calendar event." },
);
type CalendarEventData = Static<typeof CalendarEvent>;

/** An event as events.list returns it (the fields the block reads). */
interface ApiEvent {
  id?: string;
  summary?: string;
  start?: { date?: string; dateTime?: string };
  end?: { date?: string; dateTime?: string };
  location?: string;
  description?: string;
  organizer?: { email?: string };
  attendees?: Array<{ email?: string }>;
  conferenceData?: { conferenceUrl?: string; entryPoints?: Array<{ entryPointType?: string; uri?: string }> };
  htmlLink?: string;
  recurrence?: string[];
}

/** `%Y-%m-%d %H:%M` of an RFC 3339 date-time in its own offset, as Python's fromisoformat + strftime print it. */
function wallTime(dateTime: string | undefined): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(dateTime ?? "");
  if (!m) throw new Error(`Invalid event time from Google Calendar: ${JSON.stringify(dateTime ?? "")}`);
  return `${m[1]} ${m[2]}`;
}

/** AutoGPT's _format_events. */
function formatEvent(event: ApiEvent): CalendarEventData {
  const isAllDay = event.start !== undefined && "date" in event.start;
  let videoLink: string | null = null;
  const conference = event.conferenceData;
  if (conference?.conferenceUrl) videoLink = conference.conferenceUrl;
  else videoLink = conference?.entryPoints?.find((e) => e.entryPointType === "video")?.uri ?? null;
  const hasVideo =
    Boolean(conference?.conferenceUrl) || Boolean(conference?.entryPoints?.some((e) => e.entryPointType === "video"));
  return {
    id: event.id ?? "",
    title: event.summary ?? "Untitled Event",
    start_time: isAllDay ? (event.start?.date ?? "") : wallTime(event.start?.dateTime),
    end_time: isAllDay ? (event.end?.date ?? "") : wallTime(event.end?.dateTime),
    is_all_day: isAllDay,
    location: event.location ?? null,
    description: event.description ?? null,
    organizer: event.organizer?.email ?? null,
    attendees: (event.attendees ?? []).map((a) => a.email).filter((e): e is string => Boolean(e)),
    has_video_call: hasVideo,
    video_link: videoLink,
    calendar_link: event.htmlLink ?? "",
    is_recurring: Boolean(event.recurrence?.length),
  };
}

/** A pydantic datetime as an instant; one without an offset is taken as UTC. */
function parseStart(value: string | undefined): Date {
  if (!value) return new Date();
  const withZone = /([Zz]|[+-]\d{2}:?\d{2})$/.test(value) || !/\d{2}:\d{2}/.test(value) ? value : `${value}Z`;
  const date = new Date(withZone);
  if (Number.isNaN(date.getTime())) throw new Error(`Invalid start_time: ${value}`);
  return date;
}

const EXAMPLE_EVENT = {
  id: "event1id",
  summary: "Team Meeting",
  start: { dateTime: "2030-01-02T10:00:00+00:00", timeZone: "UTC" },
  end: { dateTime: "2030-01-02T11:00:00+00:00", timeZone: "UTC" },
  location: "Conference Room A",
  description: "Weekly team sync",
  organizer: { email: "manager@example.com" },
  attendees: [{ email: "colleague1@example.com" }, { email: "colleague2@example.com" }],
  conferenceData: { conferenceUrl: "https://meet.google.com/abc-defg-hij" },
  htmlLink: "https://calendar.google.com/calendar/event?eid=event1id",
  recurrence: ["RRULE:FREQ=WEEKLY;COUNT=10"],
};
const EXAMPLE_FORMATTED = {
  id: "event1id",
  title: "Team Meeting",
  start_time: "2030-01-02 10:00",
  end_time: "2030-01-02 11:00",
  is_all_day: false,
  location: "Conference Room A",
  description: "Weekly team sync",
  organizer: "manager@example.com",
  attendees: ["colleague1@example.com", "colleague2@example.com"],
  has_video_call: true,
  video_link: "https://meet.google.com/abc-defg-hij",
  calendar_link: "https://calendar.google.com/calendar/event?eid=event1id",
  is_recurring: true,
};

export const googleCalendarReadEvents = defineBlock({
  id: "80bc3ed1-e9a4-449e-8163-a8fc86f74f6a",
  name: "GoogleCalendarReadEventsBlock",
  description: "Retrieves upcoming events from a Google Calendar with filtering options",
  categories: ["PRODUCTIVITY", "DATA"],
  input: inputs({
    credentials: GoogleCredentialsField(["https://www.googleapis.com/auth/calendar.readonly"]),
    calendar_id: Type.String({
      description: "Calendar ID (use 'primary' for your main calendar)",
      default: "primary",
    }),
    max_events: Type.Integer({ description: "Maximum number of events to retrieve", default: 10 }),
    // AutoGPT's default_factory (now): optional, with no default in the schema; the run takes the current time.
    start_time: Type.String({
      format: "date-time",
      description: "Retrieve events starting from this time",
      default: undefined,
    }),
    time_range_days: Type.Integer({ description: "Number of days to look ahead for events", default: 30 }),
    search_term: Nullable(Type.String(), { description: "Optional search term to filter events by", default: null }),
    page_token: Nullable(Type.String(), {
      description:
        "Page token from previous request to get the next batch of events. You can use this if you have lots of events you want to process in a loop",
      default: null,
    }),
    include_declined_events: Type.Boolean({ description: "Include events you've declined", default: false }),
  }),
  output: outputs({
    error: Type.String({ description: "Error message if the request failed" }),
    events: Type.Array(CalendarEvent, {
      description: "List of calendar events in the requested time range",
      default: [],
    }),
    event: { ...CalendarEvent, description: "One of the calendar events in the requested time range" },
    next_page_token: Nullable(Type.String(), {
      description: "Token for retrieving the next page of events if more exist",
      default: null,
    }),
  }),
  async *run(input, ctx) {
    let result: { items?: ApiEvent[]; nextPageToken?: string | null };
    let events: CalendarEventData[];
    try {
      const api = googleApi(ctx, "Google Calendar API", CALENDAR_BASE_URL);
      const start = parseStart(input.start_time);
      const end = new Date(start.getTime() + input.time_range_days * 86_400_000);
      result = await api.request(`/calendar/v3/calendars/${encodeURIComponent(input.calendar_id)}/events`, {
        query: {
          timeMin: start.toISOString(),
          timeMax: end.toISOString(),
          maxResults: input.max_events,
          singleEvents: true,
          orderBy: "startTime",
          showDeleted: false,
          showHiddenInvitations: input.include_declined_events,
          pageToken: input.page_token || undefined,
          q: input.search_term || undefined,
        },
      });
      events = (result.items ?? []).map(formatEvent);
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      // AutoGPT reports any failure of this block on its error pin.
      yield ["error", (error as Error).message];
      return;
    }
    if (result.nextPageToken) yield ["next_page_token", result.nextPageToken];
    for (const event of events) yield ["event", event];
    yield ["events", events];
  },
  test: [
    {
      input: {
        credentials: TEST_GOOGLE_CREDENTIALS_INPUT,
        calendar_id: "primary",
        max_events: 5,
        start_time: "2030-01-01T00:00:00+00:00",
        time_range_days: 7,
        search_term: null,
        include_declined_events: false,
        page_token: null,
      },
      context: {
        http: scriptedHttp(() => ({ json: { items: [EXAMPLE_EVENT], nextPageToken: null } })),
        credentials: testCredentials({ ...TEST_GOOGLE_CREDENTIALS_INPUT, access_token: "mock-google-access-token" }),
      },
      output: [
        ["event", EXAMPLE_FORMATTED],
        ["events", [EXAMPLE_FORMATTED]],
      ],
    },
  ],
});

export const calendarBlocks: Block[] = [googleCalendarReadEvents];
