// A safe subset of Jinja2 (AutoGPT's sandboxed TextFormatter): {{ }}, {% if/for/set %}, filters and tests, evaluated without eval.

import { SANDBOX_DEFAULTS } from "../config.js";
import { parsePythonFloat } from "../core/convert.js";
import { isRecord, pyCompare, pyEquals, pyLen, pyRepr, pyRound, pyStr, pyTruthy, pyTypeName } from "./python.js";

export class TemplateError extends Error {
  override name = "TemplateError";
}

/** A template that would build too much, run too long or nest too deep; refused before the allocation. */
export class TemplateLimitError extends TemplateError {
  override name = "TemplateLimitError";
}

/** How much one render may build and do. Defaults come from the sandbox config. */
export interface TemplateLimits {
  /** Characters built in total: every new string (intermediate values and output). */
  maxChars: number;
  /** List items and dict entries built in total. */
  maxItems: number;
  /** Evaluation steps: template nodes, expressions and loop iterations. */
  maxSteps: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateLimits = {
  maxChars: SANDBOX_DEFAULTS.templateMaxChars,
  maxItems: SANDBOX_DEFAULTS.templateMaxItems,
  maxSteps: SANDBOX_DEFAULTS.templateMaxSteps,
};

/** Deepest nesting of expressions or of tags; deeper templates are refused while parsing. */
const MAX_DEPTH = 100;
/** Jinja's sandbox refuses larger ranges (MAX_RANGE). */
const MAX_RANGE = 100_000;

export interface RenderOptions {
  /** Escape inserted values for HTML (AutoGPT's escape_html / Jinja autoescape). */
  autoescape?: boolean;
  limits?: Partial<TemplateLimits>;
}

/**
 * What one render has built so far. Allocations that multiply (repetition, padding, joins, replace, range) are
 * charged before they happen; those proportional to a value that already exists are charged as they are made.
 * A render is synchronous, so the one being evaluated is a module-level variable.
 */
class Budget {
  private chars = 0;
  private items = 0;
  private steps = 0;
  constructor(
    private readonly limits: TemplateLimits,
    /** Set for a render on the caller's thread: it gives up past a deadline or smaller caps, and declines heavy work. */
    private readonly inline?: InlinePolicy & { deadline: number },
  ) {}

  step() {
    if (++this.steps > this.limits.maxSteps) {
      throw new TemplateLimitError(`Template exceeds the budget of ${count(this.limits.maxSteps)} evaluation steps`);
    }
    if (this.inline && performance.now() > this.inline.deadline) throw new NeedsSandbox();
  }
  text(n: number) {
    this.chars += size(n);
    if (this.chars > this.limits.maxChars) {
      throw new TemplateLimitError(`Template exceeds the size budget of ${count(this.limits.maxChars)} characters`);
    }
    if (this.inline && this.chars > this.inline.maxChars) throw new NeedsSandbox();
  }
  list(n: number) {
    this.items += size(n);
    if (this.items > this.limits.maxItems) {
      throw new TemplateLimitError(`Template exceeds the size budget of ${count(this.limits.maxItems)} list items`);
    }
    if (this.inline && this.items > this.inline.maxItems) throw new NeedsSandbox();
  }
  /** Work more than linear in its operands (sorting, unique, substring search) is not done inline. */
  heavy() {
    if (this.inline) throw new NeedsSandbox();
  }
}

/**
 * An inline render gives up after `deadlineMs` and once it has built more than the small caps. Every operation it
 * still does is linear in a value of at most its inputs plus those caps, and the clock is read at every step, so
 * it holds the thread for about `deadlineMs` plus one such operation.
 */
export interface InlinePolicy {
  deadlineMs: number;
  maxChars: number;
  maxItems: number;
}

/** Thrown by an inline render that went past its deadline or met unbounded work; the caller re-runs it in a worker. */
export class NeedsSandbox extends Error {
  override name = "NeedsSandbox";
}

const size = (n: number) => (Number.isNaN(n) ? 0 : Math.max(0, n));
const count = (n: number) => n.toLocaleString("en-US");

let budget = new Budget(DEFAULT_TEMPLATE_LIMITS);
const chargeText = (s: string) => {
  budget.text(s.length);
  return s;
};
const chargeList = <T>(items: T[]) => {
  budget.list(items.length);
  return items;
};

export function renderTemplate(source: string, values: Record<string, unknown>, options: RenderOptions = {}): string {
  return withBudget(new Budget({ ...DEFAULT_TEMPLATE_LIMITS, ...options.limits }), source, values, options);
}

/**
 * Renders on the caller's thread if that is quick (see InlinePolicy); otherwise returns undefined and the caller
 * renders in a worker instead. Errors thrown are the template's own, the same a worker would report.
 */
export function renderTemplateInline(
  source: string,
  values: Record<string, unknown>,
  options: RenderOptions & { inline: InlinePolicy },
): string | undefined {
  const limits = { ...DEFAULT_TEMPLATE_LIMITS, ...options.limits };
  const inline = { ...options.inline, deadline: performance.now() + options.inline.deadlineMs };
  try {
    return withBudget(new Budget(limits, inline), source, values, options);
  } catch (error) {
    if (error instanceof NeedsSandbox) return undefined;
    throw error;
  }
}

function withBudget(b: Budget, source: string, values: Record<string, unknown>, options: RenderOptions): string {
  const previous = budget;
  budget = b;
  try {
    const nodes = parseTemplate(source);
    // Values are cloned because `list.append` in a template must not reach the caller's data.
    const root = new Map<string, unknown>(Object.entries(structuredClone(values)));
    const run = new Renderer(options.autoescape ?? false);
    run.renderNodes(nodes, [root]);
    return run.out.join("");
  } finally {
    budget = previous;
    codePointCache = undefined;
  }
}

let codePointCache: { text: string; points: string | string[] } | undefined;
/** The code points of a str, indexable as Python indexes it; text without surrogates is its own list of them. */
function codePoints(text: string): string | string[] {
  if (codePointCache?.text !== text) {
    budget.text(text.length);
    codePointCache = { text, points: /[\uD800-\uDFFF]/.test(text) ? [...text] : text };
  }
  return codePointCache.points;
}

// ───────────────────────── values ─────────────────────────

/** Jinja's Undefined: prints empty, is falsy, but fails on attribute access. */
class Undef {
  constructor(readonly hint: string) {}
}
/** Text already safe for HTML (markupsafe.Markup). */
class Markup {
  constructor(readonly text: string) {}
}
/** A bound method on a value, e.g. `dict.items`. */
class Method {
  constructor(
    readonly label: string,
    readonly call: (args: unknown[], kwargs: Record<string, unknown>) => unknown,
  ) {}
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" })[c] ?? c);

function toStr(v: unknown): string {
  if (v instanceof Undef) return "";
  if (v instanceof Markup) return v.text;
  if (v instanceof Method) return `<built-in method ${v.label}>`;
  return pyStr(v);
}

function truthy(v: unknown): boolean {
  if (v instanceof Undef) return false;
  if (v instanceof Markup) return v.text.length > 0;
  if (v instanceof Method) return true;
  return pyTruthy(v);
}

const typeName = (v: unknown) => (v instanceof Undef ? "Undefined" : v instanceof Markup ? "Markup" : pyTypeName(v));
const isNum = (v: unknown): v is number | boolean => typeof v === "number" || typeof v === "boolean";

function iterate(v: unknown): unknown[] {
  if (v instanceof Undef) return [];
  if (Array.isArray(v)) return v;
  if (typeof v === "string" || v instanceof Markup) {
    const text = typeof v === "string" ? v : v.text;
    budget.list(text.length);
    return [...text];
  }
  if (isRecord(v)) return chargeList(Object.keys(v));
  throw new TemplateError(`'${typeName(v)}' object is not iterable`);
}

// ───────────────────────── lexing ─────────────────────────

type Tok = { type: "name" | "num" | "str" | "op"; value: string | number };
type Chunk =
  | { kind: "text"; text: string }
  | { kind: "output"; toks: Tok[] }
  | { kind: "tag"; name: string; toks: Tok[] };

const OPS = [
  "**",
  "//",
  "==",
  "!=",
  "<=",
  ">=",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ".",
  ":",
  "|",
  "~",
  "+",
  "-",
  "*",
  "/",
  "%",
  "<",
  ">",
  "=",
];

function lexExpr(src: string, start: number, end: "}}" | "%}"): { toks: Tok[]; next: number; stripAfter: boolean } {
  const toks: Tok[] = [];
  let i = start;
  for (;;) {
    while (i < src.length && /\s/.test(src[i])) i++;
    if (i >= src.length) throw new TemplateError(`unexpected end of template, expected '${end}'`);
    if (src.startsWith(`-${end}`, i)) return { toks, next: i + 3, stripAfter: true };
    if (src.startsWith(end, i)) return { toks, next: i + 2, stripAfter: false };
    const ch = src[i];
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      let s = "";
      while (j < src.length && src[j] !== ch) {
        if (src[j] === "\\" && j + 1 < src.length) {
          const e = src[j + 1];
          const simple: Record<string, string> = {
            n: "\n",
            t: "\t",
            r: "\r",
            "\\": "\\",
            "'": "'",
            '"': '"',
            "0": "\0",
          };
          if (e in simple) {
            s += simple[e];
            j += 2;
          } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(src.slice(j + 2, j + 6))) {
            s += String.fromCharCode(Number.parseInt(src.slice(j + 2, j + 6), 16));
            j += 6;
          } else {
            s += `\\${e}`;
            j += 2;
          }
        } else s += src[j++];
      }
      if (j >= src.length) throw new TemplateError("unterminated string literal");
      toks.push({ type: "str", value: s });
      i = j + 1;
      continue;
    }
    const num = /^\d[\d_]*(\.\d[\d_]*)?([eE][+-]?\d+)?/.exec(src.slice(i, i + 64));
    if (num) {
      toks.push({ type: "num", value: Number(num[0].replaceAll("_", "")) });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 256));
    if (name) {
      toks.push({ type: "name", value: name[0] });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new TemplateError(`unexpected character '${ch}'`);
    toks.push({ type: "op", value: op });
    i += op.length;
  }
}

function lexTemplate(source: string): Chunk[] {
  // Jinja drops a single trailing newline (keep_trailing_newline=False).
  const src = source.replace(/\r?\n$/, "");
  const chunks: Chunk[] = [];
  let i = 0;
  let stripNext = false;
  const pushText = (text: string) => {
    const t = stripNext ? text.replace(/^\s+/, "") : text;
    stripNext = false;
    if (t) chunks.push({ kind: "text", text: t });
  };
  const stripPrevious = () => {
    const last = chunks[chunks.length - 1];
    if (last?.kind === "text") last.text = last.text.replace(/\s+$/, "");
  };
  while (i < src.length) {
    const open = src.slice(i).search(/\{[{%#]/);
    if (open < 0) {
      pushText(src.slice(i));
      break;
    }
    pushText(src.slice(i, i + open));
    i += open;
    const kind = src[i + 1];
    const stripBefore = src[i + 2] === "-";
    if (stripBefore) stripPrevious();
    const bodyStart = i + (stripBefore ? 3 : 2);
    if (kind === "#") {
      const close = src.indexOf("#}", bodyStart);
      if (close < 0) throw new TemplateError("unterminated comment");
      stripNext = src[close - 1] === "-";
      i = close + 2;
      continue;
    }
    const raw = kind === "%" ? /^\s*raw\s*(-?)%\}/.exec(src.slice(bodyStart)) : null;
    if (raw) {
      const rest = bodyStart + raw[0].length;
      const endRaw = /\{%(-?)\s*endraw\s*(-?)%\}/.exec(src.slice(rest));
      if (!endRaw) throw new TemplateError("missing endraw");
      let text = src.slice(rest, rest + endRaw.index);
      if (raw[1]) text = text.replace(/^\s+/, "");
      if (endRaw[1]) text = text.replace(/\s+$/, "");
      if (text) chunks.push({ kind: "text", text });
      stripNext = endRaw[2] === "-";
      i = rest + endRaw.index + endRaw[0].length;
      continue;
    }
    const { toks, next, stripAfter } = lexExpr(src, bodyStart, kind === "{" ? "}}" : "%}");
    if (kind === "{") chunks.push({ kind: "output", toks });
    else {
      const head = toks.shift();
      if (head?.type !== "name") throw new TemplateError("tag name expected");
      chunks.push({ kind: "tag", name: String(head.value), toks });
    }
    stripNext = stripAfter;
    i = next;
  }
  return chunks;
}

// ───────────────────────── parsing ─────────────────────────

type Expr =
  | { t: "lit"; v: unknown }
  | { t: "name"; n: string }
  | { t: "attr"; o: Expr; n: string }
  | { t: "item"; o: Expr; k: Expr }
  | { t: "slice"; o: Expr; a?: Expr; b?: Expr; c?: Expr }
  | { t: "call"; f: Expr; args: Expr[]; kwargs: [string, Expr][] }
  | { t: "filter"; o: Expr; n: string; args: Expr[]; kwargs: [string, Expr][] }
  | { t: "test"; o: Expr; n: string; args: Expr[]; neg: boolean }
  | { t: "bin"; op: string; l: Expr; r: Expr }
  | { t: "unary"; op: "not" | "-" | "+"; e: Expr }
  | { t: "cond"; c: Expr; a: Expr; b?: Expr }
  | { t: "list"; items: Expr[] }
  | { t: "dict"; entries: [Expr, Expr][] };

type Node =
  | { kind: "text"; text: string }
  | { kind: "output"; expr: Expr }
  | { kind: "if"; branches: { cond: Expr; body: Node[] }[]; otherwise: Node[] }
  | { kind: "for"; targets: string[]; iter: Expr; filter?: Expr; body: Node[]; otherwise: Node[] }
  | { kind: "set"; targets: string[]; expr: Expr }
  | { kind: "setblock"; target: string; body: Node[] };

class ExprParser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Tok[]) {}

  /** Every recursive rule goes through here, so a deeply nested expression is refused rather than overflowing. */
  private nested<T>(rule: () => T): T {
    if (++this.depth > MAX_DEPTH) throw tooDeep();
    try {
      return rule();
    } finally {
      this.depth--;
    }
  }

  get done() {
    return this.i >= this.toks.length;
  }
  private peek(offset = 0): Tok | undefined {
    return this.toks[this.i + offset];
  }
  private isOp(v: string, offset = 0) {
    const t = this.peek(offset);
    return t?.type === "op" && t.value === v;
  }
  private isName(v: string, offset = 0) {
    const t = this.peek(offset);
    return t?.type === "name" && t.value === v;
  }
  eat(v: string) {
    if (!this.isOp(v) && !this.isName(v)) {
      throw new TemplateError(`expected '${v}', got '${this.peek()?.value ?? "end of expression"}'`);
    }
    this.i++;
  }
  name(): string {
    const t = this.peek();
    if (t?.type !== "name") throw new TemplateError(`expected a name, got '${t?.value ?? "end of expression"}'`);
    this.i++;
    return String(t.value);
  }
  end() {
    if (!this.done) throw new TemplateError(`unexpected '${this.peek()?.value}'`);
  }
  /** `a, b` target lists of for/set. */
  targets(): string[] {
    const names = [this.name()];
    while (this.isOp(",")) {
      this.i++;
      names.push(this.name());
    }
    return names;
  }

  expression(withCond = true): Expr {
    return this.nested(() => this.conditional(withCond));
  }
  private conditional(withCond: boolean): Expr {
    const e = this.or();
    if (withCond && this.isName("if")) {
      this.i++;
      const c = this.or();
      let b: Expr | undefined;
      if (this.isName("else")) {
        this.i++;
        b = this.expression();
      }
      return { t: "cond", c, a: e, b };
    }
    return e;
  }
  /** A tuple without parentheses (`for k, v in ...` values, `set a = 1, 2`). */
  tupleOrExpression(): Expr {
    const first = this.expression();
    if (!this.isOp(",")) return first;
    const items = [first];
    while (this.isOp(",")) {
      this.i++;
      if (this.done) break;
      items.push(this.expression());
    }
    return { t: "list", items };
  }
  private or(): Expr {
    let l = this.and();
    while (this.isName("or")) {
      this.i++;
      l = { t: "bin", op: "or", l, r: this.and() };
    }
    return l;
  }
  private and(): Expr {
    let l = this.not();
    while (this.isName("and")) {
      this.i++;
      l = { t: "bin", op: "and", l, r: this.not() };
    }
    return l;
  }
  private not(): Expr {
    if (this.isName("not")) {
      this.i++;
      return { t: "unary", op: "not", e: this.nested(() => this.not()) };
    }
    return this.compare();
  }
  private compare(): Expr {
    let l = this.math1();
    let result: Expr | undefined;
    for (;;) {
      let op: string | undefined;
      const t = this.peek();
      if (t?.type === "op" && ["==", "!=", "<", ">", "<=", ">="].includes(String(t.value))) {
        op = String(t.value);
        this.i++;
      } else if (this.isName("in")) {
        op = "in";
        this.i++;
      } else if (this.isName("not") && this.isName("in", 1)) {
        op = "not in";
        this.i += 2;
      } else break;
      const r = this.math1();
      const pair: Expr = { t: "bin", op, l, r };
      result = result ? { t: "bin", op: "and", l: result, r: pair } : pair;
      l = r;
    }
    return result ?? l;
  }
  private math1(): Expr {
    let l = this.concat();
    while (this.isOp("+") || this.isOp("-")) {
      const op = String(this.peek()?.value);
      this.i++;
      l = { t: "bin", op, l, r: this.concat() };
    }
    return l;
  }
  private concat(): Expr {
    let l = this.math2();
    while (this.isOp("~")) {
      this.i++;
      l = { t: "bin", op: "~", l, r: this.math2() };
    }
    return l;
  }
  private math2(): Expr {
    let l = this.pow();
    while (this.isOp("*") || this.isOp("/") || this.isOp("//") || this.isOp("%")) {
      const op = String(this.peek()?.value);
      this.i++;
      l = { t: "bin", op, l, r: this.pow() };
    }
    return l;
  }
  private pow(): Expr {
    let l = this.unary(true);
    while (this.isOp("**")) {
      this.i++;
      l = { t: "bin", op: "**", l, r: this.unary(true) };
    }
    return l;
  }
  private unary(withFilter: boolean): Expr {
    let node: Expr;
    if (this.isOp("-") || this.isOp("+")) {
      const op = String(this.peek()?.value) as "-" | "+";
      this.i++;
      node = { t: "unary", op, e: this.nested(() => this.unary(false)) };
    } else node = this.primary();
    node = this.postfix(node);
    return withFilter ? this.filters(node) : node;
  }
  private primary(): Expr {
    const t = this.peek();
    if (!t) throw new TemplateError("unexpected end of expression");
    this.i++;
    if (t.type === "num") return { t: "lit", v: t.value };
    if (t.type === "str") {
      let s = String(t.value);
      while (this.peek()?.type === "str") s += String(this.toks[this.i++].value);
      return { t: "lit", v: s };
    }
    if (t.type === "name") {
      const n = String(t.value);
      if (n === "true" || n === "True") return { t: "lit", v: true };
      if (n === "false" || n === "False") return { t: "lit", v: false };
      if (n === "none" || n === "None") return { t: "lit", v: null };
      return { t: "name", n };
    }
    if (t.value === "(") {
      if (this.isOp(")")) {
        this.i++;
        return { t: "list", items: [] };
      }
      const e = this.tupleOrExpression();
      this.eat(")");
      return e;
    }
    if (t.value === "[") {
      const items: Expr[] = [];
      while (!this.isOp("]")) {
        items.push(this.expression());
        if (!this.isOp(",")) break;
        this.i++;
      }
      this.eat("]");
      return { t: "list", items };
    }
    if (t.value === "{") {
      const entries: [Expr, Expr][] = [];
      while (!this.isOp("}")) {
        const k = this.expression();
        this.eat(":");
        entries.push([k, this.expression()]);
        if (!this.isOp(",")) break;
        this.i++;
      }
      this.eat("}");
      return { t: "dict", entries };
    }
    throw new TemplateError(`unexpected '${t.value}'`);
  }
  private postfix(node: Expr): Expr {
    for (;;) {
      if (this.isOp(".")) {
        this.i++;
        const t = this.peek();
        this.i++;
        if (t?.type === "name") node = { t: "attr", o: node, n: String(t.value) };
        else if (t?.type === "num") node = { t: "item", o: node, k: { t: "lit", v: t.value } };
        else throw new TemplateError("expected an attribute name after '.'");
      } else if (this.isOp("[")) {
        this.i++;
        node = this.subscript(node);
      } else if (this.isOp("(")) {
        node = { t: "call", f: node, ...this.callArgs() };
      } else return node;
    }
  }
  private subscript(o: Expr): Expr {
    const part = () => (this.isOp(":") || this.isOp("]") ? undefined : this.expression());
    const a = part();
    if (!this.isOp(":")) {
      this.eat("]");
      if (!a) throw new TemplateError("empty subscript");
      return { t: "item", o, k: a };
    }
    this.i++;
    const b = part();
    let c: Expr | undefined;
    if (this.isOp(":")) {
      this.i++;
      c = part();
    }
    this.eat("]");
    return { t: "slice", o, a, b, c };
  }
  private callArgs(): { args: Expr[]; kwargs: [string, Expr][] } {
    this.eat("(");
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    while (!this.isOp(")")) {
      if (this.peek()?.type === "name" && this.isOp("=", 1)) {
        const k = this.name();
        this.i++;
        kwargs.push([k, this.expression()]);
      } else args.push(this.expression());
      if (!this.isOp(",")) break;
      this.i++;
    }
    this.eat(")");
    return { args, kwargs };
  }
  private filters(node: Expr): Expr {
    for (;;) {
      if (this.isOp("|")) {
        this.i++;
        const n = this.name();
        const call = this.isOp("(") ? this.callArgs() : { args: [], kwargs: [] };
        node = { t: "filter", o: node, n, ...call };
      } else if (this.isName("is")) {
        this.i++;
        const neg = this.isName("not");
        if (neg) this.i++;
        const n = this.name();
        let args: Expr[] = [];
        if (this.isOp("(")) args = this.callArgs().args;
        else if (this.peek()?.type === "num" || this.peek()?.type === "str") args = [this.primary()];
        node = { t: "test", o: node, n, args, neg };
      } else return node;
    }
  }
}

function tooDeep() {
  return new TemplateLimitError(`Template nests deeper than ${MAX_DEPTH} levels`);
}

function parseTemplate(source: string): Node[] {
  const chunks = lexTemplate(source);
  let pos = 0;
  let depth = 0;

  const expr = (toks: Tok[]) => {
    const p = new ExprParser(toks);
    const e = p.expression();
    p.end();
    return e;
  };

  /** Parses nodes until one of `stops` (a tag name); returns the stop tag met. */
  function block(stops: string[]): { nodes: Node[]; stop?: { name: string; toks: Tok[] } } {
    if (stops.length > 0 && ++depth > MAX_DEPTH) throw tooDeep();
    try {
      return blockBody(stops);
    } finally {
      if (stops.length > 0) depth--;
    }
  }

  function blockBody(stops: string[]): { nodes: Node[]; stop?: { name: string; toks: Tok[] } } {
    const nodes: Node[] = [];
    while (pos < chunks.length) {
      const c = chunks[pos++];
      if (c.kind === "text") nodes.push({ kind: "text", text: c.text });
      else if (c.kind === "output") nodes.push({ kind: "output", expr: expr(c.toks) });
      else if (stops.includes(c.name)) return { nodes, stop: c };
      else nodes.push(tag(c.name, c.toks));
    }
    if (stops.length > 0) throw new TemplateError(`unexpected end of template, expected '${stops.join("' or '")}'`);
    return { nodes };
  }

  function tag(name: string, toks: Tok[]): Node {
    if (name === "if") {
      const branches = [{ cond: expr(toks), body: [] as Node[] }];
      let otherwise: Node[] = [];
      for (;;) {
        const r = block(["elif", "else", "endif"]);
        if (r.stop?.name === "elif") {
          branches[branches.length - 1].body = r.nodes;
          branches.push({ cond: expr(r.stop.toks), body: [] });
        } else if (r.stop?.name === "else") {
          branches[branches.length - 1].body = r.nodes;
          otherwise = block(["endif"]).nodes;
          break;
        } else {
          branches[branches.length - 1].body = r.nodes;
          break;
        }
      }
      return { kind: "if", branches, otherwise };
    }
    if (name === "for") {
      const p = new ExprParser(toks);
      const targets = p.targets();
      p.name() === "in" || fail("expected 'in'");
      const iter = p.expression(false);
      let filter: Expr | undefined;
      if (!p.done) {
        p.name() === "if" || fail("expected 'if'");
        filter = p.expression(false);
      }
      p.end();
      const r = block(["else", "endfor"]);
      const otherwise = r.stop?.name === "else" ? block(["endfor"]).nodes : [];
      return { kind: "for", targets, iter, filter, body: r.nodes, otherwise };
    }
    if (name === "set") {
      const p = new ExprParser(toks);
      const targets = p.targets();
      if (p.done && targets.length === 1)
        return { kind: "setblock", target: targets[0], body: block(["endset"]).nodes };
      p.eat("=");
      const value = p.tupleOrExpression();
      p.end();
      return { kind: "set", targets, expr: value };
    }
    throw new TemplateError(`Encountered unknown tag '${name}'.`);
  }

  return block([]).nodes;
}

function fail(message: string): never {
  throw new TemplateError(message);
}

// ───────────────────────── evaluation ─────────────────────────

type Scope = Map<string, unknown>[];

class Renderer {
  readonly out: string[] = [];
  constructor(private readonly autoescape: boolean) {}

  private tick() {
    budget.step();
  }
  private emit(s: string) {
    budget.text(s.length);
    this.out.push(s);
  }

  renderNodes(nodes: Node[], scope: Scope) {
    for (const node of nodes) {
      this.tick();
      switch (node.kind) {
        case "text":
          this.emit(node.text);
          break;
        case "output": {
          const v = this.eval(node.expr, scope);
          const s = toStr(v);
          this.emit(this.autoescape && !(v instanceof Markup) ? escapeHtml(s) : s);
          break;
        }
        case "if": {
          const branch = node.branches.find((b) => truthy(this.eval(b.cond, scope)));
          this.renderNodes(branch ? branch.body : node.otherwise, scope);
          break;
        }
        case "for":
          this.renderFor(node, scope);
          break;
        case "set": {
          const v = this.eval(node.expr, scope);
          this.assign(node.targets, v, scope[scope.length - 1]);
          break;
        }
        case "setblock": {
          const inner = new Renderer(this.autoescape);
          inner.renderNodes(node.body, scope);
          const text = inner.out.join("");
          scope[scope.length - 1].set(node.target, this.autoescape ? new Markup(text) : text);
          break;
        }
      }
    }
  }

  private assign(targets: string[], v: unknown, frame: Map<string, unknown>) {
    if (targets.length === 1) {
      frame.set(targets[0], v);
      return;
    }
    const items = iterate(v);
    if (items.length !== targets.length) {
      throw new TemplateError(`cannot unpack ${items.length} values into ${targets.length} names`);
    }
    for (const [i, t] of targets.entries()) frame.set(t, items[i]);
  }

  private renderFor(node: Extract<Node, { kind: "for" }>, scope: Scope) {
    let items = iterate(this.eval(node.iter, scope));
    if (node.filter) {
      const filter = node.filter;
      items = items.filter((item) => {
        const frame = new Map<string, unknown>();
        this.assign(node.targets, item, frame);
        return truthy(this.eval(filter, [...scope, frame]));
      });
    }
    if (items.length === 0) {
      this.renderNodes(node.otherwise, scope);
      return;
    }
    const length = items.length;
    items.forEach((item, index) => {
      this.tick();
      const frame = new Map<string, unknown>();
      frame.set("loop", {
        index: index + 1,
        index0: index,
        revindex: length - index,
        revindex0: length - index - 1,
        first: index === 0,
        last: index === length - 1,
        length,
        depth: 1,
        depth0: 0,
        previtem: index > 0 ? items[index - 1] : new Undef("previtem"),
        nextitem: index < length - 1 ? items[index + 1] : new Undef("nextitem"),
        cycle: new Method("cycle", (args) => (args.length ? args[index % args.length] : new Undef("cycle"))),
      });
      this.assign(node.targets, item, frame);
      this.renderNodes(node.body, [...scope, frame]);
    });
  }

  eval(e: Expr, scope: Scope): unknown {
    this.tick();
    switch (e.t) {
      case "lit":
        return e.v;
      case "name": {
        for (let i = scope.length - 1; i >= 0; i--) if (scope[i].has(e.n)) return scope[i].get(e.n);
        return e.n === "range" ? RANGE : new Undef(e.n);
      }
      case "attr":
        return getAttr(this.eval(e.o, scope), e.n);
      case "item":
        return getItem(this.eval(e.o, scope), this.eval(e.k, scope));
      case "slice":
        return slice(
          this.eval(e.o, scope),
          e.a && this.eval(e.a, scope),
          e.b && this.eval(e.b, scope),
          e.c && this.eval(e.c, scope),
        );
      case "call": {
        const f = this.eval(e.f, scope);
        if (!(f instanceof Method)) {
          if (f instanceof Undef) throw new TemplateError(`'${f.hint}' is undefined`);
          throw new TemplateError(`'${typeName(f)}' object is not callable`);
        }
        return f.call(
          e.args.map((a) => this.eval(a, scope)),
          Object.fromEntries(e.kwargs.map(([k, v]) => [k, this.eval(v, scope)])),
        );
      }
      case "filter": {
        const fn = FILTERS[e.n];
        if (!fn) throw new TemplateError(`No filter named '${e.n}'.`);
        const kwargs = Object.fromEntries(e.kwargs.map(([k, v]) => [k, this.eval(v, scope)]));
        return fn(
          this.eval(e.o, scope),
          e.args.map((a) => this.eval(a, scope)),
          kwargs,
          this.autoescape,
        );
      }
      case "test": {
        const fn = TESTS[e.n];
        if (!fn) throw new TemplateError(`No test named '${e.n}'.`);
        const r = fn(
          this.eval(e.o, scope),
          e.args.map((a) => this.eval(a, scope)),
        );
        return e.neg ? !r : r;
      }
      case "unary": {
        const v = this.eval(e.e, scope);
        if (e.op === "not") return !truthy(v);
        if (!isNum(v)) throw new TemplateError(`bad operand type for unary ${e.op}: '${typeName(v)}'`);
        return e.op === "-" ? -Number(v) : Number(v);
      }
      case "cond":
        return truthy(this.eval(e.c, scope)) ? this.eval(e.a, scope) : e.b ? this.eval(e.b, scope) : new Undef("");
      case "list":
        budget.list(e.items.length);
        return e.items.map((i) => this.eval(i, scope));
      case "dict":
        budget.list(e.entries.length);
        return Object.fromEntries(e.entries.map(([k, v]) => [toStr(this.eval(k, scope)), this.eval(v, scope)]));
      case "bin":
        if (e.op === "and") {
          const l = this.eval(e.l, scope);
          return truthy(l) ? this.eval(e.r, scope) : l;
        }
        if (e.op === "or") {
          const l = this.eval(e.l, scope);
          return truthy(l) ? l : this.eval(e.r, scope);
        }
        return binary(e.op, this.eval(e.l, scope), this.eval(e.r, scope));
    }
  }
}

function plain(v: unknown): unknown {
  return v instanceof Markup ? v.text : v;
}

/** Jinja's global range(), with its sandbox's MAX_RANGE. */
const RANGE = new Method("range", (args) => {
  if (args.length === 0 || args.length > 3)
    throw new TemplateError(`range expected 1 to 3 arguments, got ${args.length}`);
  const ints = args.map((a) => {
    const p = plain(a);
    if (typeof p === "boolean") return Number(p);
    if (typeof p !== "number" || !Number.isInteger(p)) {
      throw new TemplateError(`'${typeName(p)}' object cannot be interpreted as an integer`);
    }
    return p;
  });
  const [start, stop, step] = ints.length === 1 ? [0, ints[0], 1] : [ints[0], ints[1], ints[2] ?? 1];
  if (step === 0) throw new TemplateError("range() arg 3 must not be zero");
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length > MAX_RANGE) {
    throw new TemplateLimitError(`Range too big. The sandbox blocks ranges larger than MAX_RANGE (${MAX_RANGE}).`);
  }
  budget.list(length);
  return Array.from({ length }, (_, i) => start + i * step);
});

function binary(op: string, a: unknown, b: unknown): unknown {
  const l = plain(a);
  const r = plain(b);
  switch (op) {
    case "~": {
      const x = toStr(a);
      const y = toStr(b);
      budget.text(x.length + y.length);
      return x + y;
    }
    case "==":
      return l instanceof Undef || r instanceof Undef ? l instanceof Undef && r instanceof Undef : pyEquals(l, r);
    case "!=":
      return !binary("==", a, b);
    case "<":
      return pyCompare(l, r, op) < 0;
    case ">":
      return pyCompare(l, r, op) > 0;
    case "<=":
      return pyCompare(l, r, op) <= 0;
    case ">=":
      return pyCompare(l, r, op) >= 0;
    case "in":
    case "not in": {
      let found: boolean;
      if (r instanceof Undef) found = false;
      else if (typeof r === "string") {
        if (typeof l !== "string")
          throw new TemplateError(`'in <string>' requires string as left operand, not ${typeName(l)}`);
        found = r.includes(l);
      } else if (Array.isArray(r)) found = r.some((x) => pyEquals(x, l));
      else if (isRecord(r)) found = Object.hasOwn(r, toStr(l));
      else throw new TemplateError(`argument of type '${typeName(r)}' is not iterable`);
      return op === "in" ? found : !found;
    }
  }
  if (op === "+" && typeof l === "string" && typeof r === "string") {
    budget.text(l.length + r.length);
    return l + r;
  }
  if (op === "+" && Array.isArray(l) && Array.isArray(r)) {
    budget.list(l.length + r.length);
    return [...l, ...r];
  }
  if (op === "*" && (typeof l === "string" || Array.isArray(l)) && typeof r === "number") return repeat(l, r);
  if (op === "*" && typeof l === "number" && (typeof r === "string" || Array.isArray(r))) return repeat(r, l);
  if (op === "%" && typeof l === "string") return printf(l, r);
  if (!isNum(l) || !isNum(r)) {
    throw new TemplateError(`unsupported operand type(s) for ${op}: '${typeName(l)}' and '${typeName(r)}'`);
  }
  const x = Number(l);
  const y = Number(r);
  switch (op) {
    case "+":
      return x + y;
    case "-":
      return x - y;
    case "*":
      return x * y;
    case "**":
      return x ** y;
  }
  if (y === 0) throw new TemplateError("division by zero");
  if (op === "/") return x / y;
  if (op === "//") return Math.floor(x / y);
  return ((x % y) + y) % y;
}

function repeat(v: string | unknown[], n: number): string | unknown[] {
  const times = Math.max(0, Math.trunc(n));
  if (v.length === 0 || times === 0) return typeof v === "string" ? "" : [];
  if (typeof v === "string") {
    budget.text(v.length * times);
    return v.repeat(times);
  }
  budget.list(v.length * times);
  const out: unknown[] = [];
  for (let i = 0; i < times; i++) for (const x of v) out.push(x);
  return out;
}

function normIndex(i: unknown, length: number): number | undefined {
  if (typeof i !== "number" || !Number.isInteger(i)) return undefined;
  const k = i < 0 ? length + i : i;
  return k >= 0 && k < length ? k : undefined;
}

function getItem(obj: unknown, key: unknown): unknown {
  const o = plain(obj);
  if (o instanceof Undef) throw new TemplateError(`'${o.hint}' is undefined`);
  if (Array.isArray(o) || typeof o === "string") {
    const items = typeof o === "string" ? codePoints(o) : o;
    const k = normIndex(key, items.length);
    if (k !== undefined) return items[k];
  } else if (isRecord(o) && (typeof key === "string" || typeof key === "number") && Object.hasOwn(o, String(key))) {
    return o[String(key)];
  }
  return typeof key === "string" ? getAttr(obj, key) : new Undef(String(key));
}

function slice(obj: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  const o = plain(obj);
  const items =
    typeof o === "string" ? codePoints(o) : Array.isArray(o) ? o : fail(`'${typeName(o)}' object is not subscriptable`);
  const n = items.length;
  const st = step === undefined || step === null ? 1 : Number(step);
  if (!Number.isInteger(st) || st === 0) throw new TemplateError("slice step must be a non-zero integer");
  const clamp = (v: unknown, dflt: number, lo: number, hi: number) => {
    if (v === undefined || v === null) return dflt;
    let k = Math.trunc(Number(v));
    if (k < 0) k += n;
    return Math.min(Math.max(k, lo), hi);
  };
  const [from, to] =
    st > 0
      ? [clamp(start, 0, 0, n), clamp(stop, n, 0, n)]
      : [clamp(start, n - 1, -1, n - 1), clamp(stop, -1, -1, n - 1)];
  const length = Math.max(0, Math.ceil((to - from) / st));
  if (typeof o === "string" && st === 1) return chargeText(o.slice(...codeUnitRange(o, items, from, to)));
  if (typeof o === "string") budget.text(length);
  else budget.list(length);
  const out: unknown[] = [];
  for (let j = 0, i = from; j < length; j++, i += st) out.push(items[i]);
  return typeof o === "string" ? out.join("") : out;
}

/** The code-unit range of code points [from, to) of `text`, whose code points are `points`. */
function codeUnitRange(text: string, points: string | unknown[], from: number, to: number): [number, number] {
  if (points === text) return [from, to];
  let unit = 0;
  let start = 0;
  for (let i = 0; i < to; i++) {
    if (i === from) start = unit;
    unit += (points[i] as string).length;
  }
  return [from < to ? start : unit, unit];
}

const str = (v: unknown) => toStr(v);
const kw = (args: unknown[], kwargs: Record<string, unknown>, index: number, name: string, dflt: unknown) =>
  name in kwargs ? kwargs[name] : index < args.length ? args[index] : dflt;

function pyStrip(s: string, chars: unknown, side: "both" | "left" | "right"): string {
  const set = chars === undefined || chars === null ? null : new Set([...toStr(chars)]);
  const isStrip = (c: string) => (set ? set.has(c) : /\s/.test(c));
  budget.list(s.length);
  const cs = [...s];
  let a = 0;
  let b = cs.length;
  if (side !== "right") while (a < b && isStrip(cs[a])) a++;
  if (side !== "left") while (b > a && isStrip(cs[b - 1])) b--;
  return chargeText(cs.slice(a, b).join(""));
}

function pySplit(s: string, sep: unknown, max: unknown): string[] {
  const limit = typeof max === "number" && max >= 0 ? max : Number.POSITIVE_INFINITY;
  if (sep === undefined || sep === null) {
    const parts: string[] = [];
    let rest = s.replace(/^\s+/, "");
    while (rest && parts.length < limit) {
      const m = /\s+/.exec(rest);
      if (!m) break;
      parts.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    if (rest) parts.push(limit === parts.length ? rest : rest.replace(/\s+$/, ""));
    return chargeList(parts);
  }
  const d = toStr(sep);
  if (!d) throw new TemplateError("empty separator");
  budget.list(occurrences(s, d) + 1);
  const parts = s.split(d);
  return parts.length - 1 > limit ? [...parts.slice(0, limit), parts.slice(limit).join(d)] : parts;
}

/** How many times `sub` occurs in `s` without overlapping (Python's str.count); "" occurs between every character. */
function occurrences(s: string, sub: string): number {
  if (sub === "") return s.length + 1;
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** Python's str.replace(old, new), charged for its result before it is built. */
function replaceText(s: string, old: string, replacement: string): string {
  budget.text(s.length + occurrences(s, old) * replacement.length);
  return s.replaceAll(old, () => replacement);
}

/** `sep.join(items)`, charged for its result before it is built. */
function joinText(items: unknown[], sep: string): string {
  budget.list(items.length);
  const parts = items.map(str);
  budget.text(parts.reduce((n, p) => n + p.length, 0) + Math.max(0, parts.length - 1) * sep.length);
  return parts.join(sep);
}

function pyTitleCase(s: string): string {
  let out = "";
  let prev = false;
  for (const ch of s) {
    const letter = ch.toLowerCase() !== ch.toUpperCase();
    out += letter ? (prev ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    prev = letter;
  }
  return chargeText(out);
}

function getAttr(obj: unknown, name: string): unknown {
  const o = plain(obj);
  if (o instanceof Undef) throw new TemplateError(`'${o.hint}' is undefined`);
  if (isRecord(o) && Object.hasOwn(o, name)) return o[name];
  const m = (fn: (args: unknown[], kwargs: Record<string, unknown>) => unknown) => new Method(name, fn);
  if (typeof o === "string") {
    const methods: Record<string, Method> = {
      upper: m(() => chargeText(o.toUpperCase())),
      lower: m(() => chargeText(o.toLowerCase())),
      strip: m((a) => pyStrip(o, a[0], "both")),
      lstrip: m((a) => pyStrip(o, a[0], "left")),
      rstrip: m((a) => pyStrip(o, a[0], "right")),
      split: m((a, k) => pySplit(o, kw(a, k, 0, "sep", null), kw(a, k, 1, "maxsplit", -1))),
      replace: m((a) => replaceText(o, str(a[0]), str(a[1]))),
      startswith: m((a) => o.startsWith(str(a[0]))),
      endswith: m((a) => o.endsWith(str(a[0]))),
      title: m(() => pyTitleCase(o)),
      capitalize: m(() => chargeText(o ? o[0].toUpperCase() + o.slice(1).toLowerCase() : o)),
      join: m((a) => joinText(iterate(a[0]), o)),
      find: m((a) => o.indexOf(str(a[0]))),
      count: m((a) => occurrences(o, str(a[0]))),
      isdigit: m(() => /^\d+$/.test(o)),
      isalpha: m(() => /^\p{L}+$/u.test(o)),
    };
    if (Object.hasOwn(methods, name)) return methods[name];
  } else if (Array.isArray(o)) {
    const methods: Record<string, Method> = {
      append: m((a) => {
        budget.list(1);
        o.push(a[0]);
        return null;
      }),
      extend: m((a) => {
        // `l.extend(l)` reads the list it grows: copy first.
        const items = chargeList([...iterate(a[0])]);
        budget.list(items.length);
        for (const x of items) o.push(x);
        return null;
      }),
      index: m((a) => {
        const i = o.findIndex((x) => pyEquals(x, plain(a[0])));
        if (i < 0) throw new TemplateError(`${pyRepr(plain(a[0]))} is not in list`);
        return i;
      }),
      count: m((a) => o.filter((x) => pyEquals(x, plain(a[0]))).length),
    };
    if (Object.hasOwn(methods, name)) return methods[name];
  } else if (isRecord(o)) {
    const methods: Record<string, Method> = {
      items: m(() => chargeList(Object.entries(o))),
      keys: m(() => chargeList(Object.keys(o))),
      values: m(() => chargeList(Object.values(o))),
      get: m((a) => (Object.hasOwn(o, str(a[0])) ? o[str(a[0])] : (a[1] ?? null))),
    };
    if (Object.hasOwn(methods, name)) return methods[name];
  }
  return new Undef(`${typeName(o)} object has no attribute ${name}`);
}

// ───────────────────────── filters and tests ─────────────────────────

type Filter = (v: unknown, args: unknown[], kwargs: Record<string, unknown>, autoescape: boolean) => unknown;

function toFloat(v: unknown, dflt: unknown = 0): number {
  const p = plain(v);
  if (typeof p === "number") return p;
  if (typeof p === "boolean") return Number(p);
  if (typeof p === "string") return parsePythonFloat(p) ?? Number(dflt);
  return Number(dflt);
}

function sortKey(v: unknown, attribute: unknown, caseSensitive: unknown): unknown {
  let x = attribute === undefined || attribute === null ? v : getItem(v, attribute);
  x = plain(x);
  return !caseSensitive && typeof x === "string" ? x.toLowerCase() : x;
}

const FILTERS: Record<string, Filter> = {
  abs: (v) => Math.abs(toFloat(v)),
  attr: (v, a) => getAttr(v, str(a[0])),
  batch: (v, a) => {
    const items = iterate(v);
    const size = Math.max(1, Math.trunc(Number(a[0])) || 1);
    budget.list(items.length + (a.length > 1 ? size : 0));
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    if (a.length > 1 && out.length && out[out.length - 1].length < size) {
      const last = out[out.length - 1];
      while (last.length < size) last.push(a[1]);
    }
    return out;
  },
  capitalize: (v) => {
    const s = str(v);
    return chargeText(s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s);
  },
  center: (v, a) => {
    const s = str(v);
    const width = Number(a[0] ?? 80) || 0;
    budget.text(Math.max(width, s.length));
    const pad = Math.max(0, width - s.length);
    const left = Math.floor(pad / 2) + (pad % 2 && width % 2 ? 1 : 0);
    return " ".repeat(left) + s + " ".repeat(pad - left);
  },
  count: (v) => pyLen(plain(v) instanceof Undef ? [] : plain(v)),
  default: (v, a, k) => {
    const boolean = truthy(kw(a, k, 1, "boolean", false));
    return v instanceof Undef || (boolean && !truthy(v)) ? kw(a, k, 0, "default_value", "") : v;
  },
  dictsort: (v, a, k) => {
    const p = plain(v);
    if (!isRecord(p)) throw new TemplateError("dictsort expects a dict");
    const by = kw(a, k, 1, "by", "key") === "value" ? 1 : 0;
    const cs = kw(a, k, 0, "case_sensitive", false);
    budget.heavy();
    const entries = chargeList(Object.entries(p));
    entries.sort((x, y) => pyCompare(sortKey(x[by], null, cs), sortKey(y[by], null, cs)));
    return truthy(kw(a, k, 2, "reverse", false)) ? entries.reverse() : entries;
  },
  escape: (v) => (v instanceof Markup ? v : new Markup(chargeText(escapeHtml(str(v))))),
  first: (v) => {
    const items = iterate(plain(v));
    return items.length ? items[0] : new Undef("first");
  },
  float: (v, a) => toFloat(v, a[0] ?? 0),
  forceescape: (v) => new Markup(chargeText(escapeHtml(str(v)))),
  // AutoGPT replaces Jinja's format with `format_string % float(value)`.
  format: (v, a) => {
    if (!a[0]) return v;
    const n = toFloat(v, Number.NaN);
    if (Number.isNaN(n) && !/nan/i.test(str(v)))
      throw new TemplateError(`could not convert string to float: ${pyRepr(str(v))}`);
    return printf(str(a[0]), n);
  },
  indent: (v, a, k) => {
    const width = kw(a, k, 0, "width", 4);
    const text = str(v);
    const padLength = typeof width === "string" ? width.length : Math.max(0, Math.trunc(Number(width)) || 0);
    const lineCount = occurrences(text, "\n") + 1;
    budget.list(lineCount);
    budget.text(padLength + text.length + lineCount * padLength);
    const pad = typeof width === "string" ? width : " ".repeat(padLength);
    const lines = text.split("\n");
    const blank = truthy(kw(a, k, 2, "blank", false));
    const first = truthy(kw(a, k, 1, "first", false));
    return lines.map((line, i) => ((i > 0 || first) && (blank || line.trim() !== "") ? pad + line : line)).join("\n");
  },
  int: (v, a) => {
    const p = plain(v);
    if (typeof p === "string" && /^\s*[+-]?\d+\s*$/.test(p)) return Number.parseInt(p, 10);
    const f = toFloat(p, Number.NaN);
    return Number.isFinite(f) ? Math.trunc(f) : Number(a[0] ?? 0);
  },
  items: (v) => {
    const p = plain(v);
    if (p instanceof Undef) return [];
    if (!isRecord(p)) throw new TemplateError("items expects a dict");
    return chargeList(Object.entries(p));
  },
  join: (v, a, k) => {
    const attribute = kw(a, k, 1, "attribute", null);
    const items = iterate(plain(v)).map((x) => (attribute === null ? x : getItem(x, attribute)));
    return joinText(items, str(kw(a, k, 0, "d", "")));
  },
  last: (v) => {
    const items = iterate(plain(v));
    return items.length ? items[items.length - 1] : new Undef("last");
  },
  length: (v) => pyLen(plain(v) instanceof Undef ? [] : plain(v)),
  list: (v) => chargeList([...iterate(plain(v))]),
  lower: (v) => chargeText(str(v).toLowerCase()),
  map: (v, a, k) => {
    const items = iterate(plain(v));
    budget.list(items.length);
    if ("attribute" in k) return items.map((x) => getItem(x, k.attribute));
    const fn = FILTERS[str(a[0])];
    if (!fn) throw new TemplateError(`No filter named '${str(a[0])}'.`);
    return items.map((x) => fn(x, a.slice(1), {}, false));
  },
  max: (v, a, k) => {
    const items = iterate(plain(v));
    if (!items.length) return new Undef("max");
    const key = (x: unknown) => sortKey(x, kw(a, k, 1, "attribute", null), kw(a, k, 0, "case_sensitive", false));
    return items.reduce((best, x) => (pyCompare(key(x), key(best)) > 0 ? x : best));
  },
  min: (v, a, k) => {
    const items = iterate(plain(v));
    if (!items.length) return new Undef("min");
    const key = (x: unknown) => sortKey(x, kw(a, k, 1, "attribute", null), kw(a, k, 0, "case_sensitive", false));
    return items.reduce((best, x) => (pyCompare(key(x), key(best)) < 0 ? x : best));
  },
  replace: (v, a) => {
    const s = str(v);
    const count = a[2] === undefined || a[2] === null ? -1 : Number(a[2]);
    const old = str(a[0]);
    const found = old === "" ? s.length : occurrences(s, old);
    budget.list(found + 1);
    budget.text(s.length + found * str(a[1]).length);
    const parts = s.split(old);
    if (count < 0 || parts.length - 1 <= count) return parts.join(str(a[1]));
    return parts.slice(0, count + 1).join(str(a[1])) + str(a[0]) + parts.slice(count + 1).join(str(a[0]));
  },
  reverse: (v) => {
    const p = plain(v);
    if (typeof p === "string") return chargeText(iterate(p).reverse().join(""));
    return chargeList([...iterate(p)].reverse());
  },
  round: (v, a, k) => {
    const precision = Number(kw(a, k, 0, "precision", 0));
    const method = str(kw(a, k, 1, "method", "common"));
    const f = toFloat(v);
    const factor = 10 ** precision;
    if (method === "ceil") return Math.ceil(f * factor) / factor;
    if (method === "floor") return Math.floor(f * factor) / factor;
    return pyRound(f, precision);
  },
  safe: (v) => (v instanceof Markup ? v : new Markup(str(v))),
  select: (v, a) => selectBy(v, a, false, false),
  reject: (v, a) => selectBy(v, a, true, false),
  selectattr: (v, a) => selectBy(v, a, false, true),
  rejectattr: (v, a) => selectBy(v, a, true, true),
  sort: (v, a, k) => {
    budget.heavy();
    const items = chargeList([...iterate(plain(v))]);
    const attribute = kw(a, k, 2, "attribute", null);
    const cs = kw(a, k, 1, "case_sensitive", false);
    items.sort((x, y) => pyCompare(sortKey(x, attribute, cs), sortKey(y, attribute, cs)));
    return truthy(kw(a, k, 0, "reverse", false)) ? items.reverse() : items;
  },
  string: (v) => (typeof plain(v) === "string" ? str(v) : chargeText(str(v))),
  striptags: (v) => {
    // Its expression is quadratic on text with many unclosed tags.
    budget.heavy();
    return chargeText(
      str(v)
        .replace(/<!--[\s\S]*?-->|<[^>]*>/g, "")
        .replace(/\s+/g, " ")
        .trim(),
    );
  },
  sum: (v, a, k) => {
    const attribute = kw(a, k, 0, "attribute", null);
    return iterate(plain(v)).reduce(
      (acc: unknown, x) => binary("+", acc, attribute === null ? x : getItem(x, attribute)),
      kw(a, k, 1, "start", 0),
    );
  },
  title: (v) => pyTitleCase(str(v)),
  trim: (v, a) => pyStrip(str(v), a[0], "both"),
  truncate: (v, a, k) => {
    const s = str(v);
    const length = Number(kw(a, k, 0, "length", 255));
    const killwords = truthy(kw(a, k, 1, "killwords", false));
    const end = str(kw(a, k, 2, "end", "..."));
    const leeway = Number(kw(a, k, 3, "leeway", 5));
    if (s.length <= length + leeway) return s;
    if (killwords) return s.slice(0, length - end.length) + end;
    const cut = s.slice(0, length - end.length);
    const space = cut.lastIndexOf(" ");
    return (space > 0 ? cut.slice(0, space) : cut) + end;
  },
  unique: (v, a, k) => {
    budget.heavy();
    const attribute = kw(a, k, 1, "attribute", null);
    const cs = kw(a, k, 0, "case_sensitive", false);
    const out: unknown[] = [];
    const seen: unknown[] = [];
    for (const x of iterate(plain(v))) {
      const key = sortKey(x, attribute, cs);
      if (!seen.some((s) => pyEquals(s, key))) {
        seen.push(key);
        out.push(x);
      }
    }
    return out;
  },
  upper: (v) => chargeText(str(v).toUpperCase()),
  urlencode: (v) => {
    const p = plain(v);
    const enc = (s: string) => encodeURIComponent(s).replace(/%2F/g, "/");
    if (isRecord(p))
      return chargeText(
        Object.entries(p)
          .map(([k, x]) => `${enc(k)}=${enc(str(x))}`)
          .join("&"),
      );
    return chargeText(enc(str(p)));
  },
  wordcount: (v) => (str(v).match(/\w+/gu) ?? []).length,
};
FILTERS.d = FILTERS.default;
FILTERS.e = FILTERS.escape;

function selectBy(v: unknown, args: unknown[], negate: boolean, byAttribute: boolean): unknown[] {
  const [first, testName, ...rest] = byAttribute ? args : [undefined, ...args];
  const test = testName === undefined ? undefined : TESTS[str(testName)];
  if (testName !== undefined && !test) throw new TemplateError(`No test named '${str(testName)}'.`);
  const items = iterate(plain(v));
  budget.list(items.length);
  return items.filter((x) => {
    const subject = byAttribute ? getItem(x, first) : x;
    const ok = test ? test(subject, rest) : truthy(subject);
    return negate ? !ok : ok;
  });
}

type Test = (v: unknown, args: unknown[]) => boolean;

const TESTS: Record<string, Test> = {
  boolean: (v) => typeof v === "boolean",
  callable: (v) => v instanceof Method,
  defined: (v) => !(v instanceof Undef),
  divisibleby: (v, a) => Number(v) % Number(a[0]) === 0,
  eq: (v, a) => binary("==", v, a[0]) as boolean,
  even: (v) => Number(v) % 2 === 0,
  false: (v) => v === false,
  float: (v) => typeof v === "number" && !Number.isInteger(v),
  ge: (v, a) => binary(">=", v, a[0]) as boolean,
  gt: (v, a) => binary(">", v, a[0]) as boolean,
  in: (v, a) => binary("in", v, a[0]) as boolean,
  integer: (v) => typeof v === "number" && Number.isInteger(v),
  iterable: (v) => Array.isArray(v) || isRecord(v) || typeof v === "string" || v instanceof Undef,
  le: (v, a) => binary("<=", v, a[0]) as boolean,
  lower: (v) => typeof plain(v) === "string" && str(v) === str(v).toLowerCase(),
  lt: (v, a) => binary("<", v, a[0]) as boolean,
  mapping: (v) => isRecord(v),
  ne: (v, a) => binary("!=", v, a[0]) as boolean,
  none: (v) => v === null,
  number: (v) => typeof v === "number",
  odd: (v) => Math.abs(Number(v) % 2) === 1,
  sameas: (v, a) => v === a[0],
  sequence: (v) => Array.isArray(v) || typeof v === "string" || isRecord(v),
  string: (v) => typeof plain(v) === "string",
  true: (v) => v === true,
  undefined: (v) => v instanceof Undef,
  upper: (v) => typeof plain(v) === "string" && str(v) === str(v).toUpperCase(),
};
Object.assign(TESTS, { equalto: TESTS.eq, "==": TESTS.eq, "!=": TESTS.ne, "<": TESTS.lt, ">": TESTS.gt });

// ───────────────────────── printf ─────────────────────────

/** Python's `format % args` for the common conversions. */
export function printf(format: string, args: unknown): string {
  const p = plain(args);
  const specs = format.match(/%(\([^)]*\))?[#0\- +]*(\*|\d+)?(\.(\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]/g) ?? [];
  const positional = specs.filter((s) => !s.endsWith("%%") && !s.includes("("));
  const list = Array.isArray(p) && positional.length === p.length ? [...p] : [p];
  let next = 0;
  const replaced = format.replace(
    /%(\(([^)]*)\))?([#0\- +]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g,
    (
      _m,
      _k,
      key: string | undefined,
      flags: string,
      width: string | undefined,
      prec: string | undefined,
      conv: string,
    ) => {
      if (conv === "%") return "%";
      const take = () => {
        if (next >= list.length) throw new TemplateError("not enough arguments for format string");
        return list[next++];
      };
      const w = width === "*" ? Number(take()) : width ? Number(width) : 0;
      const precision = prec === "*" ? Number(take()) : prec !== undefined ? Number(prec) : undefined;
      let value: unknown;
      if (key !== undefined) {
        if (!isRecord(p)) throw new TemplateError("format requires a mapping");
        value = p[key];
      } else value = take();
      // A width pads before anything else is built: `%999999999d` must not allocate a gigabyte.
      if (Number.isFinite(w)) budget.text(Math.abs(w));
      else throw new TemplateError("* wants int");
      return chargeText(pad(convert(conv, value, flags, precision), w, flags));
    },
  );
  if (next < list.length && !(list.length === 1 && isRecord(list[0]))) {
    throw new TemplateError("not all arguments converted during string formatting");
  }
  return replaced;
}

function convert(conv: string, value: unknown, flags: string, precision: number | undefined): string {
  const sign = (n: number, body: string) =>
    (n < 0 || Object.is(n, -0) ? "-" : flags.includes("+") ? "+" : flags.includes(" ") ? " " : "") + body;
  const num = () => {
    const v = plain(value);
    if (isNum(v)) return Number(v);
    throw new TemplateError(`%${conv} format: a real number is required, not ${typeName(v)}`);
  };
  switch (conv) {
    case "s":
      return precision !== undefined ? toStr(value).slice(0, precision) : toStr(value);
    case "r":
    case "a":
      return pyRepr(plain(value));
    case "c":
      return typeof value === "number" ? String.fromCodePoint(value) : toStr(value).slice(0, 1);
    case "d":
    case "i":
    case "u": {
      const n = Math.trunc(num());
      return sign(n, String(Math.abs(n)));
    }
    case "o":
    case "x":
    case "X": {
      const n = Math.trunc(num());
      const body = Math.abs(n).toString(conv === "o" ? 8 : 16);
      const prefix = flags.includes("#") ? (conv === "o" ? "0o" : conv === "x" ? "0x" : "0X") : "";
      return sign(n, prefix + (conv === "X" ? body.toUpperCase() : body));
    }
    case "f":
    case "F": {
      const n = num();
      if (!Number.isFinite(n)) return sign(n, Number.isNaN(n) ? "nan" : "inf");
      return sign(n, Math.abs(n).toFixed(precision ?? 6));
    }
    case "e":
    case "E": {
      const n = num();
      const body = expo(Math.abs(n), precision ?? 6);
      return sign(n, conv === "E" ? body.toUpperCase() : body);
    }
    default: {
      const n = num();
      const p = precision === 0 ? 1 : (precision ?? 6);
      const abs = Math.abs(n);
      const exp = abs === 0 ? 0 : Math.floor(Math.log10(Number(abs.toExponential(p - 1))));
      let body = exp < -4 || exp >= p ? expo(abs, p - 1) : abs.toFixed(Math.max(0, p - 1 - exp));
      if (!flags.includes("#")) {
        // %g drops trailing zeros of the mantissa unless '#' asks to keep them.
        const [mantissa, exponent] = body.split("e");
        const trimmed = mantissa.includes(".") ? mantissa.replace(/0+$/, "").replace(/\.$/, "") : mantissa;
        body = exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
      }
      return sign(n, conv === "G" ? body.toUpperCase() : body);
    }
  }
}

function expo(n: number, digits: number): string {
  const [m, e] = n.toExponential(digits).split("e");
  const exp = Number(e);
  return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

function pad(s: string, width: number, flags: string): string {
  if (s.length >= width) return s;
  if (flags.includes("-")) return s.padEnd(width);
  if (flags.includes("0") && /^[+\- ]?\d/.test(s)) {
    const signChar = /^[+\- ]/.test(s) ? s[0] : "";
    return signChar + s.slice(signChar.length).padStart(width - signChar.length, "0");
  }
  return s.padStart(width);
}
