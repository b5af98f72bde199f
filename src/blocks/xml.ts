// AutoGPT's XMLParserBlock: XML text to the nested dict its gravitasml parser builds, with a safe parser underneath
// (fast-xml-parser, entities never expanded, DTDs and processing instructions refused before parsing).
import { Type } from "@sinclair/typebox";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { Dict, inputs, outputs } from "./fields.js";
import { type Block, defineBlock } from "./sdk.js";

/** AutoGPT's bounds: input characters, characters inside one tag, element nesting. */
export const MAX_XML_SIZE = 10 * 1024 * 1024;
const MAX_XML_TAG_LENGTH = 4_096;
const MAX_XML_DEPTH = 256;

class XmlError extends Error {}

/**
 * One linear pass over the tags, before any parser runs: every `<` has its `>` with no `<` between, tags are
 * bounded, nesting is at most MAX_XML_DEPTH, and there is no DOCTYPE, entity declaration, CDATA or processing
 * instruction (AutoGPT refuses them all; a leading `<?xml ...?>` declaration is allowed here).
 */
function checkTags(xml: string): void {
  let position = 0;
  let depth = 0;
  let rootSeen = false;
  const outside = (text: string) => {
    if (depth === 0 && text.trim())
      throw new XmlError("XML contains text outside the root element; wrap content in a single root tag.");
  };
  const declaration = /^\s*<\?xml[\s?]/.exec(xml);
  if (declaration) {
    const end = xml.indexOf("?>", declaration[0].length);
    if (end === -1) throw new XmlError("Unclosed XML declaration.");
    position = end + 2;
  }
  for (;;) {
    const start = xml.indexOf("<", position);
    outside(xml.slice(position, start === -1 ? undefined : start));
    if (start === -1) break;
    if (xml.startsWith("<!--", start)) {
      const end = xml.indexOf("-->", start + 4);
      if (end === -1) throw new XmlError("Unclosed XML comment.");
      position = end + 3;
      continue;
    }
    const end = xml.indexOf(">", start + 1);
    if (end === -1) throw new XmlError("Unclosed tag delimiter in XML input.");
    if (xml.lastIndexOf("<", end) !== start) throw new XmlError("Nested '<' delimiter in XML tag.");
    const tag = xml.slice(start + 1, end).trim();
    if (!tag) throw new XmlError("Empty XML tag.");
    if (tag.length > MAX_XML_TAG_LENGTH)
      throw new XmlError(`XML tag exceeds the ${MAX_XML_TAG_LENGTH} character limit.`);
    if (tag.startsWith("!") || tag.startsWith("?"))
      throw new XmlError("XML declarations and directives are not supported.");
    if (tag.startsWith("/")) {
      depth -= 1;
      if (depth < 0) throw new XmlError("Unexpected closing tag in XML input.");
    } else {
      if (depth === 0 && rootSeen) throw new XmlError("XML must have a single root element.");
      rootSeen = true;
      if (tag.endsWith("/")) {
        position = end + 1;
        continue;
      }
      depth += 1;
      if (depth > MAX_XML_DEPTH) throw new XmlError(`XML nesting exceeds the maximum depth of ${MAX_XML_DEPTH}.`);
    }
    position = end + 1;
  }
  if (depth !== 0) throw new XmlError("Unclosed tag detected in XML input.");
  if (!rootSeen) throw new XmlError("XML must include a root element.");
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  allowBooleanAttributes: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
});

/** fast-xml-parser's ordered form: `{tag: children, ":@"?: attributes}` or `{"#text": text}`. */
type Item = Record<string, unknown>;
const ATTRS = ":@";
const TEXT = "#text";

/** gravitasml's tag key: the tag's whole inside, whitespace runs as `_`, lower-cased (attributes included). */
function keyOf(item: Item): string {
  const tag = Object.keys(item).find((k) => k !== ATTRS) as string;
  const attrs = (item[ATTRS] ?? {}) as Record<string, unknown>;
  const inside = [tag, ...Object.entries(attrs).map(([k, v]) => (v === true ? k : `${k}="${String(v)}"`))].join(" ");
  return inside.trim().replace(/\s+/g, "_").toLowerCase();
}

const tagOf = (item: Item) => Object.keys(item).find((k) => k !== ATTRS) as string;

/** gravitasml's Node.to_dict: one child nests, distinct children merge, repeated ones become a list. */
function toDict(item: Item): Record<string, unknown> {
  const key = keyOf(item);
  const children = (item[tagOf(item)] ?? []) as Item[];
  const elements = children.filter((c) => !(TEXT in c));
  if (elements.length === 0) {
    const text = children.map((c) => String(c[TEXT]).trim()).join("");
    return { [key]: text };
  }
  return { [key]: collapse(elements) };
}

function collapse(elements: Item[]): unknown {
  if (elements.length === 1) return toDict(elements[0]);
  const keys = elements.map(keyOf);
  // Own properties only (Object.fromEntries defines them): a tag named `__proto__` stays a key, never a prototype.
  if (new Set(keys).size === keys.length) return Object.fromEntries(elements.map((e) => Object.entries(toDict(e))[0]));
  return elements.map(toDict);
}

export function parseXml(xml: string): Record<string, unknown> {
  if (!xml.trim()) throw new XmlError("XML input is empty.");
  checkTags(xml);
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: true });
  if (valid !== true) throw new SyntaxError(valid.err.msg);
  let top: Item[];
  try {
    top = parser.parse(xml) as Item[];
  } catch (e) {
    // fast-xml-parser refuses some names itself (`__proto__`, `constructor`): a bad input, not a crash.
    throw new SyntaxError(e instanceof Error ? e.message : String(e));
  }
  const roots = top.filter((item) => !(TEXT in item));
  if (top.some((item) => TEXT in item && String(item[TEXT]).trim()))
    throw new XmlError("XML contains text outside the root element; wrap content in a single root tag.");
  if (roots.length === 0) throw new XmlError("XML must include a root element.");
  if (roots.length > 1) throw new XmlError("XML must have a single root element.");
  return toDict(roots[0]);
}

export const xmlParser = defineBlock({
  id: "286380af-9529-4b55-8be0-1d7c854abdb5",
  name: "XMLParserBlock",
  description: "Parses XML using gravitasml to tokenize and coverts it to dict",
  categories: [],
  input: inputs({ input_xml: Type.String({ description: "input xml to be parsed" }) }),
  output: outputs({
    parsed_xml: Dict({ description: "output parsed xml to dict" }),
    error: Type.String({ description: "Error in parsing" }),
  }),
  async *run({ input_xml }) {
    if (input_xml.length > MAX_XML_SIZE) {
      yield ["error", `XML too large: ${input_xml.length} bytes > ${MAX_XML_SIZE} bytes`];
      return;
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = parseXml(input_xml);
    } catch (e) {
      if (e instanceof XmlError) yield ["error", `Validation error for dict:${e.message}`];
      else if (e instanceof SyntaxError) yield ["error", `Error in input xml syntax: ${e.message}`];
      else throw e;
      return;
    }
    yield ["parsed_xml", parsed];
  },
  test: [
    {
      input: { input_xml: "<tag1><tag2>content</tag2></tag1>" },
      output: [["parsed_xml", { tag1: { tag2: "content" } }]],
    },
    {
      input: { input_xml: "<tag><a>value</a><a>value</a></tag>" },
      output: [["parsed_xml", { tag: [{ a: "value" }, { a: "value" }] }]],
    },
    {
      input: { input_xml: "\n<Tag>\n  <a>\n    value\n  </a>\n  <b>  x &amp; y </b>\n</Tag>\n" },
      output: [["parsed_xml", { tag: { a: "value", b: "x &amp; y" } }]],
    },
    {
      input: { input_xml: '<?xml version="1.0"?><item id="7"><!-- note --><name>n</name></item>' },
      output: [["parsed_xml", { 'item_id="7"': { name: "n" } }]],
    },
    {
      input: { input_xml: '<!DOCTYPE a SYSTEM "file:///etc/passwd"><a>x</a>' },
      output: [["error", "Validation error for dict:XML declarations and directives are not supported."]],
    },
    {
      input: { input_xml: '<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>' },
      output: [["error", "Validation error for dict:Nested '<' delimiter in XML tag."]],
    },
    {
      input: { input_xml: "<a>1</a> trailing" },
      output: [
        [
          "error",
          "Validation error for dict:XML contains text outside the root element; wrap content in a single root tag.",
        ],
      ],
    },
    {
      input: { input_xml: "<a>1</a><b>2</b>" },
      output: [["error", "Validation error for dict:XML must have a single root element."]],
    },
    {
      input: { input_xml: "<tag1><tag2></tag1></tag2>" },
      output: [["error", (v: unknown) => typeof v === "string" && v.startsWith("Error in input xml syntax: ")]],
    },
    {
      input: { input_xml: "<r><__PROTO__><polluted>1</polluted></__PROTO__><b>2</b></r>" },
      output: [
        [
          "parsed_xml",
          (v: unknown) => {
            const r = (v as { r: Record<string, unknown> }).r;
            return Object.getPrototypeOf(r) === Object.prototype && Object.hasOwn(r, "__proto__") && r.b === "2";
          },
        ],
      ],
    },
    {
      input: { input_xml: "<r><__proto__>1</__proto__></r>" },
      output: [["error", (v: unknown) => typeof v === "string" && v.startsWith("Error in input xml syntax: ")]],
    },
    {
      input: { input_xml: `${"<a>".repeat(300)}${"</a>".repeat(300)}` },
      output: [["error", "Validation error for dict:XML nesting exceeds the maximum depth of 256."]],
    },
  ],
});

export const xmlBlocks: Block[] = [xmlParser];
