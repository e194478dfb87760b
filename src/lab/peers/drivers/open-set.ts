// The producers and consumers a driver has handed out and not yet seen
// closed, so the driver's close() can close what its user left open.
export interface Closable {
  close(): Promise<void>;
}

export class OpenSet {
  private readonly open = new Set<Closable>();

  /** Returns `x`, its close() also taking it out of the set. */
  track<T extends Closable>(x: T): T {
    this.open.add(x);
    const close = x.close.bind(x);
    x.close = async () => {
      this.open.delete(x);
      await close();
    };
    return x;
  }

  /** Closes whatever is still open; one failing does not keep the others open. */
  async closeAll(): Promise<void> {
    for (const x of [...this.open]) await x.close().catch(() => undefined);
  }
}
