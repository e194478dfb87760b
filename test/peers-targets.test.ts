// --target values: a Kafka cluster's bootstrap addresses, a RocketMQ
// proxy with the topics the user created; what each parses to and the
// errors for what does not parse.
import { describe, expect, it } from 'vitest';
import { parseTarget, parseTargets, TargetError } from '../src/lab/peers/targets.js';

describe('--target', () => {
  it('kafka: one address or several, names, IPv4 and bracketed IPv6', () => {
    expect(parseTarget('kafka=127.0.0.1:9092')).toEqual({ system: 'kafka', endpoint: { host: '127.0.0.1', port: 9092 }, topics: [], label: 'external Kafka at 127.0.0.1:9092' });
    expect(parseTarget('kafka=k1.example.com:9092, k2:9093,[::1]:9094')).toEqual({
      system: 'kafka',
      endpoint: { host: 'k1.example.com', port: 9092, more: [{ host: 'k2', port: 9093 }, { host: '::1', port: 9094 }] },
      topics: [],
      label: 'external Kafka at k1.example.com:9092, k2:9093, [::1]:9094',
    });
    expect(parseTarget('Kafka=localhost:1').endpoint).toEqual({ host: 'localhost', port: 1 });
  });

  it('rocketmq: the proxy address and the topics created for the lab', () => {
    expect(parseTarget('rocketmq=10.0.0.7:8081/bench')).toEqual({ system: 'rocketmq', endpoint: { host: '10.0.0.7', port: 8081 }, topics: ['bench'], label: 'external RocketMQ at 10.0.0.7:8081 (topic bench)' });
    const t = parseTarget('rocketmq=p1:8081,p2:8081/bench_a,bench-b');
    expect(t.endpoint).toEqual({ host: 'p1', port: 8081, more: [{ host: 'p2', port: 8081 }] });
    expect(t.topics).toEqual(['bench_a', 'bench-b']);
    expect(t.label).toBe('external RocketMQ at p1:8081, p2:8081 (topics bench_a, bench-b)');
  });

  it.each([
    ['kafka', /expected kafka=host:port/],
    ['pulsar=localhost:6650', /unknown system "pulsar" \(a target is kafka or rocketmq/],
    ['kafka=', /an empty address/],
    ['kafka=localhost', /"localhost" has no port/],
    ['kafka=localhost:', /"localhost:" has no port/],
    ['kafka=localhost:99999', /port 99999 is out of range \(1-65535\)/],
    ['kafka=localhost:0', /port 0 is out of range/],
    ['kafka=localhost:90x', /port "90x" is not a number/],
    ['kafka=a:1,,b:2', /an empty address/],
    ['kafka=::1:9092', /write an IPv6 address in brackets, \[::1\]:port/],
    ['kafka=[::1:9092', /needs its closing \]/],
    ['kafka=[::1]', /has no port/],
    ['kafka=bad_host:9092', /"bad_host" is not a host name/],
    ['kafka=localhost:9092/topic', /a Kafka target names no topic/],
    ['rocketmq=localhost:8081', /a RocketMQ target needs a topic, rocketmq=localhost:8081\/TOPIC: RocketMQ 5's gRPC API cannot create topics/],
    ['rocketmq=localhost:8081/', /needs a topic/],
    ['rocketmq=localhost:8081/a b', /"a b" is not a RocketMQ topic name/],
    ['rocketmq=localhost:8081/t,t', /a topic is named twice/],
    ['rocketmq=localhost/t', /"localhost" has no port/],
  ])('%s is refused', (spec, message) => {
    expect(() => parseTarget(spec)).toThrow(TargetError);
    expect(() => parseTarget(spec)).toThrow(message);
  });

  it('the same system at the same address twice is refused; different ones are kept in order', () => {
    expect(() => parseTargets(['kafka=a:1', 'kafka=a:1,b:2'])).toThrow(/kafka at a:1 is given twice/);
    expect(parseTargets(['kafka=a:1', 'rocketmq=a:1/t']).map((t) => t.system)).toEqual(['kafka', 'rocketmq']);
  });
});
