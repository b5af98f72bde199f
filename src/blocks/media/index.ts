// The media and publishing blocks AutoGPT's shipped agents use: Replicate, Ideogram, Revid, Medium, WordPress, Airtable.
import type { Block } from "../sdk.js";
import { airtableBlocks } from "./airtable.js";
import { ideogramBlocks } from "./ideogram.js";
import { mediumBlocks } from "./medium.js";
import { replicateBlocks } from "./replicate.js";
import { revidBlocks } from "./revid.js";
import { wordpressBlocks } from "./wordpress.js";

export const mediaBlocks: Block[] = [
  ...replicateBlocks,
  ...ideogramBlocks,
  ...revidBlocks,
  ...mediumBlocks,
  ...wordpressBlocks,
  ...airtableBlocks,
];
