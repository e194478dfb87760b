// NATS with JetStream, started from Debian's nats-server (2.9.10 in
// bookworm) with a config file of its own in the data directory. The
// persistence mode is per stream (file or memory storage), so it is the
// driver's; the server is the same for every mode. 2.9 has no
// sync_interval option (it came in 2.10): the file store's background
// fsync runs every 2 minutes, hard-coded for streams.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NATS_MODES } from '../drivers/nats.js';
import { freePort, startServer, which, type ServerSpec } from './server.js';

const COMMAND = 'nats-server';

/** The server's config: client port on loopback only, JetStream storing under `dataDir`, no monitoring port. */
export function natsConfig(dataDir: string, port: number): string {
  return [
    `listen: ${JSON.stringify(`127.0.0.1:${port}`)}`,
    'server_name: "mqlab-peer"',
    // No `http`/`monitor_port`: monitoring stays off, so no second port to collide.
    'jetstream {',
    // The server adds "jetstream/" under store_dir itself.
    `  store_dir: ${JSON.stringify(dataDir)}`,
    '}',
    '',
  ].join('\n');
}

export const natsServer: ServerSpec = {
  system: 'nats',
  apt: 'apt-get install -y nats-server',
  installed: () => which(COMMAND) !== null,
  async start(dataDir, mode) {
    if (!NATS_MODES.some((m) => m.id === mode)) {
      throw new Error(`nats: unknown persistence mode "${mode}" (known: ${NATS_MODES.map((m) => m.id).join(', ')})`);
    }
    const command = which(COMMAND);
    if (!command) throw new Error(`nats: ${COMMAND} is not installed (${natsServer.apt})`);
    const port = await freePort();
    const config = join(dataDir, 'nats.conf');
    writeFileSync(config, natsConfig(dataDir, port));
    return startServer({
      system: 'nats',
      command,
      args: ['-c', config],
      cwd: dataDir,
      port,
      ready: /Server is ready/,
      version: /Version:\s+(\S+)/,
      startTimeoutMs: 20_000,
    });
  },
};
