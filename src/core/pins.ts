// Dynamic pins: `name_$_0` (list item), `name_#_key` (dict entry), `name_@_attr` (object attribute), as AutoGPT names them.
const LIST = "_$_";
const DICT = "_#_";
const ATTR = "_@_";
const TOOLS = "tools_^_";
/** Separates the target node id from its pin in a tool pin's output name: `tools_^_{node_id}_~_{pin}`. */
const TOOL_TARGET = "_~_";

/** Whether a pin is SmartDecisionMaker's `tools` output (`tools`, or the older `tools_^_…` link names). */
export function isToolPin(name: string): boolean {
  return name === "tools" || name.startsWith(TOOLS);
}

/** The output name a tool call's argument is yielded on: it routes the value to one pin of one linked node. */
export function toolPinName(nodeId: string, pin: string): string {
  return `${TOOLS}${nodeId}${TOOL_TARGET}${pin}`;
}

/** The base pin a (possibly dynamic) pin name belongs to: `values_#_a` → `values`. */
export function sanitizePinName(name: string): string {
  if (name.startsWith(TOOLS)) return "tools";
  let cut = name.length;
  for (const sep of [LIST, DICT, ATTR]) {
    const i = name.indexOf(sep);
    if (i >= 0 && i < cut) cut = i;
  }
  return name.slice(0, cut);
}

/** Splits `a_#_b_$_0` into the base name and its path of [separator, key] steps. */
function parsePath(name: string): { base: string; steps: Array<[string, string]> } | undefined {
  const base = sanitizePinName(name);
  const steps: Array<[string, string]> = [];
  let rest = name.slice(base.length);
  while (rest.length > 0) {
    const sep = rest.slice(0, 3);
    if (sep !== LIST && sep !== DICT && sep !== ATTR) return undefined;
    rest = rest.slice(3);
    let next = rest.length;
    for (const s of [LIST, DICT, ATTR]) {
      const i = rest.indexOf(s);
      if (i >= 0 && i < next) next = i;
    }
    steps.push([sep, rest.slice(0, next)]);
    rest = rest.slice(next);
  }
  return { base, steps };
}

function setStep(
  container: unknown,
  sep: string,
  key: string,
  value: unknown,
  isLast: boolean,
  nextSep?: string,
): unknown {
  const fresh = () => (nextSep === LIST ? [] : {});
  if (sep === LIST) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index > 10_000) throw new Error(`bad list index ${key}`);
    const list = Array.isArray(container) ? [...container] : [];
    while (list.length <= index) list.push(null);
    list[index] = isLast ? value : setIfMissing(list[index], fresh);
    return list;
  }
  const obj =
    container && typeof container === "object" && !Array.isArray(container) ? { ...(container as object) } : {};
  (obj as Record<string, unknown>)[key] = isLast ? value : setIfMissing((obj as Record<string, unknown>)[key], fresh);
  return obj;
}

function setIfMissing(current: unknown, fresh: () => unknown): unknown {
  return current !== undefined && current !== null ? current : fresh();
}

function assignPath(target: unknown, steps: Array<[string, string]>, value: unknown): unknown {
  const [first, ...rest] = steps;
  if (!first) return value;
  const [sep, key] = first;
  const container = setStep(target, sep, key, undefined, false, rest[0]?.[0]);
  const slot = sep === LIST ? (container as unknown[])[Number(key)] : (container as Record<string, unknown>)[key];
  const filled = assignPath(slot, rest, value);
  if (sep === LIST) (container as unknown[])[Number(key)] = filled;
  else (container as Record<string, unknown>)[key] = filled;
  return container;
}

/**
 * Folds dynamic pins into their base input: `{values_#_a: 1, items_$_1: "x"}` becomes
 * `{values: {a: 1}, items: [null, "x"]}`, merged over whatever the base pin already holds.
 * Names with a malformed path are kept as they are.
 */
export function mergeExecutionInput(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const dynamic: Array<[string, Array<[string, string]>, unknown]> = [];
  for (const [name, value] of Object.entries(data)) {
    const parsed = parsePath(name);
    if (parsed && parsed.steps.length > 0) dynamic.push([parsed.base, parsed.steps, value]);
    else out[name] = value;
  }
  // List pins in index order, so `items_$_0`, `items_$_1` land where they say regardless of arrival order.
  for (const [base, steps, value] of dynamic) {
    try {
      out[base] = assignPath(out[base], steps, value);
    } catch {
      out[steps.reduce((n, [s, k]) => n + s + k, base)] = value;
    }
  }
  return out;
}

/**
 * The part of a yielded output `(name, value)` a link reads from `sourceName`: the whole value when the
 * names match, a nested piece for `name_#_k` / `name_$_i` / `name_@_a`, and undefined when the link does not read it.
 * A tool call's argument, yielded on `tools_^_{node_id}_~_{pin}`, goes only to the tool link into that `sink`.
 */
export function parseExecutionOutput(
  name: string,
  value: unknown,
  sourceName: string,
  sink?: { id: string; name: string },
): unknown {
  // A tool pin is the other way around: the yielded name says which node and pin it is for (AutoGPT's routing).
  if (isToolPin(sourceName) && name.startsWith(TOOLS) && name.includes(TOOL_TARGET)) {
    const target = name.slice(TOOLS.length);
    const cut = target.indexOf(TOOL_TARGET);
    const forSink = sink && target.slice(0, cut) === sink.id && target.slice(cut + TOOL_TARGET.length) === sink.name;
    // A missing argument (null) is not passed on, unless the link reads exactly this name, as AutoGPT's executor.
    return forSink && (value !== null || sourceName === name) ? value : undefined;
  }
  if (sourceName === name) return value;
  const parsed = parsePath(sourceName);
  if (!parsed || parsed.base !== name || parsed.steps.length === 0) return undefined;
  let current: unknown = value;
  for (const [sep, key] of parsed.steps) {
    if (current === null || current === undefined) return undefined;
    if (sep === LIST) {
      if (!Array.isArray(current)) return undefined;
      current = current[Number(key)];
    } else if (typeof current === "object") {
      current = (current as Record<string, unknown>)[key];
    } else {
      return undefined;
    }
  }
  return current ?? undefined;
}
