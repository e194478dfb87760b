// What the HTTP API itself served, per route: requests by status code,
// latency (from the request's arrival to the last response byte handed to
// the kernel) and body bytes in and out. Each route owns its meter, so the
// hot path does no lookup beyond the status-code map.
import { Histogram } from './histogram.js';

export class RouteMeter {
  readonly byStatus = new Map<number, number>();
  readonly latency = new Histogram();
  bodyBytesIn = 0;
  bodyBytesOut = 0;

  constructor(readonly method: string, readonly route: string) {}

  done(status: number, seconds: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    this.latency.observe(seconds);
  }
}
