// AutoGPT's generated OpenAPI documents (test/fixtures/autogpt/), compiled once per test file: a real answer is
// checked against the response schema AutoGPT's own document gives the same operation.
import fs from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import formats from "ajv-formats";
import { expect } from "vitest";

/** The two documents: release v0.6.44 and the October 2025 main branch. */
export const AUTOGPT_DOCS = { "v0.6.44": "openapi-v0.6.44.json", "2025-10": "openapi-2025-10.json" } as const;
export type AutogptDoc = keyof typeof AUTOGPT_DOCS;
export const BOTH_DOCS: AutogptDoc[] = ["v0.6.44", "2025-10"];

let ajv: Ajv2020 | undefined;
function compiler(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  (formats as unknown as { default: (a: Ajv2020) => void }).default(ajv);
  for (const [doc, file] of Object.entries(AUTOGPT_DOCS)) {
    const text = fs.readFileSync(new URL(`../fixtures/autogpt/${file}`, import.meta.url), "utf8");
    ajv.addSchema(JSON.parse(text), doc);
  }
  return ajv;
}

/** The validator of an operation's JSON response schema in one document; throws when the document has none. */
export function responseSchema(doc: AutogptDoc, p: string, method: string, status = 200): ValidateFunction {
  const escaped = p.replace(/~/g, "~0").replace(/\//g, "~1");
  const pointer = `${doc}#/paths/${escaped}/${method}/responses/${status}/content/application~1json/schema`;
  const validate = compiler().getSchema(pointer);
  if (!validate) throw new Error(`no schema for ${method} ${p} ${status} in AutoGPT ${doc}`);
  return validate;
}

/**
 * `expectFits(body, path, method, status = 200)` for a test file: the body fits the operation's response schema in
 * each of `docs`.
 */
export function fitsIn(docs: readonly AutogptDoc[]) {
  return (body: unknown, p: string, method: string, status = 200) => {
    for (const doc of docs) {
      const validate = responseSchema(doc, p, method, status);
      const ok = validate(body);
      expect(ok ? [] : validate.errors?.slice(0, 5), `AutoGPT ${doc}: ${method} ${p} ${status}`).toEqual([]);
    }
  };
}
