// A broker that will take this many connections: max.connections (the
// broker's only connection limit; it has no per-address one) asked of the
// broker itself and raised with --set when short, and the open-file limit
// of the broker process and of this one checked, since every connection is
// a file on both sides.
import { readFileSync } from 'node:fs';
import { Admin } from '../../src/client/admin.js';
import { BrokerProcess } from '../../src/lab/broker-process.js';
import { openFileLimit } from '../../src/storage/file-limit.js';

export interface ConnectionLimits {
  /** max.connections in force, and whether this run raised it. */
  maxConnections: number;
  raised: boolean;
  brokerOpenFiles: number | null;
  ownOpenFiles: number | null;
  /** One line for the output. */
  note: string;
}

/** Room for the admin connection and a few more besides the load's. */
const SPARE = 16;

export async function brokerForConnections(args: string[], connections: number): Promise<{ broker: BrokerProcess; admin: Admin; limits: ConnectionLimits }> {
  const need = connections + SPARE;
  let broker = await BrokerProcess.start(args);
  let admin = await Admin.connect(broker.bootstrap);
  const configured = Number((await admin.describeConfigs()).find((c) => c.name === 'max.connections')?.value);
  let raised = false;
  if (!(configured >= need)) {
    // A static setting: only a broker started with it has it.
    admin.close();
    await broker.stop();
    broker = await BrokerProcess.start([...args, '--set', `max.connections=${need}`]);
    admin = await Admin.connect(broker.bootstrap);
    raised = true;
  }
  const maxConnections = raised ? need : configured;
  const brokerOpenFiles = openFileLimit(readFileSync(`/proc/${broker.pid}/limits`, 'utf8'));
  const ownOpenFiles = openFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  for (const [who, limit] of [['the broker', brokerOpenFiles], ['this process', ownOpenFiles]] as const) {
    if (limit !== null && limit < need + 256) {
      admin.close();
      await broker.stop();
      throw new Error(`${who} may open ${limit} files, too few for ${connections} connections: raise ulimit -n`);
    }
  }
  const note = raised
    ? `max.connections raised to ${maxConnections} for this run (--set; the broker's was ${configured})`
    : `max.connections ${maxConnections} (broker default) allows ${connections}; no per-address limit; open files: broker ${brokerOpenFiles}, generator ${ownOpenFiles}`;
  return { broker, admin, limits: { maxConnections, raised, brokerOpenFiles, ownOpenFiles, note } };
}

/**
 * The kernel's count of connections dropped because a listen backlog was
 * full (TcpExt ListenOverflows): machine-wide, so other programs' count too,
 * but a rise during a run says some of its connections started late.
 */
export function listenOverflows(): number | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    const i = names.indexOf('ListenOverflows');
    return i > 0 ? Number(values[i]) : null;
  } catch {
    return null;
  }
}
