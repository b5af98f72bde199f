// Letting the event loop run between large synchronous steps (embedded-database statements, graph validation).

/**
 * Resolves once the event loop has polled for I/O: two `setImmediate`s, because one scheduled from an I/O
 * callback (a request handler) runs in the same loop iteration's check phase, before any other socket is read.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
