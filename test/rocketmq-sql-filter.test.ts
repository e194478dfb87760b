// SQL92 filters (sql-filter.ts) as RocketMQ's broker evaluates them: the
// expression table below follows RocketMQ's filter module (SelectorParser,
// ComparisonExpression with string conversion on, three-valued logic);
// bad expressions are refused with a reason; and the official client's
// SimpleConsumer subscribed with FilterType.SQL gets exactly the messages
// whose properties match, on both engines, from a Kafka producer's records
// as well.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ConsumeResult, FilterExpression, PushConsumer, type Producer, type SimpleConsumer } from 'rocketmq-client-nodejs';
import { recordProperty } from '../src/broker/rocketmq/message-record.js';
import { MAX_SQL_CHARS, MAX_SQL_DEPTH, parseSqlFilter, SqlFilterError } from '../src/broker/rocketmq/sql-filter.js';
import type { KafkaRecord } from '../src/records/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { quietLogger, receiveUntil, startProducer, startSimpleConsumer } from './helpers/rocketmq.js';

const SQL = 2; // FilterType.SQL (definition.proto)

function matches(expression: string, props: Record<string, string>): boolean {
  const m = new Map(Object.entries(props));
  return parseSqlFilter(expression).matches((name) => m.get(name) ?? null);
}

describe('SQL92 filter: evaluation', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    // Equality of strings; a missing property is NULL, which no comparison matches.
    ["a = 'x'", { a: 'x' }, true],
    ["a = 'x'", { a: 'y' }, false],
    ["a = 'x'", {}, false],
    ["a <> 'x'", { a: 'y' }, true],
    ["a <> 'x'", {}, false],
    ["a = 'it''s'", { a: "it's" }, true],
    // A property against a number reads as that number: Integer.valueOf for an int literal, Double.valueOf for a decimal one.
    ['a = 5', { a: '5' }, true],
    ['a = 5', { a: '+5' }, true],
    ['a = 5', { a: '5.0' }, false], // Integer.valueOf("5.0") throws: no match
    ['a = 5.0', { a: '5' }, true],
    ['a > 5', { a: '10' }, true],
    ['a > 5', { a: '3' }, false],
    ['a > 5', { a: 'ten' }, false],
    // Unmatchable, not FALSE: NOT and <> do not turn it around.
    ['NOT (a > 5)', { a: 'ten' }, false],
    ['a <> 5', { a: 'x' }, false],
    ["a <> 'x' OR b > 1", { a: 'y', b: 'z' }, true], // OR takes the TRUE before the unreadable
    ['a > 5', { a: '3000000000' }, false], // past an int: Integer.valueOf throws
    ['a > 5000000000', { a: '6000000000' }, true], // a long literal reads the property as a long
    ['a > 2147483647', { a: '3000000000' }, false], // the largest int is an Integer: Integer.valueOf throws
    ['a > -2147483648', { a: '3000000000' }, true], // 2147483648 is a Long, and stays one negated
    ['a = 5', { a: '0005' }, true],
    ['a = 5', { a: `${'0'.repeat(30)}5` }, true], // leading zeros do not count toward a long's 19 digits
    ['a < 5', { a: '1'.repeat(1_000_000) }, false], // past a long: unreadable, found without reading a million digits
    ['a >= 2.5', { a: '2.5' }, true],
    ['a < 2.5', { a: ' 2 ' }, true], // Double.valueOf trims blanks
    ['a > -1', { a: '0' }, true],
    ['a > - 1.5', { a: '-1' }, true],
    // Two properties compared by > are read as decimals.
    ['a > b', { a: '10', b: '9' }, true],
    ['a > b', { a: 'b', b: 'a' }, false],
    ['a = b', { a: 'q', b: 'q' }, true],
    // BETWEEN and IN; NOT BETWEEN takes its bounds in any order, as RocketMQ's createNotBetween does.
    ['a BETWEEN 3 AND 6', { a: '3' }, true],
    ['a NOT BETWEEN 6 AND 3', { a: '1' }, true],
    ["a IN ('p', 'q', 'r', 's', 't', 'u')", { a: 'u' }, true],
    ['a BETWEEN 3 AND 6', { a: '7' }, false],
    ['a NOT BETWEEN 3 AND 6', { a: '7' }, true],
    ['a NOT BETWEEN 3 AND 6', {}, false],
    ["a IN ('x', 'y')", { a: 'y' }, true],
    ["a IN ('x', 'y')", { a: 'z' }, false],
    ["a NOT IN ('x', 'y')", { a: 'z' }, true],
    ["a NOT IN ('x', 'y')", {}, false],
    // IS NULL.
    ['a IS NULL', {}, true],
    ['a IS NULL', { a: '' }, false],
    ['a IS NOT NULL', { a: '' }, true],
    // CONTAINS, STARTSWITH, ENDSWITH: FALSE (not NULL) for a missing property, with NOT or without.
    ["a CONTAINS 'ell'", { a: 'hello' }, true],
    ["a NOT CONTAINS 'ell'", { a: 'hello' }, false],
    ["a NOT CONTAINS 'ell'", {}, false],
    ["a STARTSWITH 'he'", { a: 'hello' }, true],
    ["a ENDSWITH 'he'", { a: 'hello' }, false],
    ["a NOT ENDSWITH 'he'", { a: 'hello' }, true],
    ["a CONTAINS ''", { a: 'hello' }, false],
    // Three-valued logic: NULL OR TRUE is TRUE, NULL AND FALSE is FALSE, NULL AND TRUE is not TRUE.
    ["a = 'x' OR b = 'y'", { b: 'y' }, true],
    ["NOT (a = 'x' AND b = 'y')", { b: 'z' }, true],
    ["NOT (a = 'x' AND b = 'y')", { b: 'y' }, false],
    ["a = 'x' AND b = 'y' OR c = 'z'", { c: 'z' }, true],
    ["a = 'x' AND (b = 'y' OR c = 'z')", { c: 'z' }, false],
    // Two missing properties are equal (NULL = NULL is TRUE there); a boolean literal against a property.
    ['a = b', {}, true],
    ['TRUE = a', { a: 'TRUE' }, false], // RocketMQ casts the Boolean to a String and throws
    ['a = TRUE', { a: 'TRUE' }, true], // Boolean.valueOf("TRUE")
    // A bare property is a boolean only if it is one, which a property never is.
    ['a', { a: 'true' }, false],
    ['NOT a', { a: 'true' }, true],
    ['TRUE', {}, true],
    ['NOT FALSE AND TRUE', {}, true],
    // Keywords in any case, comments, the system properties TAGS and KEYS.
    ["a between 1 and 2 and TAGS in ('t')", { a: '1', TAGS: 't' }, true],
    ["/* why */ a = 'x' -- and more\n", { a: 'x' }, true],
    // A property against a decimal is a Double; NaN sorts above everything (Double.compareTo).
    ['a > 1.0', { a: 'NaN' }, true],
    ['a = 1E3', { a: '1000' }, true],
    // 5L is a Long written with its suffix, but 5 fits an int: an Integer, as RocketMQ narrows it.
    ['a = 5L', { a: '5' }, true],
    ['a = 5L', { a: '3000000000' }, false],
  ];
  it.each(cases)('%s with %j: %s', (expression, props, want) => {
    expect(matches(expression, props)).toBe(want);
  });

  it('reads a property of 60,000 characters as a number in one pass (a backtracking pattern would not finish)', () => {
    for (const expression of ['a > 1.5', 'a > 1']) {
      expect(matches(expression, { a: `${'1'.repeat(60_000)}x` })).toBe(false);
      expect(matches(expression, { a: `${' '.repeat(60_000)}x` })).toBe(false);
    }
    expect(matches('a > 1.5', { a: '9'.repeat(60_000) })).toBe(true);
  });
});

describe('SQL92 filter: the properties of a stored record', () => {
  const header = (key: string, value: string) => ({ key, value: Buffer.from(value) });
  const record = (key: string | null, headers: { key: string; value: Buffer }[]): KafkaRecord => ({ offsetDelta: 0, timestampDelta: 0, key: key === null ? null : Buffer.from(key), value: Buffer.from('body'), headers });

  it('reads user properties (the last of a name), TAGS, KEYS joined by spaces, and never the reserved ones', () => {
    const sent = record('k1', [header('region', 'us'), header('region', 'eu'), header('rmq.msg.id', '01AB'), header('rmq.tag', 't'), header('rmq.key', 'k1'), header('rmq.key', 'k2')]);
    expect(['region', 'TAGS', 'KEYS', 'rmq.tag', 'rmq.msg.id', 'nothing'].map((n) => recordProperty(sent, n))).toEqual(['eu', 't', 'k1 k2', null, null, null]);
    // A Kafka producer's record: its key is its message's key, its headers its properties.
    const kafka = record('order-7', [header('amount', '7')]);
    expect(['KEYS', 'TAGS', 'amount'].map((n) => recordProperty(kafka, n))).toEqual(['order-7', null, '7']);
    const filter = parseSqlFilter("KEYS = 'order-7' AND amount > 6 AND TAGS IS NULL");
    expect(filter.matches((n) => recordProperty(kafka, n))).toBe(true);
    expect(filter.matches((n) => recordProperty(sent, n))).toBe(false);
  });
});

describe('SQL92 filter: refused expressions', () => {
  const bad: [string, RegExp][] = [
    ['', /expected a property, a literal or \(/],
    ['a >', /expected a property, a literal or \( at character 4, found the end/],
    ['a = NULL', /IS NULL/],
    ["a > 'x'", /cannot be compared with >/],
    ['a > TRUE', /cannot be compared with >/],
    ["TRUE = 'x'", /cannot be compared/],
    ['a BETWEEN 6 AND 3', /must not be greater/],
    ['a BETWEEN NULL AND 3', /no NULL bound/],
    ["5 IN ('a')", /IN applies to a property/],
    ['a IN (1, 2)', /a string in quotes/],
    ['NOT 5', /is not a condition/],
    ["'x'", /is not a condition/],
    ['a = 1 b = 2', /the end of the expression/],
    ["a = 'x", /not closed/],
    ['/* a = 1', /not closed/],
    ['a = 1 # 2', /unexpected character "#"/],
    ['a = 99999999999999999999', /past the largest integer/],
    [`a = ${'9'.repeat(200)}`, /^9{40}… at character 5 is past the largest integer/], // the token cut in the message
    ['a = 1e999', /past the largest decimal/],
    ['a NOT LIKE 1', /the end of the expression at character 3, found "NOT"/],
    [`a = '${'x'.repeat(MAX_SQL_CHARS)}'`, new RegExp(`at most ${MAX_SQL_CHARS} characters`)],
    [`${'('.repeat(MAX_SQL_DEPTH + 1)}a = 1${')'.repeat(MAX_SQL_DEPTH + 1)}`, new RegExp(`deeper than ${MAX_SQL_DEPTH}`)],
    [`${'NOT '.repeat(MAX_SQL_DEPTH + 1)}TRUE`, new RegExp(`deeper than ${MAX_SQL_DEPTH}`)],
  ];
  it.each(bad)('%s', (expression, reason) => {
    expect(() => parseSqlFilter(expression)).toThrow(SqlFilterError);
    expect(() => parseSqlFilter(expression)).toThrow(reason);
  });

  it('takes nesting up to the limit', () => {
    const depth = MAX_SQL_DEPTH - 1;
    expect(matches(`${'('.repeat(depth)}a = 1${')'.repeat(depth)}`, { a: '1' })).toBe(true);
  });
});

describe.each(['segmented', 'commitlog'] as const)('SQL92 filter through the official client (%s)', (engine) => {
  let broker: TestBroker;
  let producer: Producer;
  const clients: { shutdown(): Promise<void> }[] = [];
  const pushers: PushConsumer[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    broker.broker.createTopic('orders', 1, { 'message.type': 'NORMAL' });
    // A record a Kafka producer wrote, its headers the properties: it is filtered alike.
    const kafka = new Kafka({ clientId: 'sql-filter', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const kp = kafka.producer();
    await kp.connect();
    await kp.send({ topic: 'orders', messages: [{ partition: 0, value: 'kafka-7', headers: { amount: '7', region: 'eu' } }] });
    await kp.disconnect();
    producer = await startProducer(broker.rocketmqEndpoint!, ['orders']);
    clients.push(producer);
    for (let i = 0; i < 12; i++) {
      const properties = new Map<string, string>([['amount', String(i)]]);
      if (i % 3 !== 2) properties.set('region', i % 3 === 0 ? 'eu' : 'us');
      await producer.send({ topic: 'orders', body: Buffer.from(`m${i}`), tag: i % 2 === 0 ? 'even' : 'odd', properties });
    }
  });

  afterAll(async () => {
    for (const c of clients) await c.shutdown();
    // The broker before the push consumers: their shutdown waits out a long poll, which a closed endpoint ends at once.
    await broker?.destroy();
    for (const c of pushers) await c.shutdown().catch(() => undefined);
  });

  it('a SimpleConsumer subscribed with a SQL92 expression gets exactly the messages it matches', async () => {
    const expression = "region = 'eu' AND amount BETWEEN 3 AND 9 OR TAGS = 'odd' AND amount > 10";
    const consumer: SimpleConsumer = await startSimpleConsumer(broker.rocketmqEndpoint!, `sql-${engine}`, { orders: new FilterExpression(expression, SQL) as unknown as string });
    clients.push(consumer);
    const want = ['kafka-7', 'm3', 'm6', 'm9', 'm11'];
    const got = await receiveUntil(consumer, (all) => all.length >= want.length);
    for (const m of got) await consumer.ack(m);
    expect(got.map((m) => m.body.toString()).sort()).toEqual([...want].sort());
    // Nothing else comes: the rest do not match.
    expect(await consumer.receive(16, 15_000)).toEqual([]);
  });

  it('a PushConsumer subscribed with a SQL92 expression is handed exactly the messages it matches', async () => {
    const want = ['m2', 'm5', 'm8', 'm11'];
    const got: string[] = [];
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    const consumer = new PushConsumer({
      endpoints: broker.rocketmqEndpoint!,
      namespace: '',
      logger: quietLogger,
      consumerGroup: `push-sql-${engine}`,
      subscriptions: new Map([['orders', new FilterExpression('region IS NULL', SQL) as unknown as string]]),
      messageListener: {
        consume: (m) => {
          got.push(m.body.toString());
          if (got.length >= want.length) done();
          return ConsumeResult.SUCCESS;
        },
      },
    });
    pushers.push(consumer);
    await consumer.startup();
    await all;
    expect(got.sort()).toEqual([...want].sort());
  });

  it('an expression that does not parse is ILLEGAL_FILTER_EXPRESSION, with the reason', async () => {
    const consumer: SimpleConsumer = await startSimpleConsumer(broker.rocketmqEndpoint!, `bad-sql-${engine}`, { orders: new FilterExpression('amount >', SQL) as unknown as string });
    clients.push(consumer);
    await expect(consumer.receive(1, 10_000)).rejects.toMatchObject({ code: 40010, message: expect.stringMatching(/SQL92 filter "amount >": expected a property/) });
  });
});
