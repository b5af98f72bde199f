// The version Agentry reports (`agentry --version`, the OpenAPI document): package.json's, read without loading the app.
import fs from "node:fs";

export const VERSION: string = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
