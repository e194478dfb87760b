// The Telemetry stream of RocketMQ 5's clients: settings both ways (the
// client's, answered with the broker's for its role), and, for producers,
// the stream the transaction store writes its check-backs to. A client with
// an open stream counts as connected (push consumers' deliveries are
// renewed meanwhile).
import type { StreamHandler } from '../grpc/server.js';
import { topicMessageType } from '../../broker/rocketmq/message-type.js';
import { maxBodyBytes } from '../../broker/rocketmq/publish.js';
import { storedTopic } from '../../broker/rocketmq/system-topics.js';
import { undecodable } from './proto.js';
import { nameOf } from './resources.js';
import { clientIdOf, type ServiceContext } from './service.js';
import { answerSettings } from './settings.js';
import { status, statusOf } from './status.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

export function telemetryHandler(ctx: ServiceContext): StreamHandler {
  const groupPolicy = (group: string, topics: string[]) => {
    const g = ctx.broker.groupConfigs.settings(group);
    const fifoTopic = topics.some((t) => {
      const info = ctx.broker.topics.get(storedTopic(t));
      return info !== undefined && topicMessageType(info) === 'FIFO';
    });
    return { maxDeliveryAttempts: g.maxDeliveryAttempts, backoffSteps: g.backoffSteps, fifo: g.fifo && fifoTopic };
  };

  return (call) => {
    ctx.telemetry.add(call);
    const clientId = clientIdOf(call);
    if (clientId !== null) ctx.clients.set(clientId, (ctx.clients.get(clientId) ?? 0) + 1);
    let counted = clientId !== null;
    const forget = (): void => {
      if (!counted) return;
      counted = false;
      const n = (ctx.clients.get(clientId!) ?? 1) - 1;
      if (n <= 0) ctx.clients.delete(clientId!);
      else ctx.clients.set(clientId!, n);
    };
    call.on('data', (cmd: Pb) => {
      try {
        const bad = undecodable(cmd);
        if (bad !== null) {
          call.write({ status: status('BAD_REQUEST', bad) });
          return;
        }
        if (!cmd.settings) return; // thread stack traces, verify results: nothing asked for them yet
        if (cmd.settings.clientType === 'PRODUCER') ctx.producers.register(call, clientId ?? '', ((cmd.settings.publishing?.topics ?? []) as Pb[]).map(nameOf));
        const answer = answerSettings(cmd.settings, { maxBodyBytes: maxBodyBytes(ctx.broker), groupPolicy });
        const reply = answer.settings ? { status: answer.status, settings: answer.settings } : { status: answer.status };
        call.write(reply);
        if (answer.settings) ctx.settingsEcho.answered(clientId, call, reply);
      } catch (err) {
        ctx.log('error', `rocketmq Telemetry: ${(err as Error).stack ?? String(err)}`);
        if (!call.cancelled) call.write({ status: statusOf(err) });
      }
    });
    const done = (): void => {
      ctx.settingsEcho.closed(call);
      ctx.producers.remove(call);
      forget();
      if (!ctx.telemetry.delete(call)) return;
      try {
        call.end();
      } catch {
        // the client went away first: nothing left to end
      }
    };
    call.on('end', done);
    call.on('error', done);
    call.on('cancelled', () => {
      ctx.settingsEcho.closed(call);
      ctx.producers.remove(call);
      forget();
      ctx.telemetry.delete(call);
    });
  };
}
