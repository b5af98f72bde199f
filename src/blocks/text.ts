// Text blocks: regex match/extract (Python `re` semantics), Jinja templates, combine, split, replace.
import { Type } from "@sinclair/typebox";
import { AnyValue, Dict, inputs, outputs } from "./fields.js";
import { MAX_REGEX_TEXT } from "./pyregex.js";
import { pyTruthy, pythonJsonDumps } from "./python.js";
import { pyFindAll, renderTemplate, SandboxTimeoutError } from "./sandbox/index.js";
import { type Block, checkOutputLength, defineBlock } from "./sdk.js";

/** Non-text input is matched as its JSON, as AutoGPT does; the cap bounds the regex's work. */
const asText = (text: unknown) => (typeof text === "string" ? text : pythonJsonDumps(text)).slice(0, MAX_REGEX_TEXT);

export const matchTextPattern = defineBlock({
  id: "3060088f-6ed9-4928-9ba7-9c92823a7ccd",
  name: "MatchTextPatternBlock",
  description:
    "Matches text against a regex pattern and forwards data to positive or negative output based on the match.",
  categories: ["TEXT"],
  input: inputs({
    text: AnyValue({ description: "Text to match" }),
    match: Type.String({ description: "Pattern (Regex) to match" }),
    data: AnyValue({ description: "Data to be forwarded to output" }),
    case_sensitive: Type.Boolean({ description: "Case sensitive match", default: true }),
    dot_all: Type.Boolean({ description: "Dot matches all", default: true }),
  }),
  output: outputs({
    positive: AnyValue({ description: "Output data if match is found" }),
    negative: AnyValue({ description: "Output data if match is not found" }),
  }),
  async *run({ text, match, data, case_sensitive, dot_all }, ctx) {
    const forwarded = pyTruthy(data) ? data : text;
    const found = await pyFindAll(match, asText(text), {
      ignoreCase: !case_sensitive,
      dotAll: dot_all,
      signal: ctx.signal,
    });
    yield [found.length > 0 ? "positive" : "negative", forwarded];
  },
  test: [
    { input: { text: "ABC", match: "ab", data: "X", case_sensitive: false }, output: [["positive", "X"]] },
    { input: { text: "ABC", match: "ab", data: "Y", case_sensitive: true }, output: [["negative", "Y"]] },
    { input: { text: "Hello World!", match: ".orld.+", data: "Z" }, output: [["positive", "Z"]] },
    { input: { text: "Hello World!", match: "World![a-z]+", data: "Z" }, output: [["negative", "Z"]] },
    { input: { text: { k: "v" }, match: '"k": "v"', data: 1 }, output: [["positive", 1]] },
  ],
});

const MAX_MATCHES = 1000;
const MAX_MATCH_LENGTH = 10_000;

export const extractTextInformation = defineBlock({
  id: "3146e4fe-2cdd-4f29-bd12-0c9d5bb4deb0",
  name: "ExtractTextInformationBlock",
  description: "This block extracts the text from the given text using the pattern (regex).",
  categories: ["TEXT"],
  input: inputs({
    text: AnyValue({ description: "Text to parse" }),
    pattern: Type.String({ description: "Pattern (Regex) to parse" }),
    group: Type.Integer({ description: "Group number to extract", default: 0 }),
    case_sensitive: Type.Boolean({ description: "Case sensitive match", default: true }),
    dot_all: Type.Boolean({ description: "Dot matches all", default: true }),
    find_all: Type.Boolean({ description: "Find all matches", default: false }),
  }),
  output: outputs({
    positive: Type.String({ description: "Extracted text" }),
    negative: Type.String({ description: "Original text" }),
    matched_results: Type.Array(Type.String(), { description: "List of matched results" }),
    matched_count: Type.Integer({ description: "Number of matched results" }),
  }),
  async *run({ text, pattern, group, case_sensitive, dot_all, find_all }, ctx) {
    let matches: (string | null)[] = [];
    try {
      const found = await pyFindAll(pattern, asText(text), {
        ignoreCase: !case_sensitive,
        dotAll: dot_all,
        all: true,
        limit: MAX_MATCHES,
        signal: ctx.signal,
      });
      // A group the pattern does not have yields nothing, as `group <= len(match.groups())` does in AutoGPT.
      matches = found
        .filter((m) => group >= 0 && group < m.length)
        .map((m) => (m[group] === null ? null : (m[group] as string).slice(0, MAX_MATCH_LENGTH)));
    } catch (error) {
      // AutoGPT treats a bad or runaway pattern as "no match" here rather than failing the node.
      if (!(error instanceof SyntaxError || error instanceof SandboxTimeoutError)) throw error;
    }
    if (!find_all) matches = matches.slice(0, 1);
    for (const m of matches) yield ["positive", m];
    if (matches.length === 0) yield ["negative", text];
    yield ["matched_results", matches];
    yield ["matched_count", matches.length];
  },
  test: [
    {
      input: { text: "Hello, World!", pattern: "Hello, (.+)", group: 1 },
      output: [
        ["positive", "World!"],
        ["matched_results", ["World!"]],
        ["matched_count", 1],
      ],
    },
    {
      input: { text: "Hello, World!", pattern: "Hello, (.+)", group: 0 },
      output: [
        ["positive", "Hello, World!"],
        ["matched_results", ["Hello, World!"]],
        ["matched_count", 1],
      ],
    },
    {
      input: { text: "Hello, World!", pattern: "Hello, (.+)", group: 2 },
      output: [
        ["negative", "Hello, World!"],
        ["matched_results", []],
        ["matched_count", 0],
      ],
    },
    {
      input: { text: "Hello, World!", pattern: "hello,", case_sensitive: false },
      output: [
        ["positive", "Hello,"],
        ["matched_results", ["Hello,"]],
        ["matched_count", 1],
      ],
    },
    {
      input: { text: "Hello, World!! Hello, Earth!!", pattern: "Hello, (\\S+)", group: 1, find_all: false },
      output: [
        ["positive", "World!!"],
        ["matched_results", ["World!!"]],
        ["matched_count", 1],
      ],
    },
    {
      input: { text: "Hello, World!! Hello, Earth!!", pattern: "Hello, (\\S+)", group: 1, find_all: true },
      output: [
        ["positive", "World!!"],
        ["positive", "Earth!!"],
        ["matched_results", ["World!!", "Earth!!"]],
        ["matched_count", 2],
      ],
    },
    {
      input: { text: "id=42, id=7", pattern: "id=(?P<n>\\d+)", group: 1, find_all: true },
      output: [
        ["positive", "42"],
        ["positive", "7"],
        ["matched_results", ["42", "7"]],
        ["matched_count", 2],
      ],
    },
  ],
});

export const fillTextTemplate = defineBlock({
  id: "db7d8f02-2f44-4c55-ab7a-eae0941f0c30",
  name: "FillTextTemplateBlock",
  description: "This block formats the given texts using the format template.",
  categories: ["TEXT"],
  input: inputs({
    values: Dict({
      description:
        "Values (dict) to be used in format. These values can be used by putting them in double curly braces in the format template. e.g. {{value_name}}.",
    }),
    format: Type.String({ description: "Template to format the text using `values`. Use Jinja2 syntax." }),
    escape_html: Type.Boolean({
      default: false,
      advanced: true,
      description:
        "Whether to escape special characters in the inserted values to be HTML-safe. Enable for HTML output, disable for plain text.",
    }),
  }),
  output: outputs({ output: Type.String({ description: "Formatted text" }) }),
  async *run({ values, format, escape_html }, ctx) {
    yield ["output", await renderTemplate(format, values, { autoescape: escape_html, signal: ctx.signal })];
  },
  test: [
    {
      input: { values: { name: "Alice", hello: "Hello", world: "World!" }, format: "{{hello}}, {{ world }} {{name}}" },
      output: [["output", "Hello, World! Alice"]],
    },
    {
      input: { values: { list: ["Hello", " World!"] }, format: "{% for item in list %}{{ item }}{% endfor %}" },
      output: [["output", "Hello World!"]],
    },
    {
      input: { values: {}, format: "{% set name = 'Alice' %}Hello, World! {{ name }}" },
      output: [["output", "Hello, World! Alice"]],
    },
    {
      input: { values: { user: { name: "bob" }, n: 1.23456 }, format: "{{ user.name|title }} {{ n|format('%.2f') }}" },
      output: [["output", "Bob 1.23"]],
    },
  ],
});

export const combineTexts = defineBlock({
  id: "e30a4d42-7b7d-4e6a-b36e-1f9b8e3b7d85",
  name: "CombineTextsBlock",
  description: "This block combines multiple input texts into a single output text.",
  categories: ["TEXT"],
  input: inputs({
    input: Type.Array(Type.String(), { description: "text input to combine" }),
    delimiter: Type.String({ description: "Delimiter to combine texts", default: "" }),
  }),
  output: outputs({ output: Type.String({ description: "Combined text" }) }),
  async *run({ input, delimiter }, ctx) {
    let length = Math.max(0, input.length - 1) * delimiter.length;
    for (const text of input) length += text.length;
    checkOutputLength(length, ctx, "combined text");
    yield ["output", input.join(delimiter)];
  },
  test: [
    {
      input: { input: ["Hello world I like ", "cake and to go for walks"] },
      output: [["output", "Hello world I like cake and to go for walks"]],
    },
    { input: { input: ["This is a test", "Hi!"], delimiter: "! " }, output: [["output", "This is a test! Hi!"]] },
  ],
});

export const textSplit = defineBlock({
  id: "d5ea33c8-a575-477a-b42f-2fe3be5055ec",
  name: "TextSplitBlock",
  description: "This block is used to split a text into a list of strings.",
  categories: ["TEXT"],
  input: inputs({
    text: Type.String({ description: "The text to split." }),
    delimiter: Type.String({ description: "The delimiter to split the text by." }),
    strip: Type.Boolean({ description: "Whether to strip the text.", default: true }),
  }),
  output: outputs({ texts: Type.Array(Type.String(), { description: "The text split into a list of strings." }) }),
  async *run({ text, delimiter, strip }) {
    if (text.length === 0) {
      yield ["texts", []];
      return;
    }
    // Python's str.split("") raises; say so the same way rather than splitting into characters.
    if (delimiter === "") throw new Error("empty separator");
    const parts = text.split(delimiter);
    yield ["texts", strip ? parts.map((p) => p.trim()) : parts];
  },
  test: [
    { input: { text: "Hello, World!", delimiter: "," }, output: [["texts", ["Hello", "World!"]]] },
    { input: { text: "Hello, World!", delimiter: ",", strip: false }, output: [["texts", ["Hello", " World!"]]] },
    { input: { text: "", delimiter: "," }, output: [["texts", []]] },
  ],
});

/** How many times `replaceAll(part, ...)` replaces in `text`: between every character (and at both ends) for "". */
function occurrences(text: string, part: string): number {
  if (part === "") return text.length + 1;
  let n = 0;
  for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + part.length)) n++;
  return n;
}

export const textReplace = defineBlock({
  id: "7e7c87ab-3469-4bcc-9abe-67705091b713",
  name: "TextReplaceBlock",
  description: "This block is used to replace a text with a new text.",
  categories: ["TEXT"],
  input: inputs({
    text: Type.String({ description: "The text to replace." }),
    old: Type.String({ description: "The old text to replace." }),
    new: Type.String({ description: "The new text to replace with." }),
  }),
  output: outputs({ output: Type.String({ description: "The text with the replaced text." }) }),
  async *run({ text, old, new: replacement }, ctx) {
    // Python's replace("", x) inserts x between every character; JS replaceAll("", x) does the same.
    if (replacement.length > old.length) {
      checkOutputLength(text.length + occurrences(text, old) * (replacement.length - old.length), ctx, "replaced text");
    }
    yield ["output", text.replaceAll(old, () => replacement)];
  },
  test: [
    { input: { text: "Hello, World!", old: "Hello", new: "Hi" }, output: [["output", "Hi, World!"]] },
    { input: { text: "a$b$c", old: "$", new: "$$" }, output: [["output", "a$$b$$c"]] },
  ],
});

export const textBlocks: Block[] = [
  matchTextPattern,
  extractTextInformation,
  fillTextTemplate,
  combineTexts,
  textSplit,
  textReplace,
];
