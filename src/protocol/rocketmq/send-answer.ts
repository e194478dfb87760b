// A SendMessageResponse kept compact until it is encoded: per message its
// id and offset (a number while exact, else a bigint), and only where a
// message is not simply stored, its status, transaction id or recall
// handle. encode-answers.ts encodeSendAnswer writes the bytes proto-loader
// writes for its plain form (`status` and `entries`, which proto-loader
// reads when it encodes instead: an unknown status code), with no object
// and no decimal string per message.
import { OK, type Status } from './status.js';
import type { RawIds } from './native-send.js';
import { requestBuffers } from '../grpc/call.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

export class SendAnswer {
  /** The first failed entry's status, else OK: the answer's own. */
  status: Status = OK;
  readonly offsets: (number | bigint)[];
  /** Made only once an entry needs one: a status not OK, a transaction id, a recall handle. */
  private statuses: Status[] | null = null;
  private transactionIds: string[] | null = null;
  private recallHandles: string[] | null = null;
  /** The ids' bytes went back (encoded()): not to be read again. */
  released = false;

  /** Each message's id, as strings or as the request's bytes (native-send.ts). */
  constructor(readonly messageIds: readonly string[] | RawIds) {
    this.offsets = new Array<number | bigint>(messageIds.length).fill(-1);
  }

  get length(): number {
    return this.messageIds.length;
  }

  /**
   * Encoded: the request's bytes the ids are read from go back to where
   * they were assembled or joined (grpc/call.ts requestBuffers), if they
   * were; the addon's path keeps nothing else of them (native-send.ts).
   */
  encoded(): void {
    if (this.released || Array.isArray(this.messageIds)) return;
    this.released = true;
    requestBuffers.giveBack((this.messageIds as RawIds).bytes);
  }

  messageIdOf(i: number): string {
    if (this.released) throw new Error('SendAnswer: its message ids were given back with the request');
    const ids = this.messageIds;
    return Array.isArray(ids) ? (ids as readonly string[])[i]! : (ids as RawIds).at(i);
  }

  stored(i: number, offset: number | bigint): void {
    this.offsets[i] = offset;
  }

  failed(i: number, s: Status): void {
    (this.statuses ??= new Array<Status>(this.length).fill(OK))[i] = s;
    this.offsets[i] = 0;
    if (this.status === OK && s.code !== 'OK') this.status = s;
  }

  transaction(i: number, transactionId: string, halfOffset: number | bigint): void {
    (this.transactionIds ??= new Array<string>(this.length).fill(''))[i] = transactionId;
    this.offsets[i] = halfOffset;
  }

  delayed(i: number, recallHandle: string): void {
    (this.recallHandles ??= new Array<string>(this.length).fill(''))[i] = recallHandle;
    this.offsets[i] = -1;
  }

  /** Every message stored: no status but OK, no transaction id, no recall handle. */
  get allStored(): boolean {
    return this.status === OK && this.statuses === null && this.transactionIds === null && this.recallHandles === null;
  }

  statusOf(i: number): Status {
    return this.statuses?.[i] ?? OK;
  }

  transactionIdOf(i: number): string {
    return this.transactionIds?.[i] ?? '';
  }

  recallHandleOf(i: number): string {
    return this.recallHandles?.[i] ?? '';
  }

  /** The entries as plain objects (what proto-loader encodes, and what tests read). */
  get entries(): Pb[] {
    return this.offsets.map((_, i) => ({ status: this.statusOf(i), messageId: this.messageIdOf(i), transactionId: this.transactionIdOf(i), offset: String(this.offsets[i]), recallHandle: this.recallHandleOf(i) }));
  }
}
