// What a ReceiveMessage answer holds, walked without decoding it whole: the
// status, and per message the id and receipt handle an AckMessage needs;
// each message's body and system properties go to the caller as they are.
import { forEachField, statusCode } from './grpc-wire.js';

export interface Delivery {
  messageId: string;
  receiptHandle: string;
}

/** The answers of one ReceiveMessage call: the status code (-1 without one) and every message's delivery. */
export function readReceived(answers: Buffer[], onMessage: (body: Buffer | null, systemProperties: Buffer | null) => void): { deliveries: Delivery[]; code: number } {
  const deliveries: Delivery[] = [];
  let code = -1;
  for (const a of answers) {
    forEachField(a, (f, w, v) => {
      if (w !== 2) return;
      if (f === 1) code = statusCode(a);
      if (f !== 2) return;
      const d: Delivery = { messageId: '', receiptHandle: '' };
      let body: Buffer | null = null;
      let system: Buffer | null = null;
      forEachField(v as Buffer, (mf, mw, mv) => {
        if (mw !== 2) return;
        if (mf === 4) body = mv as Buffer;
        else if (mf === 3) {
          system = mv as Buffer;
          forEachField(system, (sf, sw, sv) => {
            if (sw !== 2) return;
            if (sf === 3) d.messageId = (sv as Buffer).toString();
            else if (sf === 12) d.receiptHandle = (sv as Buffer).toString();
          });
        }
      });
      onMessage(body, system);
      deliveries.push(d);
    });
  }
  return { deliveries, code };
}
