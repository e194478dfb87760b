// Redis, started from Debian's redis-server (7.0 in bookworm) with a
// config file of its own in the data directory. Redis's persistence is a
// server setting, so the mode is written into that file: AOF on with
// appendfsync always or everysec, or no AOF at all; RDB snapshots are off
// in every mode so that none of them persists by another route.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redisMode } from '../drivers/redis.js';
import { freePort, startServer, which, type ServerSpec } from './server.js';

const COMMAND = 'redis-server';

/** Quoted as redis.conf reads a string (a data directory may hold spaces). */
const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The server's config for one mode: loopback only, its files under `dataDir`, logging to stdout for the lab to read. */
export function redisConfig(dataDir: string, port: number, modeId: string): string {
  const mode = redisMode(modeId);
  return [
    'bind 127.0.0.1',
    `port ${port}`,
    `dir ${quote(dataDir)}`,
    'daemonize no',
    'logfile ""',
    // No RDB snapshots: "off" must mean nothing reaches disk, and snapshot forks would skew the other modes' CPU.
    'save ""',
    `appendonly ${mode.appendonly}`,
    ...(mode.appendfsync ? [`appendfsync ${mode.appendfsync}`] : []),
    '',
  ].join('\n');
}

export const redisServer: ServerSpec = {
  system: 'redis',
  apt: 'apt-get install -y redis-server',
  installed: () => which(COMMAND) !== null,
  async start(dataDir, mode) {
    redisMode(mode); // an unknown mode fails before anything starts
    const command = which(COMMAND);
    if (!command) throw new Error(`redis: ${COMMAND} is not installed (${redisServer.apt})`);
    const port = await freePort();
    const config = join(dataDir, 'redis.conf');
    writeFileSync(config, redisConfig(dataDir, port, mode));
    return startServer({
      system: 'redis',
      command,
      args: [config],
      cwd: dataDir,
      port,
      ready: /Ready to accept connections/,
      version: /Redis version=(\S+?),/,
      startTimeoutMs: 20_000,
    });
  },
};
