// RecoverOrphanedTransactionCommand: the half message as the client's
// TransactionChecker sees it (a MessageView: the body digest must match,
// the topic is the real topic), and the transaction id its answer must
// carry back in EndTransaction.
import type { CheckBack } from '../../broker/rocketmq/transaction/transaction-store.js';
import { bodyDigest, toTimestamp } from './convert.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

export function orphanCommand(c: CheckBack, storeHost: string): Pb {
  const m = c.message;
  const sp: Pb = {
    keys: m.keys,
    messageId: m.messageId,
    bodyDigest: bodyDigest(m),
    bodyEncoding: m.bodyEncoding,
    messageType: 'TRANSACTION',
    bornTimestamp: toTimestamp(m.bornTimestampMs),
    bornHost: m.bornHost,
    storeHost,
    queueId: c.partition,
    queueOffset: String(c.halfOffset),
  };
  if (m.tag !== null) sp.tag = m.tag;
  if (m.traceContext !== null) sp.traceContext = m.traceContext;
  return {
    recoverOrphanedTransactionCommand: {
      message: { topic: { name: c.topic, resourceNamespace: '' }, userProperties: Object.fromEntries(m.userProperties), systemProperties: sp, body: m.body },
      transactionId: c.transactionId,
    },
  };
}
