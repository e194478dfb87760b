// Calls between threads over a MessagePort (a Worker, or a worker's
// parentPort): each call posts {call, op, arg} and is answered by
// {reply, value} or {reply, error}; arguments go by structured clone
// (BigInts, Buffers as Uint8Arrays). Used by mqlab.workers (worker-nodes.ts).

interface Port {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  postMessage(message: unknown): void;
}

type Message = { call: number; op: string; arg: unknown } | { reply: number; value?: unknown; error?: string };

export class PortRpc {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly handlers = new Map<string, (arg: never) => unknown>();
  private closedWith: Error | null = null;

  constructor(private readonly port: Port) {
    port.on('message', (m) => this.received(m as Message));
  }

  handle<A, R>(op: string, fn: (arg: A) => R | Promise<R>): void {
    this.handlers.set(op, fn as (arg: never) => unknown);
  }

  call<R>(op: string, arg?: unknown): Promise<R> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.next++;
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ call: id, op, arg });
    });
  }

  /** The other side is gone: calls waiting, and any made from now on, fail with `err`. */
  fail(err: Error): void {
    this.closedWith = err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  private received(m: Message): void {
    if ('reply' in m) {
      const w = this.waiting.get(m.reply);
      if (!w) return;
      this.waiting.delete(m.reply);
      if (m.error !== undefined) w.reject(new Error(m.error));
      else w.resolve(m.value);
      return;
    }
    const fn = this.handlers.get(m.op);
    const answer = (value: unknown): void => this.port.postMessage({ reply: m.call, value });
    const refuse = (err: unknown): void => this.port.postMessage({ reply: m.call, error: err instanceof Error ? err.message : String(err) });
    if (!fn) return refuse(new Error(`no handler for "${m.op}"`));
    try {
      const r = fn(m.arg as never);
      if (r instanceof Promise) r.then(answer, refuse);
      else answer(r);
    } catch (err) {
      refuse(err);
    }
  }
}

/** A Buffer over what a structured clone of one arrives as (a Uint8Array). */
export function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
