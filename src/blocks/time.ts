// Clock blocks: current time/date/date-time in a chosen timezone (strftime or ISO 8601) and the countdown timer.
import { type TSchema, Type } from "@sinclair/typebox";
import { sleep } from "../core/sleep.js";
import { AnyValue, inputs, outputs, StringEnum } from "./fields.js";
import { type Block, defineBlock } from "./sdk.js";

const TIMEZONES = [
  "UTC",
  "Pacific/Honolulu",
  "America/Anchorage",
  "America/Los_Angeles",
  "America/Denver",
  "America/Chicago",
  "America/New_York",
  "America/Caracas",
  "America/Sao_Paulo",
  "America/St_Johns",
  "Atlantic/South_Georgia",
  "Atlantic/Azores",
  "Europe/London",
  "Europe/Paris",
  "Europe/Athens",
  "Europe/Moscow",
  "Asia/Tehran",
  "Asia/Dubai",
  "Asia/Kabul",
  "Asia/Karachi",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Asia/Dhaka",
  "Asia/Yangon",
  "Asia/Bangkok",
  "Asia/Shanghai",
  "Australia/Eucla",
  "Asia/Tokyo",
  "Australia/Adelaide",
  "Australia/Sydney",
  "Australia/Lord_Howe",
  "Pacific/Noumea",
  "Pacific/Auckland",
  "Pacific/Chatham",
  "Pacific/Tongatapu",
  "Pacific/Kiritimati",
  "Etc/GMT-12",
  "Etc/GMT+12",
] as const;

/** Wall-clock fields of an instant in a timezone, plus that zone's UTC offset in minutes then. */
interface ZonedTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  weekday: number; // 0 = Sunday
  offsetMinutes: number;
  zoneName: string;
}

function zoned(instant: Date, timeZone: string): ZonedTime {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      timeZoneName: "short",
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const z = {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    millisecond: instant.getUTCMilliseconds(),
  };
  const asUtc = Date.UTC(z.year, z.month - 1, z.day, z.hour, z.minute, z.second, z.millisecond);
  const offsetMinutes = Math.round((asUtc - instant.getTime()) / 60_000);
  const weekday = new Date(Date.UTC(z.year, z.month - 1, z.day)).getUTCDay();
  return {
    ...z,
    weekday,
    offsetMinutes,
    zoneName: timeZone === "UTC" ? "UTC" : String(parts.timeZoneName ?? timeZone),
  };
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function offsetText(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ":" : ""}${pad(abs % 60)}`;
}

/** Python's datetime.strftime for the usual directives (and glibc's %-d style unpadded forms). */
export function strftime(t: ZonedTime, format: string): string {
  const dayOfYear = Math.floor((Date.UTC(t.year, t.month - 1, t.day) - Date.UTC(t.year, 0, 1)) / 86_400_000) + 1;
  const hour12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
  const fields: Record<string, () => string | number> = {
    a: () => DAYS[t.weekday].slice(0, 3),
    A: () => DAYS[t.weekday],
    w: () => t.weekday,
    d: () => pad(t.day),
    b: () => MONTHS[t.month - 1].slice(0, 3),
    h: () => MONTHS[t.month - 1].slice(0, 3),
    B: () => MONTHS[t.month - 1],
    m: () => pad(t.month),
    y: () => pad(t.year % 100),
    Y: () => t.year,
    H: () => pad(t.hour),
    I: () => pad(hour12),
    p: () => (t.hour < 12 ? "AM" : "PM"),
    M: () => pad(t.minute),
    S: () => pad(t.second),
    f: () => pad(t.millisecond * 1000, 6),
    z: () => offsetText(t.offsetMinutes, false),
    Z: () => t.zoneName,
    j: () => pad(dayOfYear, 3),
    e: () => String(t.day).padStart(2, " "),
    F: () => `${t.year}-${pad(t.month)}-${pad(t.day)}`,
    T: () => `${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`,
    R: () => `${pad(t.hour)}:${pad(t.minute)}`,
    D: () => `${pad(t.month)}/${pad(t.day)}/${pad(t.year % 100)}`,
    c: () =>
      `${DAYS[t.weekday].slice(0, 3)} ${MONTHS[t.month - 1].slice(0, 3)} ${String(t.day).padStart(2, " ")} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)} ${t.year}`,
    x: () => `${pad(t.month)}/${pad(t.day)}/${pad(t.year % 100)}`,
    X: () => `${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`,
    "%": () => "%",
  };
  return format.replace(/%(-?)([A-Za-z%])/g, (whole, unpadded: string, directive: string) => {
    const field = fields[directive];
    if (!field) return whole;
    const text = String(field());
    return unpadded ? text.replace(/^[0 ]+(?=.)/, "") : text;
  });
}

function isoDateTime(t: ZonedTime, microseconds: boolean): string {
  const frac = microseconds ? `.${pad(t.millisecond * 1000, 6)}` : "";
  return `${t.year}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${frac}${offsetText(t.offsetMinutes, true)}`;
}

const Timezone = StringEnum(TIMEZONES, { title: "Timezone", default: "UTC" });
const discriminatorPin = (value: string) => Type.Literal(value, { title: "Discriminator" });
const useUserTimezone = Type.Boolean({ title: "Use User Timezone", default: false });

/** AutoGPT's discriminated union of a strftime and an ISO 8601 format, serialized as oneOf + discriminator. */
function formatType(
  strftimeName: string,
  isoName: string,
  defaultFormat: string,
  withMicroseconds: boolean,
  description: string,
) {
  const strftimeOption = Type.Object(
    {
      discriminator: discriminatorPin("strftime"),
      format: Type.String({ title: "Format", default: defaultFormat }),
      timezone: Timezone,
      use_user_timezone: useUserTimezone,
    },
    { title: strftimeName },
  );
  const isoProps: Record<string, TSchema> = {
    discriminator: discriminatorPin("iso8601"),
    timezone: Timezone,
    use_user_timezone: useUserTimezone,
  };
  if (withMicroseconds) isoProps.include_microseconds = Type.Boolean({ title: "Include Microseconds", default: false });
  const isoOption = Type.Object(isoProps, { title: isoName });
  for (const option of [strftimeOption, isoOption]) option.required = ["discriminator"];
  return Type.Union([strftimeOption, isoOption], {
    description,
    discriminator: {
      propertyName: "discriminator",
      mapping: { strftime: `#/$defs/${strftimeName}`, iso8601: `#/$defs/${isoName}` },
    },
    default: { discriminator: "strftime", format: defaultFormat, timezone: "UTC", use_user_timezone: false },
  });
}

interface FormatChoice {
  discriminator: "strftime" | "iso8601";
  format?: string;
  timezone?: string;
  include_microseconds?: boolean;
}

/** Fills a format choice's own defaults (a partial choice is valid input, as pydantic fills it). */
function choose(value: unknown, defaultFormat: string): Required<FormatChoice> {
  const v = (value ?? {}) as FormatChoice;
  return {
    discriminator: v.discriminator ?? "strftime",
    format: v.format ?? defaultFormat,
    // There is no per-user timezone here, so use_user_timezone falls back to the chosen zone.
    timezone: v.timezone ?? "UTC",
    include_microseconds: v.include_microseconds ?? false,
  };
}

const trigger = (what: string) => Type.String({ description: `Trigger any data to output the current ${what}` });

export const getCurrentTime = defineBlock({
  id: "a892b8d9-3e4e-4e9c-9c1e-75f8efcf1bfa",
  name: "GetCurrentTimeBlock",
  description: "This block outputs the current time.",
  categories: ["TEXT"],
  input: inputs({
    trigger: trigger("time"),
    format_type: formatType(
      "TimeStrftimeFormat",
      "TimeISO8601Format",
      "%H:%M:%S",
      true,
      "Format type for time output (strftime with custom format or ISO 8601)",
    ),
  }),
  output: outputs({ time: Type.String({ description: "Current time in the specified format (default: %H:%M:%S)" }) }),
  async *run({ format_type }) {
    const f = choose(format_type, "%H:%M:%S");
    const t = zoned(new Date(), f.timezone);
    yield [
      "time",
      f.discriminator === "iso8601"
        ? `T${isoDateTime(t, f.include_microseconds).split("T")[1]}`
        : strftime(t, f.format),
    ];
  },
  test: [
    {
      input: { trigger: "Hello" },
      output: [["time", (v: unknown) => typeof v === "string" && /^\d{2}:\d{2}:\d{2}$/.test(v)]],
    },
    {
      input: { trigger: "Hello", format_type: { discriminator: "strftime", format: "%H:%M" } },
      output: [["time", (v: unknown) => typeof v === "string" && /^\d{2}:\d{2}$/.test(v)]],
    },
    {
      input: {
        trigger: "Hello",
        format_type: { discriminator: "iso8601", timezone: "UTC", include_microseconds: false },
      },
      output: [["time", (v: unknown) => typeof v === "string" && /^T\d{2}:\d{2}:\d{2}\+00:00$/.test(v)]],
    },
  ],
});

export const getCurrentDate = defineBlock({
  id: "b29c1b50-5d0e-4d9f-8f9d-1b0e6fcbf0b1",
  name: "GetCurrentDateBlock",
  description: "This block outputs the current date with an optional offset.",
  categories: ["TEXT"],
  input: inputs({
    trigger: trigger("date"),
    offset: Type.Union([Type.Integer(), Type.String()], {
      title: "Days Offset",
      description: "Offset in days from the current date",
      default: 0,
    }),
    format_type: formatType(
      "DateStrftimeFormat",
      "DateISO8601Format",
      "%Y-%m-%d",
      false,
      "Format type for date output (strftime with custom format or ISO 8601)",
    ),
  }),
  output: outputs({ date: Type.String({ description: "Current date in the specified format (default: YYYY-MM-DD)" }) }),
  async *run({ offset, format_type }) {
    const f = choose(format_type, "%Y-%m-%d");
    // Python's int(offset): whole numbers only, anything else counts as no offset.
    const text = String(offset).trim();
    const days = /^[+-]?\d+$/.test(text) ? Number(text) : 0;
    // AutoGPT subtracts the offset: a positive offset counts days back.
    const t = zoned(new Date(Date.now() - days * 86_400_000), f.timezone);
    yield ["date", f.discriminator === "iso8601" ? `${t.year}-${pad(t.month)}-${pad(t.day)}` : strftime(t, f.format)];
  },
  test: [
    {
      input: { trigger: "Hello", offset: "7" },
      output: [
        ["date", (v: unknown) => typeof v === "string" && Math.abs(Date.now() - Date.parse(v)) <= 8 * 86_400_000],
      ],
    },
    {
      input: { trigger: "Hello", offset: "7", format_type: { discriminator: "strftime", format: "%m/%d/%Y" } },
      output: [["date", (v: unknown) => typeof v === "string" && /^\d{2}\/\d{2}\/\d{4}$/.test(v)]],
    },
    {
      input: { trigger: "Hello", offset: "0", format_type: { discriminator: "iso8601", timezone: "UTC" } },
      output: [["date", (v: unknown) => v === new Date().toISOString().slice(0, 10)]],
    },
  ],
});

export const getCurrentDateAndTime = defineBlock({
  id: "716a67b3-6760-42e7-86dc-18645c6e00fc",
  name: "GetCurrentDateAndTimeBlock",
  description: "This block outputs the current date and time.",
  categories: ["TEXT"],
  input: inputs({
    trigger: trigger("date and time"),
    format_type: formatType(
      "StrftimeFormat",
      "ISO8601Format",
      "%Y-%m-%d %H:%M:%S",
      true,
      "Format type for date and time output (strftime with custom format or ISO 8601/RFC 3339)",
    ),
  }),
  output: outputs({
    date_time: Type.String({
      description: "Current date and time in the specified format (default: YYYY-MM-DD HH:MM:SS)",
    }),
  }),
  async *run({ format_type }) {
    const f = choose(format_type, "%Y-%m-%d %H:%M:%S");
    const t = zoned(new Date(), f.timezone);
    yield ["date_time", f.discriminator === "iso8601" ? isoDateTime(t, f.include_microseconds) : strftime(t, f.format)];
  },
  test: [
    {
      input: { trigger: "Hello" },
      output: [
        [
          "date_time",
          (v: unknown) =>
            typeof v === "string" && Math.abs(Date.now() - Date.parse(`${v.replace(" ", "T")}Z`)) < 10_000,
        ],
      ],
    },
    {
      input: { trigger: "Hello", format_type: { discriminator: "strftime", format: "%Y/%m/%d" } },
      output: [["date_time", (v: unknown) => typeof v === "string" && /^\d{4}\/\d{2}\/\d{2}$/.test(v)]],
    },
    {
      input: { trigger: "Hello", format_type: { discriminator: "iso8601", timezone: "Asia/Kolkata" } },
      output: [
        [
          "date_time",
          (v: unknown) =>
            typeof v === "string" && v.endsWith("+05:30") && Math.abs(Date.now() - Date.parse(v)) < 10_000,
        ],
      ],
    },
  ],
});

const duration = (unit: string) =>
  Type.Union([Type.Integer(), Type.String()], { advanced: false, description: `Duration in ${unit}`, default: 0 });

/** CountdownTimerBlock's `repeat` above this is refused: each repeat is a yield, and every yield may start nodes. */
export const MAX_TIMER_REPEAT = 10_000;

function wholeNumber(value: number | string, field: string): number {
  const n = typeof value === "number" ? value : Number(value.trim());
  if (!Number.isInteger(n)) throw new Error(`invalid literal for int() with base 10: '${value}' (${field})`);
  return n;
}

export const countdownTimer = defineBlock({
  id: "d67a9c52-5e4e-11e2-bcfd-0800200c9a71",
  name: "CountdownTimerBlock",
  description: "This block triggers after a specified duration.",
  categories: ["TEXT"],
  // A timer waits by design: bounded by the run's wall time and stop, not the node timeout.
  nodeTimeout: false,
  input: inputs({
    input_message: AnyValue({
      advanced: false,
      description: "Message to output after the timer finishes",
      default: "timer finished",
    }),
    seconds: duration("seconds"),
    minutes: duration("minutes"),
    hours: duration("hours"),
    days: duration("days"),
    repeat: Type.Integer({ description: "Number of times to repeat the timer", default: 1 }),
  }),
  output: outputs({ output_message: AnyValue({ description: "Message after the timer finishes" }) }),
  async *run({ input_message, seconds, minutes, hours, days, repeat }, ctx) {
    const total =
      wholeNumber(seconds, "seconds") +
      wholeNumber(minutes, "minutes") * 60 +
      wholeNumber(hours, "hours") * 3600 +
      wholeNumber(days, "days") * 86_400;
    if (repeat > MAX_TIMER_REPEAT) throw new Error(`repeat must be at most ${MAX_TIMER_REPEAT}, got ${repeat}`);
    for (let i = 0; i < repeat; i++) {
      if (total > 0) await sleep(total * 1000, ctx.signal);
      yield ["output_message", input_message];
    }
  },
  test: [
    { input: { seconds: 1 }, output: [["output_message", "timer finished"]] },
    { input: { input_message: "Custom message" }, output: [["output_message", "Custom message"]] },
    {
      input: { input_message: 7, repeat: 2 },
      output: [
        ["output_message", 7],
        ["output_message", 7],
      ],
    },
  ],
});

export const timeBlocks: Block[] = [getCurrentTime, getCurrentDate, getCurrentDateAndTime, countdownTimer];
