// What a receive hands out: a message with the queue, offset, attempt and
// receipt-handle token of this delivery of it. The message is made from
// its stored record only if something asks (the JavaScript encoder,
// convert.ts); the native encoder reads the record's bytes instead.
import { fromRecord, type RocketMessage } from './message-record.js';
import type { StoredRecord } from './queue-records.js';

/** What a delivered message's fields besides its body take in an answer, about: receives and pulls count it against a slow reader's bound. */
export const HEAD_BYTES = 256;

export interface Popped {
  message: RocketMessage;
  partition: number;
  offset: number;
  attempt: number;
  /** Its receipt handle's token: the handle is handleOf(partition, offset, token, retry). */
  token: string;
  /** From the group's retry topic: `partition` and `offset` are its queue's. */
  retry?: boolean;
  invisibleMs: number;
  /** The record as read from the log, for the native encoder (absent: encoded from `message`). */
  stored?: StoredRecord;
}

/** A delivery of a receive: the message made from its record only if asked for (the native encoder reads the record's bytes). */
export class Delivery implements Popped {
  private made: RocketMessage | null = null;

  constructor(
    readonly stored: StoredRecord,
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly attempt: number,
    readonly token: string,
    readonly invisibleMs: number,
    readonly retry: boolean,
  ) {}

  get message(): RocketMessage {
    return (this.made ??= fromRecord(this.stored.record, this.stored.timestampMs, this));
  }
}

