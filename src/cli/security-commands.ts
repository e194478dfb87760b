// `mqlab users`: SCRAM users over the Kafka protocol (AlterUserScramCredentials,
// DescribeUserScramCredentials), in the words of kafka-configs.sh
// --entity-type users, made shorter. The password is salted here; only the
// salted password crosses the wire.
import type { Command } from 'commander';
import { Admin } from '../client/admin.js';
import { saltedPassword, securityFromProperties, type ClientSecurity } from '../client/security.js';
import { table } from '../lab/stats.js';
import { readPropertiesFile } from '../server/settings.js';

const BOOTSTRAP = '127.0.0.1:9092';
const SCRAM = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
const CODES: Record<string, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
const NAMES: Record<number, string> = { 1: 'SCRAM-SHA-256', 2: 'SCRAM-SHA-512' };

/** --command-config: Kafka client properties (security.protocol, sasl.*, ssl.*). */
export function commandSecurity(file: string | undefined): ClientSecurity | undefined {
  return file ? securityFromProperties(readPropertiesFile(file)) : undefined;
}

interface UsersOptions {
  bootstrapServer: string;
  commandConfig?: string;
  add?: boolean;
  delete?: boolean;
  list?: boolean;
  user?: string;
  password?: string;
  mechanism?: string;
  iterations: string;
}

export function addSecurityCommands(program: Command): void {
  program
    .command('users')
    .description('add, list or delete SCRAM users SASL logins are checked against (like kafka-configs.sh --entity-type users)')
    .option('--bootstrap-server <host:port>', 'broker address', BOOTSTRAP)
    .option('--command-config <file>', 'client properties for a TLS or SASL listener (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location)')
    .option('--add', 'add --user with --password (or change the password)')
    .option('--delete', 'delete --user (every mechanism, or --mechanism)')
    .option('--list', 'list users and their mechanisms')
    .option('--user <name>', 'the user')
    .option('--password <password>', 'the password for --add (or set MQLAB_USER_PASSWORD, which stays out of the process list)')
    .option('--mechanism <name>', 'SCRAM-SHA-256 or SCRAM-SHA-512 (--add: default SCRAM-SHA-256; --delete: default every mechanism)')
    .option('--iterations <n>', 'PBKDF2 iterations (4096 to 16384)', '4096')
    .action(async (o: UsersOptions) => {
      try {
        await users(o);
      } catch (err) {
        console.error(`mqlab: ${(err as Error).message}`);
        process.exit(1);
      }
    });
}

async function users(o: UsersOptions): Promise<void> {
  if ([o.add, o.delete, o.list].filter(Boolean).length !== 1) throw new Error('one of --add, --delete, --list is required');
  if (o.mechanism !== undefined && !(SCRAM as readonly string[]).includes(o.mechanism)) throw new Error(`--mechanism ${o.mechanism}: expected ${SCRAM.join(' or ')}`);
  if ((o.add || o.delete) && !o.user) throw new Error('--user is required');
  const password = o.password ?? process.env.MQLAB_USER_PASSWORD;
  if (o.add && (password === undefined || password === '')) throw new Error('--add needs --password (or MQLAB_USER_PASSWORD)');
  const admin = await Admin.connect(o.bootstrapServer, commandSecurity(o.commandConfig));
  try {
    if (o.list) {
      const found = await admin.describeUsers(null);
      const rows = found.map((u) => [u.user, u.credentials.map((c) => `${NAMES[c.mechanism] ?? c.mechanism} (${c.iterations} iterations)`).join(', ')]);
      console.log(table(['USER', 'CREDENTIALS'], rows));
      return;
    }
    const user = o.user!;
    if (o.add) {
      const mechanism = (o.mechanism ?? 'SCRAM-SHA-256') as (typeof SCRAM)[number];
      const iterations = Number(o.iterations);
      const { salt, saltedPassword: salted } = saltedPassword(mechanism, password!, iterations);
      await admin.alterUsers([], [{ name: user, mechanism: CODES[mechanism]!, iterations, salt, saltedPassword: salted }]);
      console.log(`Added ${mechanism} credentials for user ${user}.`);
      return;
    }
    const has = (await admin.describeUsers([user]))[0];
    if (!has || has.credentials.length === 0) throw new Error(`user ${user} has no credentials`);
    const mechanisms = o.mechanism ? [CODES[o.mechanism]!] : has.credentials.map((c) => c.mechanism);
    await admin.alterUsers(mechanisms.map((mechanism) => ({ name: user, mechanism })), []);
    console.log(`Deleted ${mechanisms.map((m) => NAMES[m]).join(' and ')} credentials of user ${user}.`);
  } finally {
    admin.close();
  }
}
