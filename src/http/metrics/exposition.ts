// GET /metrics: everything gathered at scrape time from where it lives (the
// addon's counters, the engine, the coordinator, the meters), so the hot
// paths only bump numbers. Messages per second need no counter of their
// own: sum(rate(mqlab_partition_high_watermark[1m])) is exactly the records
// appended.
import { STRATEGY_NAMES } from '../../native/addon.js';
import { sharedFileStats, transferCounters } from '../../transfer/index.js';
import type { HttpContext } from '../context.js';
import { MetricsText } from './text-format.js';

export function renderMetrics(ctx: HttpContext): string {
  const out = new MetricsText();
  writeBroker(out, ctx);
  writeTransfer(out, ctx);
  writeTraffic(out, ctx);
  writeHttp(out, ctx);
  writePartitions(out, ctx);
  writeGroups(out, ctx);
  writeStorage(out, ctx);
  writeSecurity(out, ctx);
  return out.toString();
}

function writeSecurity(out: MetricsText, { broker }: HttpContext): void {
  const { authorizer, audit } = broker.security;
  out.family('mqlab_authorization_denials_total', 'counter', 'Requests (or parts of one: a partition, a group) the authorizer refused, by resource type, whichever protocol asked.');
  for (const [resourceType, n] of Object.entries(authorizer.denials)) out.sample('mqlab_authorization_denials_total', { resource_type: resourceType }, n);
  out.family('mqlab_failed_logins_total', 'counter', 'Logins refused or not finished in time: TLS handshakes, SASL logins and login timeouts by listener protocol, HTTP Basic credentials as HTTP.');
  for (const [where, n] of audit.failedLogins) out.sample('mqlab_failed_logins_total', { listener: where }, n);
}

function writeBroker(out: MetricsText, { broker, startedAt }: HttpContext): void {
  out.family('mqlab_broker_info', 'gauge', 'The broker\'s storage engine and flush policy (always 1).')
    .sample('mqlab_broker_info', { engine: broker.engine.kind, flush: broker.configs.get('mqlab.flush') }, 1);
  out.family('mqlab_uptime_seconds', 'gauge', 'Seconds since the HTTP API started.')
    .sample('mqlab_uptime_seconds', undefined, Math.round((performance.now() - startedAt) / 10) / 100);
}

function writeTransfer(out: MetricsText, { broker }: HttpContext): void {
  out.family('mqlab_transfer_strategy', 'gauge', 'The transfer strategy in force for fetch responses: 1 for it, 0 for the others.');
  for (const s of STRATEGY_NAMES) out.sample('mqlab_transfer_strategy', { strategy: s }, s === broker.transfer.name ? 1 : 0);

  // The addon's counters since its last reset (resetTransferCounters; the
  // lab resets between runs, which Prometheus reads as a counter reset).
  const c = transferCounters();
  const per = (name: string, help: string, value: (s: (typeof c)[keyof typeof c]) => number): void => {
    out.family(name, 'counter', help);
    for (const s of STRATEGY_NAMES) out.sample(name, { strategy: s }, value(c[s]));
  };
  per('mqlab_transfer_sends_total', 'Sends (a response head and its log regions) by the addon, per strategy.', (s) => s.sends);
  per('mqlab_transfer_sends_inline_total', 'Sends that finished inside their first synchronous attempt.', (s) => s.sendsInline);
  per('mqlab_transfer_sends_deferred_total', 'Sends that had to wait for the socket to become writable.', (s) => s.sendsDeferred);
  per('mqlab_transfer_sends_failed_total', 'Sends that failed (peer gone, file error).', (s) => s.sendsFailed);
  per('mqlab_transfer_writable_waits_total', 'Waits for socket writability.', (s) => s.writableWaits);
  per('mqlab_transfer_eagain_total', 'EAGAIN answers from the socket.', (s) => s.eagain);
  per('mqlab_transfer_file_bytes_total', 'Log bytes delivered to sockets.', (s) => s.fileBytes);
  per('mqlab_transfer_header_bytes_total', 'Response-head bytes delivered to sockets.', (s) => s.headerBytes);
  per('mqlab_transfer_copied_bytes_total', 'Log bytes copied by the CPU: 0 per byte for sendfile, 1 for mmap, 2 for copy.', (s) => s.copiedBytes);
  const files = sharedFileStats();
  out.family('mqlab_log_files_open', 'gauge', 'Storage files open (segment logs and indexes, commit-log and consume-queue files): held by the engine (at most mqlab.storage.max.open.files of the per-partition ones), or kept open (after a delete, retention, or the engine closing an idle file) by responses not yet sent.')
    .sample('mqlab_log_files_open', undefined, files.openFiles);
  out.family('mqlab_log_file_leases', 'gauge', 'File regions handed out for responses and not yet sent (each keeps its file open).')
    .sample('mqlab_log_file_leases', undefined, files.leases);
  out.family('mqlab_transfer_syscalls_total', 'counter', 'System calls made by the addon, per strategy and call (short and failed calls included).');
  for (const s of STRATEGY_NAMES) {
    for (const [syscall, n] of Object.entries(c[s].syscalls)) out.sample('mqlab_transfer_syscalls_total', { strategy: s, syscall }, n);
  }
}

function writeTraffic(out: MetricsText, { broker, brokerMeter: m }: HttpContext): void {
  const scope = ' (Kafka protocol and HTTP API alike, counted at the broker).';
  out.family('mqlab_produce_partition_requests_total', 'counter', 'Produce requests per partition: one per partition of a Kafka Produce request, one per HTTP produce' + scope)
    .sample('mqlab_produce_partition_requests_total', undefined, m.produceCalls);
  out.family('mqlab_produce_bytes_total', 'counter', 'Record-batch bytes appended' + scope).sample('mqlab_produce_bytes_total', undefined, m.produceBytes);
  out.family('mqlab_produce_errors_total', 'counter', 'Produce requests per partition refused, by Kafka error name' + scope);
  for (const [error, n] of m.produceErrors) out.sample('mqlab_produce_errors_total', { error }, n);
  out.family('mqlab_produce_latency_seconds', 'histogram', 'Time from a produce request (per partition) to its answer; with acks=-1 it includes the flush policy\'s fsync' + scope)
    .histogram('mqlab_produce_latency_seconds', undefined, m.produceLatency);

  out.family('mqlab_fetch_requests_total', 'counter', 'Fetch requests: one per Kafka Fetch request (all its partitions), one per HTTP fetch' + scope)
    .sample('mqlab_fetch_requests_total', undefined, m.fetchCalls);
  out.family('mqlab_fetch_bytes_total', 'counter', 'Log bytes answered to fetches, which the transfer strategy then sends' + scope)
    .sample('mqlab_fetch_bytes_total', undefined, m.fetchBytes);
  const sessions = broker.fetchSessions;
  out.family('mqlab_fetch_sessions', 'gauge', 'Incremental fetch sessions (KIP-227) in the cache; at most max.incremental.fetch.session.cache.slots (Kafka\'s NumIncrementalFetchSessions).')
    .sample('mqlab_fetch_sessions', undefined, sessions.size);
  out.family('mqlab_fetch_session_partitions', 'gauge', 'Partitions held by all fetch sessions; at most mqlab.fetch.session.cache.max.partitions (Kafka\'s NumIncrementalFetchPartitionsCached).')
    .sample('mqlab_fetch_session_partitions', undefined, sessions.totalPartitions);
  out.family('mqlab_fetch_session_evictions_total', 'counter', 'Fetch sessions evicted to make room for a new one.')
    .sample('mqlab_fetch_session_evictions_total', undefined, sessions.evictions);
  out.family('mqlab_fetch_errors_total', 'counter', 'Partitions of fetches answered with an error, by Kafka error name' + scope);
  for (const [error, n] of m.fetchErrors) out.sample('mqlab_fetch_errors_total', { error }, n);
  out.family('mqlab_fetch_latency_seconds', 'histogram', 'Time from a fetch request to its answer, long-poll waiting included' + scope)
    .histogram('mqlab_fetch_latency_seconds', undefined, m.fetchLatency);
}

function writeHttp(out: MetricsText, { routeMeters }: HttpContext): void {
  out.family('mqlab_http_requests_total', 'counter', 'HTTP API requests by route and status code.');
  for (const r of routeMeters) {
    for (const [code, n] of r.byStatus) out.sample('mqlab_http_requests_total', { method: r.method, route: r.route, code }, n);
  }
  out.family('mqlab_http_request_duration_seconds', 'histogram', 'HTTP API request latency: from the request\'s arrival to its last response byte handed to the kernel.');
  for (const r of routeMeters) out.histogram('mqlab_http_request_duration_seconds', { method: r.method, route: r.route }, r.latency);
  out.family('mqlab_http_request_body_bytes_total', 'counter', 'HTTP API request body bytes read, by route.');
  for (const r of routeMeters) out.sample('mqlab_http_request_body_bytes_total', { method: r.method, route: r.route }, r.bodyBytesIn);
  out.family('mqlab_http_response_body_bytes_total', 'counter', 'HTTP API response body bytes sent, by route.');
  for (const r of routeMeters) out.sample('mqlab_http_response_body_bytes_total', { method: r.method, route: r.route }, r.bodyBytesOut);
}

function writePartitions(out: MetricsText, { broker }: HttpContext): void {
  const hw: [string, number, bigint][] = [];
  const start: [string, number, bigint][] = [];
  for (const t of broker.topics.list()) {
    for (let partition = 0; partition < t.partitions; partition++) {
      if (!broker.topics.holds(t, partition)) continue; // another node's (mqlab.workers)
      const tp = { topic: t.name, partition };
      hw.push([t.name, partition, broker.engine.highWatermark(tp)]);
      start.push([t.name, partition, broker.engine.logStartOffset(tp)]);
    }
  }
  out.family('mqlab_partition_high_watermark', 'gauge', 'The offset the next record appended to the partition gets; its rate is the partition\'s messages in per second.');
  for (const [topic, partition, v] of hw) out.sample('mqlab_partition_high_watermark', { topic, partition }, v);
  out.family('mqlab_partition_log_start_offset', 'gauge', 'The first offset still held (retention moves it on).');
  for (const [topic, partition, v] of start) out.sample('mqlab_partition_log_start_offset', { topic, partition }, v);
}

function writeGroups(out: MetricsText, { broker }: HttpContext): void {
  const committed: [string, string, number, bigint][] = [];
  const lag: [string, string, number, bigint][] = [];
  for (const { groupId } of broker.coordinator.list()) {
    for (const c of broker.coordinator.committedAll(groupId)) {
      committed.push([groupId, c.topic, c.partition, c.offset]);
      const t = broker.topics.get(c.topic);
      if (!t || c.partition >= t.partitions || c.offset < 0n || !broker.topics.holds(t, c.partition)) continue; // topic deleted since, nothing committed, or another node's
      const behind = broker.engine.highWatermark({ topic: c.topic, partition: c.partition }) - c.offset;
      lag.push([groupId, c.topic, c.partition, behind > 0n ? behind : 0n]);
    }
  }
  out.family('mqlab_group_committed_offset', 'gauge', 'The offset a consumer group committed for a partition (the next one it will read).');
  for (const [group, topic, partition, v] of committed) out.sample('mqlab_group_committed_offset', { group, topic, partition }, v);
  out.family('mqlab_group_lag', 'gauge', 'Records a consumer group has yet to consume in a partition: high watermark minus committed offset (the backlog).');
  for (const [group, topic, partition, v] of lag) out.sample('mqlab_group_lag', { group, topic, partition }, v);
}

function writeStorage(out: MetricsText, { broker }: HttpContext): void {
  // Each engine reports its own figures, some counts so far, some current
  // sizes; the seam does not say which, so they are exposed untyped.
  out.family('mqlab_storage_stat', 'untyped', 'The storage engine\'s own figures (engine.stats()): reads by kind, syncs, partitions, files.');
  const kind = broker.engine.kind;
  for (const [stat, v] of Object.entries(broker.engine.stats())) out.sample('mqlab_storage_stat', { engine: kind, stat }, v);
}
