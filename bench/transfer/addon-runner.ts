// Sends from this process through the addon (or plain Node, as the bar to
// beat) to the sink, timing the loop and measuring this process's CPU.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { native, STRATEGY_NAMES, type StrategyName, type StrategyCounters } from '../../src/native/addon.js';
import { resetTransferCounters, strategyByName, transferCounters, type SharedFile } from '../../src/transfer/index.js';

export type Sender = StrategyName | 'threadpool-sendfile' | 'node-write';

export interface AddonResult {
  sender: Sender;
  size: number;
  count: number;
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  counters: StrategyCounters | null;
}

async function open(port: number): Promise<Socket> {
  const sock = connect(port, '127.0.0.1');
  await once(sock, 'connect');
  sock.setNoDelay(true);
  return sock;
}

async function close(sock: Socket): Promise<void> {
  sock.end();
  await once(sock, 'close');
}

function poolSend(fd: number, regions: Float64Array): Promise<void> {
  return new Promise((resolve, reject) => native.sendOnThreadPool(0, fd, null, regions, (err) => (err ? reject(err) : resolve())));
}

/** Sends [0, size) of the file `count` times over one connection. */
export async function runAddon(port: number, file: SharedFile, memory: Buffer, sender: Sender, size: number, count: number): Promise<AddonResult> {
  const sock = await open(port);
  const region = [{ file, position: 0, length: size }];
  const packed = new Float64Array([file.fd, 0, size]);
  const sockFd = (sock as unknown as { _handle: { fd: number } })._handle.fd;
  const slice = memory.subarray(0, size);
  resetTransferCounters();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  if (sender === 'node-write') {
    for (let i = 0; i < count; i++) {
      if (!sock.write(slice)) await once(sock, 'drain');
    }
    if (sock.writableLength > 0) await once(sock, 'drain');
  } else if (sender === 'threadpool-sendfile') {
    for (let i = 0; i < count; i++) await poolSend(sockFd, packed);
  } else {
    const strategy = strategyByName(sender);
    for (let i = 0; i < count; i++) await strategy.send(sock, null, region);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const counterKey: StrategyName | null = sender === 'threadpool-sendfile' ? 'sendfile' : (STRATEGY_NAMES as readonly string[]).includes(sender) ? (sender as StrategyName) : null;
  const counters = counterKey ? transferCounters()[counterKey] : null;
  await close(sock);
  return { sender, size, count, bytes: size * count, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, counters };
}
