// The in-process event bus: the embedded default, where API and executor share one process.
import type { EventBus, ExecutionEvent } from "../../engine/types.js";

export class MemoryEventBus implements EventBus {
  private readonly listeners = new Set<(event: ExecutionEvent) => void>();

  publish(event: ExecutionEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing subscriber must not break the run that published.
      }
    }
  }

  subscribe(listener: (event: ExecutionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
