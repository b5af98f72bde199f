// Node execution rows are written when the node finishes, batched over a few milliseconds into one multi-row INSERT.
import type { Db } from "../infra/db/index.js";
import { insertNodeExecutions, type NewNodeExecution } from "../infra/db/repos/executions.js";

/** Rows per INSERT: keeps the bind parameters well under PostgreSQL's 65,535. */
const CHUNK = 500;
/**
 * How long rows may wait to be batched. On PGlite every statement costs main-thread CPU, so a chain of quick
 * nodes (each finishing on its own tick) must share one INSERT; a run's end always flushes at once.
 */
const WINDOW_MS = 5;

export class NodeWriteBuffer {
  private rows: NewNodeExecution[] = [];
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly onError: (err: unknown) => void,
  ) {}

  private timer?: NodeJS.Timeout;

  add(row: NewNodeExecution): void {
    this.rows.push(row);
    if (this.rows.length >= CHUNK) this.drain();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.timer = setTimeout(() => this.drain(), WINDOW_MS);
    }
  }

  private drain(): void {
    this.scheduled = false;
    clearTimeout(this.timer);
    const rows = this.rows;
    if (rows.length === 0) return;
    this.rows = [];
    this.chain = this.chain.then(async () => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        await insertNodeExecutions(this.db, rows.slice(i, i + CHUNK)).catch(this.onError);
      }
    });
  }

  /** Resolves once every row added so far is written. */
  async flush(): Promise<void> {
    this.drain();
    await this.chain;
  }
}
