// The README documents every environment variable the configuration reads, in its Configuration section.
import fs from "node:fs";
import { describe, expect, it } from "vitest";

describe("README", () => {
  it("lists every environment variable that src/config.ts reads in its Configuration section", () => {
    const source = fs.readFileSync("src/config.ts", "utf8");
    const read = new Set<string>();
    for (const m of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) read.add(m[1] as string);
    // positive(env, "NAME", …) reads by name.
    for (const m of source.matchAll(/\(env, "([A-Z][A-Z0-9_]*)"/g)) read.add(m[1] as string);
    expect(read.size).toBeGreaterThan(40);
    const readme = fs.readFileSync("README.md", "utf8");
    const start = readme.indexOf("## Configuration");
    const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
    const missing = [...read].filter((name) => !section.includes(`\`${name}\``));
    expect(missing, "add them to the README's Configuration table").toEqual([]);
  });

  it("does not link outside the repository", () => {
    expect(fs.readFileSync("README.md", "utf8")).not.toMatch(/\.\.\/shared/);
  });
});
