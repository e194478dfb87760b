// GET /metrics: valid Prometheus text (every line a HELP, TYPE or sample,
// each family declared once, before its samples), the strategy in force,
// lag per group and partition, traffic counted at the broker for the Kafka
// protocol as well as for HTTP, the addon's counters and the engine's stats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpApi, type HttpApi } from '../src/http/index.js';
import { escapeHelp, escapeLabelValue, MetricsText } from '../src/http/metrics/text-format.js';
import { Histogram } from '../src/http/metrics/histogram.js';
import { ApiKeys, bytesOf, decodeResponse, encodeRequest, type ApiKey, type RequestInput } from '../src/protocol/kafka/index.js';
import { numberedBatch } from './helpers/batches.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { RawClient } from './helpers/raw-client.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const VALUE = '[-+]?(?:\\d+(?:\\.\\d*)?(?:[eE][-+]?\\d+)?|\\.\\d+(?:[eE][-+]?\\d+)?|Inf|NaN)';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(${LABEL}(?:,${LABEL})*)?\\})? (${VALUE})$`);

/** Parses the exposition strictly; throws on any line outside the format. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const closed = new Set<string>(); // families whose samples have ended
  let current = '';
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line))) {
      expect(helps.has(m[1]!), `HELP ${m[1]} twice`).toBe(false);
      helps.add(m[1]!);
      if (current) closed.add(current);
      current = m[1]!;
    } else if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line))) {
      expect(types.has(m[1]!), `TYPE ${m[1]} twice`).toBe(false);
      expect(m[1], 'TYPE follows its HELP').toBe(current);
      types.set(m[1]!, m[2]!);
    } else if ((m = SAMPLE.exec(line))) {
      const name = m[1]!;
      const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
      expect(types.has(family), `sample ${name} has no TYPE`).toBe(true);
      expect(family, `sample ${name} outside its family`).toBe(current);
      if (family !== name) expect(types.get(family)).toBe('histogram');
      if (types.get(family) === 'counter') expect(name.endsWith('_total'), name).toBe(true);
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
      samples.push({ name, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
    } else {
      throw new Error(`not a Prometheus text line: ${JSON.stringify(line)}`);
    }
  }
  expect(closed.has(current)).toBe(false);
  return { samples, types };
}

function kafkaFrame<K extends ApiKey>(apiKey: K, version: number, correlationId: number, body: RequestInput<K>): Buffer {
  const bytes = bytesOf(encodeRequest(apiKey, version, correlationId, 'metrics-test', body));
  const size = Buffer.alloc(4);
  size.writeInt32BE(bytes.length, 0);
  return Buffer.concat([size, bytes]);
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const value = (samples: Sample[], name: string, labels: Record<string, string> = {}): number => {
  const found = find(samples, name, labels);
  expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return found[0]!.value;
};

describe('GET /metrics', () => {
  let b: TestBroker;
  let api: HttpApi;
  let base: string;

  beforeAll(async () => {
    b = await startTestBroker({ 'mqlab.storage.engine': 'commitlog', 'transfer.strategy': 'mmap' });
    api = await startHttpApi(b.broker, { port: 0 });
    base = `http://127.0.0.1:${api.port}`;
  });
  afterAll(async () => {
    await api?.close();
    await b?.destroy();
  });

  const scrape = async (): Promise<Sample[]> => {
    const r = await fetch(`${base}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parseExposition(await r.text()).samples;
  };

  it('parses, and shows the strategy in force and the storage engine', async () => {
    const s = await scrape();
    expect(find(s, 'mqlab_transfer_strategy').map((x) => [x.labels.strategy, x.value])).toEqual([['sendfile', 0], ['mmap', 1], ['copy', 0]]);
    expect(value(s, 'mqlab_broker_info', { engine: 'commitlog', flush: 'none' })).toBe(1);
    // The commit log's first file is open; no response is waiting to be sent.
    expect(value(s, 'mqlab_log_files_open', {})).toBeGreaterThanOrEqual(1);
    expect(value(s, 'mqlab_log_file_leases', {})).toBe(0);
    expect(find(s, 'mqlab_storage_stat', { engine: 'commitlog' }).map((x) => x.labels.stat)).toEqual(expect.arrayContaining(['partitions', 'commitLogReads']));
    for (const strategy of ['sendfile', 'mmap', 'copy']) {
      expect(find(s, 'mqlab_transfer_syscalls_total', { strategy }).map((x) => x.labels.syscall)).toEqual(expect.arrayContaining(['sendfile', 'write', 'writev', 'pread', 'mmap']));
    }
  });

  it("shows each group's committed offset and lag per partition", async () => {
    b.broker.createTopic('orders', 2);
    for (let i = 0; i < 3; i++) await b.broker.produce('orders', 0, numberedBatch('o', 10)); // hw 30
    await b.broker.produce('orders', 1, numberedBatch('o', 4)); // hw 4
    expect(await b.broker.coordinator.commit('billing', '', -1, [
      { topic: 'orders', partition: 0, offset: 12n, metadata: null },
      { topic: 'orders', partition: 1, offset: 4n, metadata: null },
    ])).toBe('NONE');
    expect(await b.broker.coordinator.commit('audit "eu"\n', '', -1, [{ topic: 'orders', partition: 0, offset: 30n, metadata: null }])).toBe('NONE');

    const s = await scrape();
    expect(value(s, 'mqlab_partition_high_watermark', { topic: 'orders', partition: '0' })).toBe(30);
    expect(value(s, 'mqlab_group_committed_offset', { group: 'billing', topic: 'orders', partition: '0' })).toBe(12);
    expect(value(s, 'mqlab_group_lag', { group: 'billing', topic: 'orders', partition: '0' })).toBe(18);
    expect(value(s, 'mqlab_group_lag', { group: 'billing', topic: 'orders', partition: '1' })).toBe(0);
    // A group name with quotes and a newline: escaped, and read back intact.
    expect(value(s, 'mqlab_group_lag', { group: 'audit "eu"\n', topic: 'orders', partition: '0' })).toBe(0);

    await b.broker.produce('orders', 0, numberedBatch('o', 5));
    expect(value(await scrape(), 'mqlab_group_lag', { group: 'billing', topic: 'orders', partition: '0' })).toBe(23);
  });

  it('counts produce and fetch at the broker, for Kafka clients as for HTTP, and HTTP requests with their latency', async () => {
    const s0 = await scrape();
    const batch = numberedBatch('k', 3);
    // Kafka clients' traffic: a Produce and a Fetch on the Kafka listener.
    const kafka = await RawClient.connect(b.port);
    kafka.send(kafkaFrame(ApiKeys.Produce, 7, 1, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'kafka-traffic', partitionData: [{ index: 0, records: batch }] }] }));
    expect(decodeResponse(ApiKeys.Produce, 7, (await kafka.next())!).body.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    kafka.send(kafkaFrame(ApiKeys.Fetch, 4, 2, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
      topics: [{ topic: 'kafka-traffic', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    }));
    expect(await kafka.next()).not.toBeNull();
    kafka.close();
    expect(b.broker.engine.highWatermark({ topic: 'kafka-traffic', partition: 0 })).toBe(3n);

    const post = await fetch(`${base}/topics/kafka-traffic/partitions/0/records`, { method: 'POST', body: new Uint8Array(batch), headers: { 'Content-Type': 'application/vnd.kafka.batch' } });
    expect(post.status).toBe(200);
    const got = await fetch(`${base}/topics/kafka-traffic/partitions/0/records?offset=0`);
    const fetched = (await got.arrayBuffer()).byteLength;
    expect((await fetch(`${base}/topics/kafka-traffic/partitions/5/records?offset=0`)).status).toBe(404);

    const s1 = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}): number => value(s1, name, labels) - (find(s0, name, labels)[0]?.value ?? 0);
    expect(delta('mqlab_produce_partition_requests_total')).toBe(2); // one Kafka, one HTTP
    expect(delta('mqlab_produce_bytes_total')).toBe(2 * batch.length);
    expect(delta('mqlab_produce_latency_seconds_count')).toBe(2);
    expect(delta('mqlab_fetch_requests_total')).toBe(3); // one Kafka, two HTTP
    expect(delta('mqlab_fetch_bytes_total')).toBe(batch.length + fetched);
    expect(delta('mqlab_fetch_errors_total', { error: 'UNKNOWN_TOPIC_OR_PARTITION' })).toBe(1);
    expect(delta('mqlab_transfer_file_bytes_total', { strategy: 'mmap' })).toBe(batch.length + fetched);
    expect(delta('mqlab_transfer_copied_bytes_total', { strategy: 'mmap' })).toBe(batch.length + fetched);

    const records = { route: '/topics/:topic/partitions/:partition/records' };
    expect(delta('mqlab_http_requests_total', { ...records, method: 'POST', code: '200' })).toBe(1);
    expect(delta('mqlab_http_requests_total', { ...records, method: 'GET', code: '200' })).toBe(1);
    expect(delta('mqlab_http_requests_total', { ...records, method: 'GET', code: '404' })).toBe(1);
    expect(delta('mqlab_http_request_body_bytes_total', { ...records, method: 'POST' })).toBe(batch.length);
    expect(delta('mqlab_http_response_body_bytes_total', { ...records, method: 'GET' })).toBeGreaterThanOrEqual(fetched);
    expect(delta('mqlab_http_request_duration_seconds_count', { ...records, method: 'GET' })).toBe(2);
    const buckets = find(s1, 'mqlab_http_request_duration_seconds_bucket', { ...records, method: 'GET' });
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    expect(buckets.map((x) => x.value)).toEqual([...buckets.map((x) => x.value)].sort((x, y) => x - y)); // cumulative
    expect(value(s1, 'mqlab_http_requests_total', { route: '/metrics', method: 'GET', code: '200' })).toBeGreaterThanOrEqual(3);
  });
});

describe('Prometheus text format', () => {
  it('escapes label values and HELP text as the format says', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeHelp('x\\y\nz "q"')).toBe('x\\\\y\\nz "q"');
    const h = new Histogram([0.1, 1]);
    for (const v of [0.05, 0.5, 0.7, 5]) h.observe(v);
    const text = new MetricsText().family('t_seconds', 'histogram', 'help').histogram('t_seconds', { a: 'x' }, h).toString();
    expect(text).toBe(
      '# HELP t_seconds help\n# TYPE t_seconds histogram\n' +
        't_seconds_bucket{a="x",le="0.1"} 1\nt_seconds_bucket{a="x",le="1"} 3\nt_seconds_bucket{a="x",le="+Inf"} 4\n' +
        't_seconds_sum{a="x"} 6.25\nt_seconds_count{a="x"} 4\n',
    );
    expect(() => new MetricsText().family('x', 'gauge', '').family('x', 'gauge', '')).toThrow(/twice/);
  });
});
