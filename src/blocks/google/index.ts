// The Google blocks (Gmail, Calendar) as one library list.
import type { Block } from "../sdk.js";
import { calendarBlocks } from "./calendar.js";
import { gmailBlocks } from "./gmail.js";

export const googleBlocks: Block[] = [...gmailBlocks, ...calendarBlocks];
