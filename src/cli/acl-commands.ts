// `mqlab acls`: Kafka's ACLs over the protocol (CreateAcls, DescribeAcls,
// DeleteAcls), in the words of kafka-acls.sh: --add / --remove / --list,
// --allow-principal, --deny-principal, --allow-host, --deny-host,
// --operation (repeatable), --topic / --group / --cluster /
// --transactional-id, --resource-pattern-type, --force.
import type { Command } from 'commander';
import { Admin } from '../client/admin.js';
import { commandSecurity } from './security-commands.js';

const RESOURCE_CODES = { TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5 } as const;
const RESOURCE_NAMES: Record<number, string> = { 1: 'ANY', 2: 'TOPIC', 3: 'GROUP', 4: 'CLUSTER', 5: 'TRANSACTIONAL_ID', 6: 'DELEGATION_TOKEN', 7: 'USER' };
const PATTERN_CODES: Record<string, number> = { ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 };
const PATTERN_NAMES: Record<number, string> = { 1: 'ANY', 2: 'MATCH', 3: 'LITERAL', 4: 'PREFIXED' };
/** kafka-acls.sh's operation names (any case) to AclOperation codes. */
const OPERATION_CODES: Record<string, number> = { all: 2, read: 3, write: 4, create: 5, delete: 6, alter: 7, describe: 8, clusteraction: 9, describeconfigs: 10, alterconfigs: 11, idempotentwrite: 12 };
const OPERATION_NAMES: Record<number, string> = { 1: 'ANY', 2: 'ALL', 3: 'READ', 4: 'WRITE', 5: 'CREATE', 6: 'DELETE', 7: 'ALTER', 8: 'DESCRIBE', 9: 'CLUSTER_ACTION', 10: 'DESCRIBE_CONFIGS', 11: 'ALTER_CONFIGS', 12: 'IDEMPOTENT_WRITE' };
const PERMISSION_NAMES: Record<number, string> = { 1: 'ANY', 2: 'DENY', 3: 'ALLOW' };
const ANY = 1;
const ALLOW = 3;
const DENY = 2;

interface AclOptions {
  bootstrapServer: string;
  commandConfig?: string;
  add?: boolean;
  remove?: boolean;
  list?: boolean;
  allowPrincipal?: string[];
  denyPrincipal?: string[];
  allowHost?: string[];
  denyHost?: string[];
  principal?: string[];
  operation?: string[];
  topic?: string[];
  group?: string[];
  cluster?: boolean;
  transactionalId?: string[];
  resourcePatternType?: string;
  force?: boolean;
}

interface Pattern {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
}

export interface AclEntry {
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

const collect = (v: string, acc: string[] = []): string[] => [...acc, v];

export function addAclCommands(program: Command): void {
  program
    .command('acls')
    .description('add, list or remove ACLs (like kafka-acls.sh); the broker enforces them once authorizer.class.name is set')
    .option('--bootstrap-server <host:port>', 'broker address', '127.0.0.1:9092')
    .option('--command-config <file>', 'client properties for a TLS or SASL listener')
    .option('--add', 'add the ACLs described')
    .option('--remove', 'remove the ACLs described')
    .option('--list', 'list ACLs (of the resources given, else all)')
    .option('--allow-principal <principal>', 'User:name allowed (repeatable)', collect)
    .option('--deny-principal <principal>', 'User:name denied (repeatable)', collect)
    .option('--allow-host <host>', 'host the allow ACLs hold for (repeatable; default *)', collect)
    .option('--deny-host <host>', 'host the deny ACLs hold for (repeatable; default *)', collect)
    .option('--principal <principal>', '--list: only the ACLs of this principal (repeatable)', collect)
    .option('--operation <op>', 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All (repeatable; default All)', collect)
    .option('--topic <name>', 'a topic (repeatable; * for all)', collect)
    .option('--group <name>', 'a consumer group (repeatable; * for all)', collect)
    .option('--cluster', 'the cluster')
    .option('--transactional-id <id>', 'a transactional id (repeatable; * for all)', collect)
    .option('--resource-pattern-type <type>', 'literal or prefixed (--add), also any or match (--list, --remove)', 'literal')
    .option('--force', '--remove without asking (mqlab never asks: --remove needs --force)')
    .action(async (o: AclOptions) => {
      try {
        await acls(o);
      } catch (err) {
        console.error(`mqlab: ${(err as Error).message}`);
        process.exit(1);
      }
    });
}

function patternsOf(o: AclOptions): Pattern[] {
  const type = (o.resourcePatternType ?? 'literal').toUpperCase();
  const patternType = PATTERN_CODES[type];
  if (patternType === undefined) throw new Error(`--resource-pattern-type ${o.resourcePatternType}: expected literal, prefixed, any or match`);
  if (o.add && patternType !== PATTERN_CODES.LITERAL && patternType !== PATTERN_CODES.PREFIXED) throw new Error('--add takes --resource-pattern-type literal or prefixed');
  const out: Pattern[] = [];
  for (const name of o.topic ?? []) out.push({ resourceType: RESOURCE_CODES.TOPIC, resourceName: name, patternType });
  for (const name of o.group ?? []) out.push({ resourceType: RESOURCE_CODES.GROUP, resourceName: name, patternType });
  for (const name of o.transactionalId ?? []) out.push({ resourceType: RESOURCE_CODES.TRANSACTIONAL_ID, resourceName: name, patternType });
  if (o.cluster) out.push({ resourceType: RESOURCE_CODES.CLUSTER, resourceName: 'kafka-cluster', patternType: PATTERN_CODES.LITERAL! });
  return out;
}

function operationsOf(o: AclOptions): number[] {
  return (o.operation ?? ['All']).map((name) => {
    const code = OPERATION_CODES[name.toLowerCase().replace(/[-_]/g, '')];
    if (code === undefined) throw new Error(`--operation ${name}: expected one of Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All`);
    return code;
  });
}

/** Every (principal, host, operation, permission) the options name: kafka-acls.sh's product. */
function entriesOf(o: AclOptions): AclEntry[] {
  const out: AclEntry[] = [];
  const operations = operationsOf(o);
  for (const [principals, hosts, permissionType] of [
    [o.allowPrincipal ?? [], o.allowHost ?? ['*'], ALLOW],
    [o.denyPrincipal ?? [], o.denyHost ?? ['*'], DENY],
  ] as const) {
    for (const principal of principals) {
      if (!/^[^:]+:.+$/.test(principal)) throw new Error(`principal ${principal}: expected Type:name, e.g. User:alice`);
      for (const host of hosts) for (const operation of operations) out.push({ principal, host, operation, permissionType });
    }
  }
  return out;
}

async function acls(o: AclOptions): Promise<void> {
  if ([o.add, o.remove, o.list].filter(Boolean).length !== 1) throw new Error('one of --add, --remove, --list is required');
  const patterns = patternsOf(o);
  const admin = await Admin.connect(o.bootstrapServer, commandSecurity(o.commandConfig));
  try {
    if (o.list) {
      const filters = patterns.length > 0 ? patterns : [{ resourceType: ANY, resourceName: null, patternType: PATTERN_CODES.ANY! }];
      const principals = o.principal ?? [null];
      for (const f of filters) for (const principal of principals) printResources(await admin.describeAcls({ ...f, principal, host: null, operation: ANY, permissionType: ANY }));
      return;
    }
    if (patterns.length === 0) throw new Error('name a resource: --topic, --group, --cluster or --transactional-id');
    const entries = entriesOf(o);
    if (entries.length === 0) throw new Error('name a principal: --allow-principal or --deny-principal');
    if (o.add) {
      await admin.createAcls(patterns.flatMap((p) => entries.map((e) => ({ ...p, resourceName: p.resourceName!, ...e }))));
      for (const p of patterns) console.log(`Added ACLs for resource \`${patternText(p)}\`:\n${entries.map((e) => `\t${entryText(e)}`).join('\n')}\n`);
      return;
    }
    if (!o.force) throw new Error('--remove deletes ACLs without asking only with --force');
    const removed = await admin.deleteAcls(patterns.flatMap((p) => entries.map((e) => ({ ...p, ...e }))));
    console.log(`Removed ${removed.length} ACL${removed.length === 1 ? '' : 's'}.`);
    printResources(removed.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, acls: [r] })));
  } finally {
    admin.close();
  }
}

function patternText(p: Pattern): string {
  return `ResourcePattern(resourceType=${RESOURCE_NAMES[p.resourceType]}, name=${p.resourceName}, patternType=${PATTERN_NAMES[p.patternType]})`;
}

function entryText(e: AclEntry): string {
  return `(principal=${e.principal}, host=${e.host}, operation=${OPERATION_NAMES[e.operation]}, permissionType=${PERMISSION_NAMES[e.permissionType]})`;
}

function printResources(resources: { resourceType: number; resourceName: string; patternType: number; acls: AclEntry[] }[]): void {
  for (const r of resources) console.log(`Current ACLs for resource \`${patternText(r)}\`: \n${r.acls.map((e) => ` \t${entryText(e)}`).join('\n')} \n`);
}
