// Entry of a sandbox worker thread: TypeScript is not transformed in workers, so register tsx before loading it.
import { register } from "tsx/esm/api";

register();
export const { evaluate } = await import("./worker.ts");
