// SASL PLAIN (RFC 4616), as Kafka's PlainSaslServer: the password arrives in
// the clear (so only over TLS in earnest) and is checked by the caller, here
// against the users' SCRAM credentials. One message, one answer (empty).
import { decodeUtf8, SaslAuthenticationError } from './scram.js';

/**
 * message = [authzid] NUL authcid NUL passwd. Returns the user; throws
 * SaslAuthenticationError, with the same text for an unknown user and a
 * wrong password. authzid, if present, must equal authcid.
 */
export function plainAuthenticate(message: Buffer, verify: (user: string, password: string) => boolean): string {
  const tokens = decodeUtf8(message, 'Invalid SASL/PLAIN response').split('\0');
  // Kafka counts at most four tokens, so its message says 4 for any more.
  if (tokens.length !== 3) throw new SaslAuthenticationError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${Math.min(tokens.length, 4)}`);
  const [authzid, user, password] = tokens as [string, string, string];
  if (user === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
  if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
  let verified: boolean;
  try {
    verified = verify(user, password);
  } catch (e) {
    throw new SaslAuthenticationError('Authentication failed: credentials for user could not be verified', { cause: e });
  }
  if (!verified) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
  // Checked after the password, as Kafka: a client without it only ever sees the one refusal.
  if (authzid !== '' && authzid !== user) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
  return user;
}
