// RabbitMQ (Debian's rabbitmq-server) started as the lab's own child, not
// the system service: Debian's /usr/sbin wrapper would `su rabbitmq` and
// use /var/lib/rabbitmq, so the release's own script is run as whoever runs
// the lab, with every path it reads or writes (HOME and its Erlang cookie,
// Mnesia, logs, config, enabled plugins, the env file) inside the data
// directory, its AMQP listener and Erlang distribution on free loopback
// ports, and no plugins.
//
// epmd: an Erlang node registers with epmd, and a VM that finds none starts
// `epmd -daemon`, which detaches and outlives the server. So a small shell
// wrapper starts epmd itself, in the foreground, on a free loopback port
// (ERL_EPMD_PORT, which the VM and rabbitmqctl then use), waits until it
// answers, and runs the server beside it: epmd is a child of the pid the lab
// spawned, part of the tree stop() ends, and the wrapper ends it too when
// the server exits on its own (a failed start). No epmd on the default port
// 4369 is started or touched.
import { randomBytes } from 'node:crypto';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { freePort, startServer, which, type PeerServer, type ServerSpec } from './server.js';

/** The release's own start script (Debian's /usr/sbin/rabbitmq-server is the su wrapper). */
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface RabbitmqPorts {
  amqp: number;
  dist: number;
  epmd: number;
}

// Runs epmd in the foreground, then the server; forwards SIGTERM and waits
// for the server, then ends epmd, so the spawned pid outlives both.
const WRAPPER = `
epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1 &
epmd_pid=$!
n=0
until epmd -port "$ERL_EPMD_PORT" -names >/dev/null 2>&1; do
  if ! kill -0 "$epmd_pid" 2>/dev/null; then
    echo "mqlab: epmd could not listen on 127.0.0.1:$ERL_EPMD_PORT" >&2
    exit 1
  fi
  n=$((n + 1))
  if [ "$n" -ge 250 ]; then
    echo "mqlab: epmd did not answer on 127.0.0.1:$ERL_EPMD_PORT within 5 s" >&2
    kill -TERM "$epmd_pid"; wait "$epmd_pid"
    exit 1
  fi
  sleep 0.02
done
"$MQLAB_RABBITMQ_SERVER" &
server_pid=$!
trap 'kill -TERM "$server_pid" 2>/dev/null' TERM INT
status=0
# A trapped signal interrupts wait: wait again until the server is gone.
while kill -0 "$server_pid" 2>/dev/null; do
  wait "$server_pid"
  status=$?
done
kill -TERM "$epmd_pid" 2>/dev/null
wait "$epmd_pid"
exit "$status"
`;

/** Starts RabbitMQ in `dataDir` on the given ports (the lab picks free ones; a test may pass a taken one). */
export async function startRabbitmq(dataDir: string, ports: RabbitmqPorts): Promise<PeerServer> {
  const home = join(dataDir, 'home');
  mkdirSync(home, { recursive: true });
  // The cookie the node and any rabbitmqctl run with this HOME share; ~/.erlang.cookie is never read.
  writeFileSync(join(home, '.erlang.cookie'), randomBytes(20).toString('hex'), { mode: 0o400 });
  for (const d of ['mnesia', 'log']) mkdirSync(join(dataDir, d), { recursive: true });
  const config = join(dataDir, 'rabbitmq.conf');
  writeFileSync(
    config,
    [
      `listeners.tcp.default = 127.0.0.1:${ports.amqp}`,
      // Logs on stdout, where startServer looks for the readiness line; no log file to rotate.
      'log.console = true',
      'log.console.level = info',
      'log.file = false',
      '',
    ].join('\n'),
  );
  const plugins = join(dataDir, 'enabled_plugins');
  writeFileSync(plugins, '[].\n');
  // An empty env file, so /etc/rabbitmq/rabbitmq-env.conf is not read.
  const envFile = join(dataDir, 'rabbitmq-env.conf');
  writeFileSync(envFile, '');
  const server = await startServer({
    system: 'rabbitmq',
    command: '/bin/sh',
    args: ['-c', WRAPPER],
    cwd: dataDir,
    env: {
      HOME: home,
      MQLAB_RABBITMQ_SERVER: RABBITMQ_SERVER,
      RABBITMQ_NODENAME: `mqlab-${ports.amqp}@localhost`,
      RABBITMQ_NODE_PORT: String(ports.amqp),
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_DIST_PORT: String(ports.dist),
      RABBITMQ_MNESIA_BASE: join(dataDir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dataDir, 'log'),
      RABBITMQ_CONFIG_FILE: config,
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dataDir, 'advanced.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: plugins,
      RABBITMQ_CONF_ENV_FILE: envFile,
      RABBITMQ_PID_FILE: join(dataDir, 'rabbitmq.pid'),
      // The distribution listener on loopback only (RABBITMQ_DIST_PORT fixes its port).
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
      ERL_EPMD_PORT: String(ports.epmd),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      ERL_CRASH_DUMP: join(dataDir, 'erl_crash.dump'),
    },
    port: ports.amqp,
    ready: /Server startup complete/,
    startTimeoutMs: 60_000,
    stopTimeoutMs: 15_000,
  }).catch((err: Error) => {
    throw new Error(`${portTrouble(err.message, ports)}${err.message}`);
  });
  // The banner with the version scrolls out of startServer's window behind the boot steps; the release's directory names it.
  return { ...server, version: releaseVersion() };
}

/** A first line naming the port when the node's output says one was taken (its own words are deep in an Erlang term). */
function portTrouble(output: string, ports: RabbitmqPorts): string {
  if (/could_not_start_listener/.test(output)) return `rabbitmq could not listen for AMQP on 127.0.0.1:${ports.amqp} (port taken?)\n`;
  if (/dist_port_already_used/.test(output)) return `rabbitmq's Erlang distribution port 127.0.0.1:${ports.dist} is taken\n`;
  if (/epmd could not listen/.test(output)) return `rabbitmq's epmd port 127.0.0.1:${ports.epmd} is taken\n`;
  return '';
}

/** "RabbitMQ 3.10.8" from /usr/lib/rabbitmq/lib/rabbitmq_server-3.10.8/sbin/rabbitmq-server, or "". */
function releaseVersion(): string {
  const m = /^rabbitmq_server-(.+)$/.exec(basename(dirname(dirname(realpathSync(RABBITMQ_SERVER)))));
  return m ? `RabbitMQ ${m[1]}` : '';
}

export const rabbitmqServer: ServerSpec = {
  system: 'rabbitmq',
  apt: 'apt-get install -y rabbitmq-server',
  installed: () => which(RABBITMQ_SERVER) !== null && which('epmd') !== null,
  // Durability is per queue and per message in RabbitMQ: the driver's, not the server's.
  start: async (dataDir) => {
    const [amqp, dist, epmd] = await freePorts(3);
    return startRabbitmq(dataDir, { amqp: amqp!, dist: dist!, epmd: epmd! });
  },
};

/** `n` different free ports (freePort alone may hand back the one it just gave). */
async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
