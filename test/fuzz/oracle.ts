// What the broker should do with a frame, decided by decoding it here with
// the same codec: a frame that does not decode must close the connection;
// one that does must be answered (or not, for acks=0), in order, with a
// response that decodes. A broker that closes on a frame the codec reads
// has a handler that threw: that is a finding, not Kafka-like behaviour.
import { ApiKeys, decodeRequest, ProtocolError, UnsupportedVersionError } from '../../src/protocol/kafka/index.js';

/** Fetches that may wait longer than this are sent last, and the client hangs up instead of waiting. */
export const LONG_POLL_MS = 200;

export type Expectation =
  | { kind: 'answered'; apiKey: number; apiVersion: number; correlationId: number }
  | { kind: 'silent' }
  | { kind: 'fatal'; reason: string }
  /** Too short for a request header: refused by the framing, which drops whatever came with it, so it goes last. */
  | { kind: 'framing' }
  /** The codec threw something other than a ProtocolError: a bug in the decoding path. */
  | { kind: 'decoderBug'; error: string }
  | { kind: 'longPoll' };

export function expectationOf(body: Buffer): Expectation {
  if (body.length < 8) return { kind: 'framing' };
  try {
    const req = decodeRequest(body);
    const correlationId = req.header.correlationId;
    if (req.apiKey === ApiKeys.Produce && req.body.acks === 0) return { kind: 'silent' };
    if (req.apiKey === ApiKeys.Fetch && Math.min(req.body.maxWaitMs, 30_000) > LONG_POLL_MS) return { kind: 'longPoll' };
    return { kind: 'answered', apiKey: req.apiKey, apiVersion: req.apiVersion, correlationId };
  } catch (err) {
    if (err instanceof UnsupportedVersionError && err.apiKey === ApiKeys.ApiVersions) {
      return { kind: 'answered', apiKey: ApiKeys.ApiVersions, apiVersion: 0, correlationId: err.correlationId };
    }
    if (err instanceof UnsupportedVersionError) return { kind: 'fatal', reason: 'api or version not served' };
    if (err instanceof ProtocolError) return { kind: 'fatal', reason: err.code };
    return { kind: 'decoderBug', error: String((err as Error)?.stack ?? err) };
  }
}
