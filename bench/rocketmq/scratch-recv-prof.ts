// scratch (not committed)
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '../../src/client/admin.js';
import { BrokerProcess } from '../../src/lab/broker-process.js';
import { rocketReceiveLoad, rocketSendLoad } from '../../src/client/load/rocketmq.js';

const per = Number(process.argv[2] ?? 1);
const profDir = mkdtempSync(join(tmpdir(), 'prof-'));
const data = mkdtempSync(join(tmpdir(), 'data-'));
const b = await BrokerProcess.start(['--data-dir', data, '--engine', 'segmented', '--flush', 'none'], 0, { rocketmqPort: 0, nodeFlags: ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '100'] });
const admin = await Admin.connect(b.bootstrap);
for (const t of ['w', 'm']) await admin.createTopic(t, 1, { 'message.type': 'NORMAL' });
admin.close();
const n = 200_000;
for (const t of ['w', 'm']) await rocketSendLoad({ endpoint: b.rocketmqEndpoint!, topic: t, messagesPerRequest: per, valueBytes: 1024, window: 64, maxMessages: t === 'w' ? 64_000 : n, maxMs: 120_000, producerId: 7n });
await rocketReceiveLoad({ endpoint: b.rocketmqEndpoint!, topic: 'w', group: 'gw', batch: 32, loops: 4, expectMessages: 64_000, maxMs: 120_000 });
const fromUs = Number(process.hrtime.bigint() / 1000n);
await rocketReceiveLoad({ endpoint: b.rocketmqEndpoint!, topic: 'm', group: 'gm', batch: 32, loops: 4, expectMessages: n, maxMs: 120_000 });
const toUs = Number(process.hrtime.bigint() / 1000n);
await b.interrupt();
console.log(fromUs, toUs, join(profDir, readdirSync(profDir).find((x) => x.endsWith('.cpuprofile'))!));
