// What must be done before any answer leaves for a client. The RocketMQ
// pop journal (pop-journal.ts) writes its records here: a receive's
// deliveries and an ack's tombstones are on file before the client can
// learn of them (a broker killed after an answer went finds them after its
// restart), and everything answered in one turn of the event loop is one
// write, however many microtask turns its calls took. Every gRPC answer is
// written by http2/socket-output.ts, which runs the hooks first.
const hooks = new Set<() => void>();

/** Runs `hook` before every write of answers from now on; the function returned stops that. */
export function beforeAnswers(hook: () => void): () => void {
  hooks.add(hook);
  return () => {
    hooks.delete(hook);
  };
}

/** Called by a connection about to write answers to its socket. */
export function answersLeave(): void {
  for (const hook of hooks) hook();
}
