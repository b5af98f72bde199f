// The one registry of string formats: the route validator (Fastify's Ajv) and the block input validator (TypeBox)
// both check `format` against these definitions, so a value valid for a route is valid for a block pin.
import { FormatRegistry } from "@sinclair/typebox";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2})(?::?(\d{2}))?)$/;
const EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

function isDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** RFC 3339 date-time: a real calendar date, a time of day, and an offset (Z or ±hh:mm). */
function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m || !isDate(m[1])) return false;
  const [hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (hour > 23 || minute > 59 || second > 60) return false;
  return m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8] ?? 0) <= 59);
}

const anything = () => true;

/**
 * Every format either validator knows. `time` is pydantic's (seconds and offset optional), as block pins take it;
 * `binary` is an OpenAPI annotation; AutoGPT's UI hints (file, short-text, long-text...) accept any string.
 */
export const FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  date: isDate,
  time: (v) => /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v),
  "date-time": isDateTime,
  email: (v) => EMAIL.test(v),
  uri: (v) => /^[a-z][a-z0-9+.-]*:/i.test(v) && URL.canParse(v),
  uuid: (v) => UUID.test(v),
  binary: anything,
  file: anything,
  "short-text": anything,
  "long-text": anything,
};

/** Checks `value` against a format; one nobody defined is a UI hint and accepts anything. */
export function checkFormat(format: string, value: string): boolean {
  return (FORMATS[format] ?? anything)(value);
}

/**
 * Fastify's Ajv plugin (its name tells Fastify not to add ajv-formats): the routes' formats are these. The Ajv
 * type is structural so that this module needs no Ajv import.
 */
export function formatsPlugin<A extends { addFormat(name: string, format: (value: string) => boolean): unknown }>(
  ajv: A,
): A {
  for (const [name, check] of Object.entries(FORMATS)) ajv.addFormat(name, check);
  return ajv;
}

/** TypeBox's side: a format a block's schema uses is registered once, unknown ones as hints. */
export function useFormat(format: string): void {
  if (!FormatRegistry.Has(format)) FormatRegistry.Set(format, (value) => checkFormat(format, value));
}
