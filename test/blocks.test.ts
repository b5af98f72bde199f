// The built-in block library: every block's own examples, plus the SSRF guard, cancellation, coercion, validation and serialization.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standaloneContext } from "../src/blocks/context.js";
import { isBlockedAddress, sendWebRequest } from "../src/blocks/http.js";
import { allBlocks, blockToJSON, getBlock } from "../src/blocks/index.js";
import type { Block, BlockContext, BlockOutput } from "../src/blocks/sdk.js";
import { countdownTimer } from "../src/blocks/time.js";
import { validateInput } from "../src/blocks/validate.js";
import { convertValue } from "../src/core/convert.js";
import { FORMATS, formatsPlugin } from "../src/core/formats.js";
import { HttpClient } from "../src/infra/http/client.js";

function context(overrides: Partial<BlockContext> = {}): BlockContext {
  return standaloneContext({
    userId: "user-1",
    graphId: "graph-1",
    graphVersion: 1,
    graphExecId: "graph-exec-1",
    nodeId: "node-1",
    nodeExecId: "node-exec-1",
    ...overrides,
  });
}

const allowing = (...hosts: string[]) => context({ http: new HttpClient({ allowList: hosts }) });

async function run(block: Block, input: Record<string, unknown>, ctx = context()): Promise<BlockOutput[]> {
  const checked = validateInput(block, input);
  if (!checked.ok) throw new Error(`invalid input: ${JSON.stringify(checked.errors)}`);
  const out: BlockOutput[] = [];
  for await (const entry of block.run(checked.value, ctx)) out.push(entry);
  return out;
}

describe("block library", () => {
  it("every block passes its own examples", { timeout: 30_000 }, async () => {
    const failures: string[] = [];
    for (const block of allBlocks) {
      if (!block.test?.length) failures.push(`${block.name}: no test examples`);
      for (const [i, example] of (block.test ?? []).entries()) {
        const label = `${block.name} example ${i + 1}`;
        try {
          const got = await run(block, example.input, context(example.context));
          const want = example.output;
          if (got.length !== want.length) {
            failures.push(`${label}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
            continue;
          }
          want.forEach(([name, expected], j) => {
            const [gotName, gotValue] = got[j];
            const ok =
              gotName === name &&
              (typeof expected === "function"
                ? (expected as (v: unknown) => boolean)(gotValue)
                : isDeepStrictEqual(gotValue, expected));
            if (!ok)
              failures.push(
                `${label}: output ${j} expected [${name}, ${JSON.stringify(expected)}], got [${gotName}, ${JSON.stringify(gotValue)}]`,
              );
          });
        } catch (error) {
          failures.push(`${label}: threw ${(error as Error).stack}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("has unique ids and resolves them", () => {
    expect(new Set(allBlocks.map((b) => b.id)).size).toBe(allBlocks.length);
    expect(getBlock("c0a8e994-ebf1-4a9c-a4d8-89d09c86741b")?.name).toBe("AgentInputBlock");
    expect(getBlock("nope")).toBeUndefined();
  });
});

describe("SendWebRequestBlock SSRF guard", () => {
  let server: http.Server;
  let port = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/redirect-metadata") {
        res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      } else if (req.url === "/redirect-home") {
        res.writeHead(303, { location: "/echo" }).end();
      } else if (req.url === "/missing") {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ detail: "nope" }));
      } else {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ method: req.method, body, contentType: req.headers["content-type"] ?? null }));
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const blockedUrls = [
    "http://127.0.0.1/",
    "http://10.1.2.3/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://localhost/",
    "http://[::ffff:127.0.0.1]/",
    "http://0x7f.1/",
    "http://100.64.0.1/",
  ];
  for (const url of blockedUrls) {
    it(`refuses ${url}`, async () => {
      const out = await run(sendWebRequest, { url, method: "GET" });
      expect(out).toHaveLength(1);
      expect(out[0][0]).toBe("error");
      expect(String(out[0][1])).toMatch(/is blocked/);
    });
  }

  it("classifies addresses", () => {
    for (const ip of [
      "0.0.0.0",
      "172.16.0.1",
      "192.168.1.1",
      "fe80::1",
      "fd00::1",
      "::",
      "::ffff:7f00:1",
      "::ffff:10.0.0.1",
    ]) {
      expect(isBlockedAddress(ip), ip).toBe(true);
    }
    for (const ip of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1", "100.128.0.1"]) {
      expect(isBlockedAddress(ip), ip).toBe(false);
    }
  });

  it("refuses the loopback test server unless it is allow-listed", async () => {
    const url = `http://127.0.0.1:${port}/echo`;
    const refused = await run(sendWebRequest, { url, method: "GET" });
    expect(refused[0][0]).toBe("error");

    const allowed = await run(sendWebRequest, { url, method: "POST", body: { a: 1 } }, allowing(`127.0.0.1:${port}`));
    expect(allowed).toEqual([["response", { method: "POST", body: '{"a":1}', contentType: "application/json" }]]);
  });

  it("sends form bodies, routes 4xx to client_error and follows redirects", async () => {
    const ctx = allowing("127.0.0.1");
    const form = await run(
      sendWebRequest,
      { url: `http://127.0.0.1:${port}/echo`, json_format: false, body: { q: "a b" } },
      ctx,
    );
    expect(form).toEqual([
      ["response", { method: "POST", body: "q=a+b", contentType: "application/x-www-form-urlencoded" }],
    ]);

    const missing = await run(sendWebRequest, { url: `http://127.0.0.1:${port}/missing`, method: "GET" }, ctx);
    expect(missing).toEqual([["client_error", { detail: "nope" }]]);

    const redirected = await run(
      sendWebRequest,
      { url: `http://127.0.0.1:${port}/redirect-home`, body: { x: 1 } },
      ctx,
    );
    expect(redirected).toEqual([["response", { method: "GET", body: "", contentType: null }]]);
  });

  it("checks every redirect hop again", async () => {
    const out = await run(
      sendWebRequest,
      { url: `http://127.0.0.1:${port}/redirect-metadata`, method: "GET" },
      allowing(`127.0.0.1:${port}`),
    );
    expect(out[0][0]).toBe("error");
    expect(String(out[0][1])).toMatch(/169\.254\.169\.254.*is blocked/);
  });
});

describe("CountdownTimerBlock", () => {
  it("stops promptly when the run is aborted", async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = Date.now();
      controller.abort(new Error("stopped"));
    }, 50);
    await expect(run(countdownTimer, { minutes: 5 }, context({ signal: controller.signal }))).rejects.toThrow(
      "stopped",
    );
    // Measured from the abort, with room for a loaded machine: far below the 5 minutes it would otherwise wait.
    expect(Date.now() - abortedAt).toBeLessThan(5000);
  });
});

describe("convertValue", () => {
  const cases: [unknown, Record<string, unknown>, unknown][] = [
    ["42", { type: "integer" }, 42],
    ["3.7", { type: "integer" }, 3],
    [" 2.5 ", { type: "number" }, 2.5],
    ["abc", { type: "integer" }, 0],
    [[1, 2, 3], { type: "integer" }, 3],
    [{ a: 1 }, { type: "number" }, 1],
    [5, { type: "number" }, 5],
    [5, { type: "string" }, "5"],
    [[1, "a"], { type: "string" }, '[1, "a"]'],
    [{ a: "é" }, { type: "string" }, '{"a": "\\u00e9"}'],
    ["[1, 2]", { type: "array" }, [1, 2]],
    [" x ", { type: "array" }, ["x"]],
    ["[broken", { type: "array" }, ["[broken"]],
    [{ a: 1 }, { type: "array" }, [["a", 1]]],
    [7, { type: "array" }, [7]],
    ['{"a": 1}', { type: "object" }, { a: 1 }],
    ["[1]", { type: "object" }, { value: [1] }],
    ["oops", { type: "object" }, { value: "oops" }],
    [["x", "y"], { type: "object" }, { "0": "x", "1": "y" }],
    ["True", { type: "boolean" }, true],
    ["1", { type: "boolean" }, true],
    ["no", { type: "boolean" }, false],
    [0, { type: "boolean" }, false],
    [[], { type: "boolean" }, false],
    [["1", "2"], { type: "array", items: { type: "integer" } }, [1, 2]],
    [{ a: 1 }, { type: "object", additionalProperties: { type: "string" } }, { a: "1" }],
    ["5", { anyOf: [{ type: "integer" }, { type: "null" }] }, "5"],
    ["5", {}, "5"],
    [null, { type: "string" }, null],
  ];
  for (const [value, schema, expected] of cases) {
    it(`${JSON.stringify(value)} → ${JSON.stringify(schema)}`, () => {
      expect(convertValue(value, schema)).toEqual(expected);
    });
  }
});

describe("validateInput", () => {
  const calculator = getBlock("b1ab9b19-67a6-406d-abf5-2dba76d00c79") as Block;

  it("coerces values and applies defaults", () => {
    expect(validateInput(calculator, { operation: "Add", a: "2", b: 3, round_result: null })).toEqual({
      ok: true,
      value: { operation: "Add", a: 2, b: 3, round_result: false },
    });
  });

  it("reports each bad or missing field", () => {
    const result = validateInput(calculator, { operation: "Modulo", b: 1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.field).sort()).toEqual(["a", "operation"]);
    expect(result.errors.find((e) => e.field === "a")?.message).toBe("Field required");
    expect(result.errors.find((e) => e.field === "operation")?.message).toContain('"Add"');
  });

  it("checks real formats and accepts AutoGPT's UI-hint formats", () => {
    const date = getBlock("7e198b09-4994-47db-8b4d-952d98241817") as Block;
    expect(validateInput(date, { name: "d", value: "2025-13-01" }).ok).toBe(false);
    expect(validateInput(date, { name: "d", value: "2025-12-01" }).ok).toBe(true);
    const file = getBlock("95ead23f-8283-4654-aef3-10c053b74a31") as Block;
    expect(validateInput(file, { name: "f", value: "data:text/plain;base64,SGk=" }).ok).toBe(true);
  });

  it("checks formats with the one registry the routes' Ajv gets", () => {
    const added = new Map<string, (value: string) => boolean>();
    formatsPlugin({ addFormat: (name: string, check: (value: string) => boolean) => added.set(name, check) });
    expect(Object.fromEntries(added)).toEqual(FORMATS);
    expect(FORMATS["date-time"]("2025-02-28T10:00:00Z")).toBe(true);
    expect(FORMATS["date-time"]("2025-02-30T10:00:00Z")).toBe(false);
    expect(FORMATS.email("a@b.co")).toBe(true);
    expect(FORMATS.email("not an email")).toBe(false);
    // A block pin's date is the same function: the route and the block agree.
    const date = getBlock("7e198b09-4994-47db-8b4d-952d98241817") as Block;
    for (const value of ["2024-02-29", "2023-02-29"]) {
      expect(validateInput(date, { name: "d", value }).ok).toBe(FORMATS.date(value));
    }
  });

  it("does not share default objects between runs", () => {
    const addToDict = getBlock("31d1064e-7446-4693-a7d4-65e5ca1180d1") as Block;
    const a = validateInput(addToDict, {});
    const b = validateInput(addToDict, {});
    expect(a.ok && b.ok && a.value.dictionary !== b.value.dictionary).toBe(true);
  });
});

describe("blockToJSON", () => {
  it("serializes CalculatorBlock as AutoGPT does", () => {
    const json = blockToJSON(getBlock("b1ab9b19-67a6-406d-abf5-2dba76d00c79") as Block);
    expect(Object.keys(json)).toEqual([
      "id",
      "name",
      "inputSchema",
      "outputSchema",
      "description",
      "categories",
      "contributors",
      "staticOutput",
      "uiType",
      "costs",
    ]);
    expect(json).toMatchObject({
      id: "b1ab9b19-67a6-406d-abf5-2dba76d00c79",
      name: "CalculatorBlock",
      description: "Performs a mathematical operation on two numbers.",
      categories: [{ category: "LOGIC", description: "Programming logic to control the flow of your agent" }],
      contributors: [],
      staticOutput: false,
      uiType: "Standard",
      costs: [],
    });
    const input = json.inputSchema as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
      type: string;
    };
    expect(Object.keys(input.properties)).toEqual(["operation", "a", "b", "round_result"]);
    expect(input.required).toEqual(["operation", "a", "b"]);
    expect(input.type).toBe("object");
    expect(input.properties.operation).toMatchObject({
      type: "string",
      enum: ["Add", "Subtract", "Multiply", "Divide", "Power"],
      placeholder: "Select an operation",
      advanced: false,
    });
    expect(input.properties.round_result).toEqual({
      advanced: true,
      default: false,
      description: "Do you want to round the result to a whole number?",
      secret: false,
      title: "Round Result",
      type: "boolean",
    });
    const output = json.outputSchema as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(output.properties)).toEqual(["error", "result"]);
    expect(output.required).toEqual(["result"]);
  });

  it("keeps interface blocks' schemas free of the engine's error pin", () => {
    const output = blockToJSON(getBlock("363ae599-353e-4804-937e-b2ee3cef3da4") as Block);
    expect(Object.keys((output.outputSchema as { properties: object }).properties)).toEqual(["output", "name"]);
    expect(output).toMatchObject({ uiType: "Output", staticOutput: true });
    const input = blockToJSON(getBlock("c0a8e994-ebf1-4a9c-a4d8-89d09c86741b") as Block);
    expect(input.inputSchema).toMatchObject({ required: ["name"] });
    expect(input).toMatchObject({ uiType: "Input", staticOutput: true });
  });

  it("serializes a discriminated union as oneOf", () => {
    const json = blockToJSON(getBlock("a892b8d9-3e4e-4e9c-9c1e-75f8efcf1bfa") as Block);
    const formatType = (json.inputSchema as { properties: Record<string, Record<string, unknown>> }).properties
      .format_type;
    expect(formatType.oneOf).toHaveLength(2);
    expect(formatType.anyOf).toBeUndefined();
    expect(formatType.discriminator).toMatchObject({ propertyName: "discriminator" });
  });
});
