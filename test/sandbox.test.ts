// Templates and regular expressions are user input: a bomb fails its block, never the process or the event loop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderTemplate, renderTemplateInline, TemplateLimitError } from "../src/blocks/template.js";
import { type Client, signUp } from "./helpers/client.js";
import { create, graph, INPUT, type LinkSpec, OUTPUT } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const FILL_TEMPLATE = "db7d8f02-2f44-4c55-ab7a-eae0941f0c30";
const MATCH_PATTERN = "3060088f-6ed9-4928-9ba7-9c92823a7ccd";
const EXTRACT = "3146e4fe-2cdd-4f29-bd12-0c9d5bb4deb0";

const TEMPLATE_BOMB = "{{ ([0] * 1000000000)|length }}";
const REGEX_BOMB = { pattern: "(a+)+$", text: `${"a".repeat(40)}b` };

/** AgentInput `name` -> `block` (reading it on `pin`) -> AgentOutputs of its result pins and of its `error`. */
function oneBlock(block_id: string, input_default: Record<string, unknown>, pin: string, results: string[]) {
  return graph(
    "one block",
    [
      { id: "in", block_id: INPUT, input_default: { name: "input" } },
      { id: "block", block_id, input_default },
      ...results.map((r) => ({ id: `out-${r}`, block_id: OUTPUT, input_default: { name: r } })),
      { id: "out-error", block_id: OUTPUT, input_default: { name: "error" } },
    ],
    [
      ["in", "result", "block", pin],
      ...results.map((r): LinkSpec => ["block", r, `out-${r}`, "value"]),
      ["block", "error", "out-error", "value"],
    ],
  );
}

const templateGraph = (format: string) => oneBlock(FILL_TEMPLATE, { format }, "values_#_name", ["output"]);
const matchGraph = (pattern: string) =>
  oneBlock(MATCH_PATTERN, { match: pattern, data: "" }, "text", ["positive", "negative"]);

async function start(api: Client, g: { id: string; version: number }, input: unknown): Promise<string> {
  const res = await api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: { input } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.id;
}

async function waitForRun(api: Client, execId: string, statuses = ["COMPLETED", "FAILED", "TERMINATED"]) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await api.get(`/api/executions/${execId}`);
    expect(res.status).toBe(200);
    if (statuses.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`run ${execId} still ${res.body.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function run(api: Client, body: unknown, input: unknown) {
  const g = await create(api, body);
  return waitForRun(api, await start(api, g, input));
}

type NodeExecution = { block_id: string; status: string; output_data: Record<string, unknown> };
const blockExec = (done: { node_executions: NodeExecution[] }, blockId: string) =>
  done.node_executions.find((n) => n.block_id === blockId);

describe("template size budget", () => {
  const refused = (source: string, message: RegExp | string, values = {}) =>
    expect(() => renderTemplate(source, values)).toThrow(message);

  it("refuses repetition, ranges, joins, padding and replacements that would outgrow it, before allocating", () => {
    refused(TEMPLATE_BOMB, "Template exceeds the size budget of 1,000,000 list items");
    refused("{{ 'ab' * 100000000 }}", "Template exceeds the size budget of 10,000,000 characters");
    refused("{{ range(1000000)|length }}", "Range too big");
    refused("{{ range(100000)|join('x' * 1000) }}", "size budget of 10,000,000 characters");
    refused("{{ '%999999999d' % 1 }}", "size budget of 10,000,000 characters");
    refused("{{ 'x'|center(999999999) }}", "size budget of 10,000,000 characters");
    refused("{{ 'a\nb'|indent(999999999) }}", "size budget of 10,000,000 characters");
    refused("{{ (s * 1000)|replace('a', s * 1000) }}", "size budget of 10,000,000 characters", { s: "a".repeat(100) });
    refused("{% set l = [1] %}{% for i in range(30) %}{{ l.extend(l) }}{% endfor %}", "1,000,000 list items");
    refused("{% set s = 'x' * 1000 %}{% for i in range(20000) %}{{ s }}{% endfor %}", "10,000,000 characters");
  });

  it("counts everything a render builds together, nested set blocks included", () => {
    const doubling = `{% set a = 'x' * 1000 %}${"{% set a %}{{ a }}{{ a }}{% endset %}".repeat(20)}{{ a|length }}`;
    refused(doubling, "size budget of 10,000,000 characters");
    const limits = { maxChars: 2000 };
    expect(() => renderTemplate("{{ s ~ s }}", { s: "y".repeat(600) }, { limits })).toThrow(TemplateLimitError);
    expect(renderTemplate("{{ s ~ s }}", { s: "y".repeat(400) }, { limits })).toHaveLength(800);
  });

  it("bounds loop iterations and nesting", () => {
    const limits = { maxSteps: 10_000 };
    expect(() => renderTemplate("{% for i in range(100000) %}{% endfor %}", {}, { limits })).toThrow(
      "Template exceeds the budget of 10,000 evaluation steps",
    );
    refused(`{{ ${"(".repeat(500)}1${")".repeat(500)} }}`, "Template nests deeper than 100 levels");
    refused(`{{ ${"not ".repeat(5000)}1 }}`, "Template nests deeper than 100 levels");
    refused(`${"{% if 1 %}".repeat(200)}x${"{% endif %}".repeat(200)}`, "Template nests deeper than 100 levels");
  });

  it("renders ordinary templates as before", () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["{{hello}}, {{ world }} {{name}}", { hello: "Hello", world: "World!", name: "Alice" }, "Hello, World! Alice"],
      ["{% for i in range(3) %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}", {}, "0,1,2"],
      ["{{ range(1, 10, 3)|list }} {{ range(3, 0, -1)|join('') }}", {}, "[1, 4, 7] 321"],
      ["{{ s[1:3] }}|{{ s[-2] }}|{{ s[::-1] }}|{{ s|length }}", { s: "héllo😀x" }, "él|😀|x😀olléh|7"],
      ["{{ 'aXa'.replace('a', '$&') }} {{ 'a-b'.split('-')|join('+') }} {{ 'aaa'.count('a') }}", {}, "$&X$& a+b 3"],
      ["{{ ['b', 'a', 'b']|unique|sort|join }} {{ [3, 1, 2]|sort(reverse=true) }}", {}, "ab [3, 2, 1]"],
      ["{{ '%5.1f|%-4s|' % (3.14159, 'ab') }}{{ 'x'|center(5) }}|", {}, "  3.1|ab  |  x  |"],
    ];
    for (const [source, values, expected] of cases) expect(renderTemplate(source, values)).toBe(expected);
  });

  it("renders inline only what it can bound, with the same result", () => {
    const inline = { deadlineMs: 50, maxChars: 1000, maxItems: 100 };
    expect(renderTemplateInline("{{ a|upper }} {{ b.c }}", { a: "x", b: { c: 1 } }, { inline })).toBe("X 1");
    // Sorting is not linear, and a render that builds more than the inline caps goes to a worker.
    expect(renderTemplateInline("{{ a|sort }}", { a: [2, 1] }, { inline })).toBeUndefined();
    expect(renderTemplateInline("{{ 'x' * 5000 }}", {}, { inline })).toBeUndefined();
    expect(renderTemplateInline("{% for i in range(1000) %}{% endfor %}", {}, { inline })).toBeUndefined();
    // Errors of the template itself are the same either way.
    expect(() => renderTemplateInline("{{ a.b.c }}", {}, { inline })).toThrow("'a' is undefined");
  });
});

describe("templates and regular expressions through the API", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    t = await startTestServer({ executor: { nodeTimeoutSeconds: 60 } });
    alice = await signUp(t.url);
  });
  afterAll(() => t?.close());

  it("a template bomb fails its block with the size budget; the server keeps running", async () => {
    const done = await run(alice.api, templateGraph(TEMPLATE_BOMB), "Bob");
    expect(done.status).toBe("COMPLETED");
    expect(done.outputs).toEqual({ error: ["Template exceeds the size budget of 1,000,000 list items"] });
    expect(blockExec(done, FILL_TEMPLATE)?.status).toBe("FAILED");

    // Without a link from `error`, the run fails naming the block and the budget.
    const unhandled = graph(
      "bomb",
      [
        { id: "in", block_id: INPUT, input_default: { name: "input" } },
        { id: "fill", block_id: FILL_TEMPLATE, input_default: { format: "{{ 'ab' * 1000000000 }}" } },
      ],
      [["in", "result", "fill", "values_#_name"]],
    );
    const failed = await run(alice.api, unhandled, "Bob");
    expect(failed.status).toBe("FAILED");
    expect(failed.stats.error).toContain("Template exceeds the size budget of 10,000,000 characters");

    expect((await alice.api.get("/health")).status).toBe(200);
    const normal = await run(alice.api, templateGraph("Hello, {{ name }}!"), "Bob");
    expect(normal.outputs).toEqual({ output: ["Hello, Bob!"] });
  });

  it("a regular-expression bomb leaves /health answering and fails its block after the time limit", async () => {
    const g = await create(alice.api, matchGraph(REGEX_BOMB.pattern));
    // As many bombs as worker threads and one more, so one also waits in the queue.
    const runs = await Promise.all([1, 2, 3].map(() => start(alice.api, g, REGEX_BOMB.text)));
    const finished = Promise.all(runs.map((id) => waitForRun(alice.api, id)));
    let settled = false;
    void finished.then(() => {
      settled = true;
    });
    let probes = 0;
    while (!settled) {
      const health = await fetch(`${t.url}/health`);
      probes++;
      expect(health.status).toBe(200);
      await new Promise((r) => setTimeout(r, 20));
    }
    // Each bomb runs 2 s before it is stopped: a blocked event loop would allow one or two probes, not several.
    // Counted, not timed, so a loaded machine cannot fail it (bench/sandbox.ts measures the stalls).
    expect(probes).toBeGreaterThan(5);
    for (const done of await finished) {
      expect(done.status).toBe("COMPLETED");
      expect(done.outputs).toEqual({ error: ["Regular expression took longer than 2 s and was stopped"] });
      expect(blockExec(done, MATCH_PATTERN)?.status).toBe("FAILED");
    }
    // The terminated workers were replaced.
    const normal = await run(alice.api, matchGraph("^a+b$"), REGEX_BOMB.text);
    expect(normal.outputs).toEqual({ positive: [REGEX_BOMB.text] });
  });

  it("ordinary templates and patterns give the same outputs as before", async () => {
    const loop = await run(alice.api, templateGraph("{% for w in name.split() %}{{ w|title }}.{% endfor %}"), "a b");
    expect(loop.outputs).toEqual({ output: ["A.B."] });
    // `sort` is rendered in a worker rather than inline.
    const sorted = await run(alice.api, templateGraph("{{ name|list|sort|join('-') }}"), "cab");
    expect(sorted.outputs).toEqual({ output: ["a-b-c"] });
    const broken = await run(alice.api, templateGraph("{{ name.missing.deeper }}"), "x");
    expect(broken.outputs.error[0]).toMatch(/undefined/);

    expect((await run(alice.api, matchGraph("wor.d"), "Hello World!")).outputs).toEqual({ negative: ["Hello World!"] });
    expect((await run(alice.api, matchGraph("(?i)wor.d"), "Hello World!")).outputs).toEqual({
      positive: ["Hello World!"],
    });
    const extract = oneBlock(EXTRACT, { pattern: "id=(?P<n>\\d+)", group: 1, find_all: true }, "text", [
      "matched_results",
    ]);
    expect((await run(alice.api, extract, "id=42, id=7")).outputs).toEqual({ matched_results: [["42", "7"]] });
  });
});

describe("stopping a run whose regular expression is backtracking", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    // One thread and a time limit longer than the test: only terminating the worker frees it.
    t = await startTestServer({ sandbox: { threads: 1, timeoutMs: 120_000 } });
    alice = await signUp(t.url);
  });
  afterAll(() => t?.close());

  it("terminates its worker, so the next evaluation runs", async () => {
    // A first evaluation starts the worker, so the bomb below is running in it, not waiting for it to boot.
    expect((await run(alice.api, matchGraph("b$"), "ab")).outputs).toEqual({ positive: ["ab"] });
    const g = await create(alice.api, matchGraph(REGEX_BOMB.pattern));
    const id = await start(alice.api, g, REGEX_BOMB.text);
    // Node executions are listed once they end: the input's ending means the match is starting.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await alice.api.get(`/api/executions/${id}`);
      if (r.body.node_executions.some((n: { block_id: string }) => n.block_id === INPUT)) break;
      if (Date.now() > deadline) throw new Error("the input node never finished");
      await new Promise((res) => setTimeout(res, 25));
    }
    await new Promise((res) => setTimeout(res, 300));
    expect((await alice.api.post(`/api/executions/${id}/stop`)).body.status).toBe("TERMINATED");
    const normal = await run(alice.api, matchGraph("^a+b$"), REGEX_BOMB.text);
    expect(normal.outputs).toEqual({ positive: [REGEX_BOMB.text] });
  });
});
