// Python `re` patterns run as JS RegExps: the syntax translated; matching runs in the sandbox (src/blocks/sandbox).

export interface PyRegexFlags {
  ignoreCase?: boolean;
  dotAll?: boolean;
}

/** Longest text a block will search; AutoGPT caps ExtractTextInformationBlock at the same size. */
export const MAX_REGEX_TEXT = 1_000_000;

export interface PyFindOptions extends PyRegexFlags {
  all?: boolean;
  limit?: number;
}

/** One match: group 0 then each capture group (null where the group did not take part). */
export type PyMatch = (string | null)[];

/**
 * Translates a Python pattern to JS source and flags. Python accepts things JS's unicode mode rejects
 * (`\#`, a lone `{` or `]`, `{,n}`), spells a few differently (`(?P<n>`, `(?P=n)`, `\A`, `\Z`, `\U0001F600`),
 * and its `\w`/`\d` are Unicode-aware.
 */
export function translatePattern(pattern: string, flags: PyRegexFlags = {}): { source: string; flags: string } {
  let ignoreCase = flags.ignoreCase ?? false;
  let dotAll = flags.dotAll ?? false;
  let multiline = false;
  let i = 0;
  // Global inline flags at the start, e.g. (?i) or (?ms).
  for (let m = /^\(\?([aiLmsux]+)\)/.exec(pattern); m; m = /^\(\?([aiLmsux]+)\)/.exec(pattern.slice(i))) {
    for (const f of m[1]) {
      if (f === "i") ignoreCase = true;
      else if (f === "s") dotAll = true;
      else if (f === "m") multiline = true;
      else if (f === "x") throw new SyntaxError("verbose patterns (?x) are not supported");
    }
    i += m[0].length;
  }

  let out = "";
  let inClass = false;
  const syntax = new Set([..."^$\\.*+?()[]{}|/"]);
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) throw new SyntaxError("bad escape (end of pattern)");
      const esc = translateEscape(pattern, i, inClass);
      if (esc) {
        out += esc.text;
        i = esc.end;
        continue;
      }
      // Python lets any non-alphanumeric character be escaped; unicode-mode JS only syntax characters (and '-' in a class).
      if (/[A-Za-z0-9]/.test(next) || syntax.has(next) || (inClass && next === "-")) out += `\\${next}`;
      else out += next;
      i += 2;
      continue;
    }
    if (inClass) {
      if (ch === "]" && !out.endsWith("[") && !out.endsWith("[^")) inClass = false;
      else if (ch === "[") {
        out += "\\[";
        i++;
        continue;
      }
      out += ch;
      i++;
      continue;
    }
    if (ch === "[") {
      inClass = true;
      out += "[";
      i++;
      if (pattern[i] === "^") {
        out += "^";
        i++;
      }
      // A ']' first in a Python class is a literal.
      if (pattern[i] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (ch === "(" && pattern[i + 1] === "?") {
      const rest = pattern.slice(i);
      const named = /^\(\?P<([A-Za-z_]\w*)>/.exec(rest);
      const backref = /^\(\?P=([A-Za-z_]\w*)\)/.exec(rest);
      const comment = /^\(\?#[^)]*\)/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += named[0].length;
      } else if (backref) {
        out += `\\k<${backref[1]}>`;
        i += backref[0].length;
      } else if (comment) {
        i += comment[0].length;
      } else if (/^\(\?(:|=|!|<=|<!|<[A-Za-z_])/.test(rest)) {
        out += "(?";
        i += 2;
      } else {
        throw new SyntaxError(`unsupported group syntax at position ${i}: ${rest.slice(0, 6)}`);
      }
      continue;
    }
    if (ch === "{") {
      const m = /^\{(\d*)(,?)(\d*)\}/.exec(pattern.slice(i));
      if (m && (m[1] !== "" || (m[2] === "," && m[3] !== ""))) {
        out += `{${m[1] || "0"}${m[2]}${m[3]}}`;
        i += m[0].length;
        if (pattern[i] === "+") throw new SyntaxError("possessive quantifiers are not supported");
      } else {
        out += "\\{";
        i++;
      }
      continue;
    }
    if (ch === "}" || ch === "]") {
      out += `\\${ch}`;
      i++;
      continue;
    }
    if ((ch === "+" || ch === "*" || ch === "?") && pattern[i + 1] === "+") {
      throw new SyntaxError("possessive quantifiers are not supported");
    }
    if (ch === "$" && !multiline) {
      // Python's `$` also matches before a final newline.
      out += "(?=\\n?$)";
      i++;
      continue;
    }
    out += ch;
    i++;
  }
  if (inClass) throw new SyntaxError("unterminated character set");
  return { source: out, flags: `u${ignoreCase ? "i" : ""}${dotAll ? "s" : ""}${multiline ? "m" : ""}` };
}

const WORD = String.raw`\p{L}\p{N}_`;

function translateEscape(pattern: string, i: number, inClass: boolean): { text: string; end: number } | undefined {
  const next = pattern[i + 1];
  switch (next) {
    case "A":
      return { text: String.raw`(?<![\s\S])`, end: i + 2 };
    case "Z":
      return { text: String.raw`(?![\s\S])`, end: i + 2 };
    case "w":
      return { text: inClass ? WORD : `[${WORD}]`, end: i + 2 };
    case "W":
      return inClass ? undefined : { text: `[^${WORD}]`, end: i + 2 };
    case "d":
      return { text: String.raw`\p{Nd}`, end: i + 2 };
    case "D":
      return { text: String.raw`\P{Nd}`, end: i + 2 };
    case "U": {
      const hex = pattern.slice(i + 2, i + 10);
      if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new SyntaxError("bad escape \\U");
      return { text: `\\u{${hex.replace(/^0+(?=.)/, "")}}`, end: i + 10 };
    }
    case "N":
      throw new SyntaxError("named unicode escapes \\N{...} are not supported");
    default:
      return undefined;
  }
}

/**
 * Finds the first match (or all, up to `limit`) of a Python pattern. Throws SyntaxError for a bad pattern.
 * A pattern can backtrack for ever: call this only where it can be interrupted (the sandbox worker).
 */
export function pyFindAllUnbounded(pattern: string, text: string, options: PyFindOptions = {}): PyMatch[] {
  const { source, flags } = translatePattern(pattern, options);
  const all = options.all ?? false;
  const limit = options.limit ?? 1000;
  const re = new RegExp(source, flags + (all ? "g" : ""));
  const found: PyMatch[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    found.push(Array.from(m, (g) => (g === undefined ? null : g)));
    if (!all || found.length >= limit) break;
    if (m[0] === "") re.lastIndex += 1;
  }
  return found;
}
