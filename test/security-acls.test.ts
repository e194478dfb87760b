// Authorization: the authorizer's answers against Kafka's StandardAuthorizer
// rules, the ACL store's filters, checks and file, and DescribeAcls,
// CreateAcls and DeleteAcls at every version against a running broker,
// with and without an authorizer, as a super user and as one who is not.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkBrokerSettings } from '../src/broker/configs.js';
import { AclStore } from '../src/broker/security/acl-store.js';
import { ANY_ACL, type AclBinding, type AclBindingFilter, type AclOperation, type ResourceType } from '../src/broker/security/acls.js';
import { Authorizer, authorizerSettings, type AuthorizerSettings } from '../src/broker/security/authorizer.js';
import { KafkaConnection } from '../src/client/connection.js';
import { applyProperties, DEFAULT_SERVE_SETTINGS } from '../src/server/settings.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { tempDir } from './helpers/files.js';

const acl = (over: Partial<AclBinding>): AclBinding => ({ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'READ', permission: 'ALLOW', ...over });
const filter = (over: Partial<AclBindingFilter>): AclBindingFilter => ({ ...ANY_ACL, ...over });
const ENABLED: AuthorizerSettings = { enabled: true, superUsers: [], allowEveryoneIfNoAclFound: false };
const bits = (...codes: number[]): number => codes.reduce((b, c) => b | (1 << c), 0);

let tmp: ReturnType<typeof tempDir>;
let stores = 0;
beforeEach(() => {
  tmp = tempDir('mqlab-acls-');
});
afterEach(() => tmp.cleanup());

/** An authorizer over a store of its own holding these ACLs. */
function authorizer(bindings: AclBinding[], settings: Partial<AuthorizerSettings> = {}): Authorizer {
  const store = AclStore.open(join(tmp.dir, `store${stores++}`));
  expect(store.create(bindings).every((r) => r.error === 'NONE')).toBe(true);
  return new Authorizer(store, { ...ENABLED, ...settings });
}

describe('the authorizer, by StandardAuthorizer\'s rules', () => {
  const may = (a: Authorizer, principal: string, operation: AclOperation, resourceType: ResourceType, name: string, host = '10.0.0.1') => a.authorize(principal, host, operation, resourceType, name);

  it('matches literal names, the literal wildcard, and prefixes', () => {
    const a = authorizer([
      acl({ resourceName: 'orders' }),
      acl({ resourceName: 'logs-', patternType: 'PREFIXED', operation: 'WRITE' }),
      acl({ resourceName: '*', operation: 'DESCRIBE_CONFIGS' }),
      acl({ resourceType: 'GROUP', resourceName: 'app', patternType: 'PREFIXED' }),
    ]);
    expect(may(a, 'User:alice', 'READ', 'TOPIC', 'orders')).toBe(true);
    expect(may(a, 'User:alice', 'READ', 'TOPIC', 'orders2')).toBe(false); // a literal name is no prefix
    expect(may(a, 'User:alice', 'READ', 'TOPIC', 'order')).toBe(false);
    expect(may(a, 'User:alice', 'WRITE', 'TOPIC', 'logs-app')).toBe(true);
    expect(may(a, 'User:alice', 'WRITE', 'TOPIC', 'logs-')).toBe(true);
    expect(may(a, 'User:alice', 'WRITE', 'TOPIC', 'logs')).toBe(false);
    expect(may(a, 'User:alice', 'DESCRIBE_CONFIGS', 'TOPIC', 'anything')).toBe(true);
    expect(may(a, 'User:alice', 'READ', 'GROUP', 'app-1')).toBe(true);
    expect(may(a, 'User:alice', 'READ', 'GROUP', 'orders')).toBe(false); // the TOPIC ACLs are not the group's
    // A PREFIXED '*' is a prefix like any other, not a wildcard (Kafka takes it as such).
    const star = authorizer([acl({ resourceName: '*', patternType: 'PREFIXED' })]);
    expect([may(star, 'User:alice', 'READ', 'TOPIC', '*x'), may(star, 'User:alice', 'READ', 'TOPIC', 'x')]).toEqual([true, false]);
  });

  it('matches the principal exactly or User:*, and the host exactly or *', () => {
    const a = authorizer([
      acl({ principal: 'User:*', operation: 'DESCRIBE' }),
      acl({ principal: 'User:bob', host: '10.0.0.2', operation: 'WRITE' }),
      acl({ principal: 'Group:ops', operation: 'DELETE' }),
    ]);
    expect(may(a, 'User:carol', 'DESCRIBE', 'TOPIC', 'orders')).toBe(true);
    expect(may(a, 'User:alice', 'READ', 'TOPIC', 'orders')).toBe(false);
    expect(may(a, 'User:bob', 'WRITE', 'TOPIC', 'orders', '10.0.0.2')).toBe(true);
    expect(may(a, 'User:bob', 'WRITE', 'TOPIC', 'orders', '10.0.0.3')).toBe(false);
    // An IPv4 client on a dual-stack socket is its IPv4 address, as Java sees it.
    expect(may(a, 'User:bob', 'WRITE', 'TOPIC', 'orders', '::ffff:10.0.0.2')).toBe(true);
    expect(may(a, 'User:Bob', 'WRITE', 'TOPIC', 'orders', '10.0.0.2')).toBe(false);
    expect(may(a, 'User:ops', 'DELETE', 'TOPIC', 'orders')).toBe(false); // the type is part of the principal
    expect(may(a, 'Group:ops', 'DELETE', 'TOPIC', 'orders')).toBe(true);
  });

  it('lets a matching DENY win over any ALLOW, on any pattern', () => {
    const a = authorizer([
      acl({ principal: 'User:*', operation: 'ALL' }),
      acl({ resourceName: 'secret-', patternType: 'PREFIXED', permission: 'DENY' }),
      acl({ resourceName: '*', principal: 'User:mallory', operation: 'ALL', permission: 'DENY' }),
      acl({ resourceName: 'orders', host: '10.6.6.6', operation: 'WRITE', permission: 'DENY' }),
    ]);
    expect(may(a, 'User:alice', 'READ', 'TOPIC', 'orders')).toBe(true);
    expect(may(a, 'User:alice', 'WRITE', 'TOPIC', 'orders', '10.6.6.6')).toBe(false);
    expect(may(a, 'User:alice', 'READ', 'TOPIC', 'orders', '10.6.6.6')).toBe(true);
    expect(may(a, 'User:mallory', 'DESCRIBE', 'TOPIC', 'orders')).toBe(false);
    const b = authorizer([acl({ resourceName: 'secret-data', operation: 'ALL' }), acl({ resourceName: 'secret-', patternType: 'PREFIXED', permission: 'DENY' })]);
    expect(may(b, 'User:alice', 'READ', 'TOPIC', 'secret-data')).toBe(false);
    expect(may(b, 'User:alice', 'WRITE', 'TOPIC', 'secret-data')).toBe(true); // the DENY is for READ alone
  });

  it('implies DESCRIBE from READ, WRITE, DELETE and ALTER, DESCRIBE_CONFIGS from ALTER_CONFIGS, for ALLOW only; ALL is every operation', () => {
    for (const op of ['READ', 'WRITE', 'DELETE', 'ALTER'] as const) {
      const a = authorizer([acl({ operation: op })]);
      expect([may(a, 'User:alice', 'DESCRIBE', 'TOPIC', 'orders'), may(a, 'User:alice', 'DESCRIBE_CONFIGS', 'TOPIC', 'orders')], op).toEqual([true, false]);
    }
    for (const op of ['CREATE', 'ALTER_CONFIGS', 'DESCRIBE_CONFIGS'] as const) {
      expect(may(authorizer([acl({ operation: op })]), 'User:alice', 'DESCRIBE', 'TOPIC', 'orders'), op).toBe(false);
    }
    const configs = authorizer([acl({ operation: 'ALTER_CONFIGS' })]);
    expect([may(configs, 'User:alice', 'DESCRIBE_CONFIGS', 'TOPIC', 'orders'), may(configs, 'User:alice', 'ALTER', 'TOPIC', 'orders')]).toEqual([true, false]);
    // DENY READ leaves an implied DESCRIBE alone; DENY ALL denies everything.
    const denyRead = authorizer([acl({ operation: 'WRITE' }), acl({ operation: 'READ', permission: 'DENY' })]);
    expect([may(denyRead, 'User:alice', 'DESCRIBE', 'TOPIC', 'orders'), may(denyRead, 'User:alice', 'READ', 'TOPIC', 'orders')]).toEqual([true, false]);
    const all = authorizer([acl({ operation: 'ALL' }), acl({ principal: 'User:bob', operation: 'ALL', permission: 'DENY' }), acl({ principal: 'User:bob', operation: 'READ' })]);
    expect(['READ', 'WRITE', 'CREATE', 'DESCRIBE', 'ALTER_CONFIGS'].map((op) => may(all, 'User:alice', op as AclOperation, 'TOPIC', 'orders'))).toEqual([true, true, true, true, true]);
    expect(may(all, 'User:bob', 'READ', 'TOPIC', 'orders')).toBe(false);
  });

  it('lets super users do anything, DENY or not; everyone does everything without an authorizer', () => {
    const a = authorizer([acl({ principal: 'User:*', operation: 'ALL', permission: 'DENY' })], { superUsers: ['User:admin', 'User:ops'] });
    expect(may(a, 'User:admin', 'ALTER', 'CLUSTER', 'kafka-cluster')).toBe(true);
    expect(may(a, 'User:ops', 'READ', 'TOPIC', 'orders')).toBe(true);
    expect(may(a, 'User:alice', 'READ', 'TOPIC', 'orders')).toBe(false);
    expect(a.authorizedOperations('User:admin', '10.0.0.1', 'TOPIC', 'orders')).toBe(bits(3, 4, 5, 6, 7, 8, 10, 11));
    const off = authorizer([acl({ principal: 'User:*', operation: 'ALL', permission: 'DENY' })], { enabled: false });
    expect(may(off, 'User:alice', 'READ', 'TOPIC', 'orders')).toBe(true);
    expect(off.authorizedOperations('User:alice', '10.0.0.1', 'CLUSTER', 'kafka-cluster')).toBe(bits(5, 7, 8, 9, 10, 11, 12));
    expect(off.denials.TOPIC).toBe(0);
  });

  it('decides a resource no ACL covers by allow.everyone.if.no.acl.found; one covered for others is denied', () => {
    const bindings = [acl({ principal: 'User:bob' }), acl({ resourceName: 'pub-', patternType: 'PREFIXED', principal: 'User:bob', operation: 'WRITE' })];
    const closed = authorizer(bindings);
    expect(may(closed, 'User:alice', 'READ', 'TOPIC', 'free')).toBe(false);
    expect(may(closed, 'User:alice', 'READ', 'GROUP', 'g')).toBe(false);
    const open = authorizer(bindings, { allowEveryoneIfNoAclFound: true });
    expect(may(open, 'User:alice', 'READ', 'TOPIC', 'free')).toBe(true);
    expect(may(open, 'User:alice', 'ALTER', 'CLUSTER', 'kafka-cluster')).toBe(true);
    // orders and pub-x have ACLs (for bob, and for other operations): no longer open to everyone.
    expect(may(open, 'User:alice', 'READ', 'TOPIC', 'orders')).toBe(false);
    expect(may(open, 'User:alice', 'READ', 'TOPIC', 'pub-x')).toBe(false);
    expect(may(open, 'User:bob', 'WRITE', 'TOPIC', 'orders')).toBe(false);
    expect(may(open, 'User:bob', 'READ', 'TOPIC', 'orders')).toBe(true);
  });

  it('gives authorized-operations bitfields over the operations each resource type has', () => {
    const a = authorizer([
      acl({ operation: 'WRITE' }),
      acl({ operation: 'ALTER_CONFIGS' }),
      acl({ resourceType: 'GROUP', resourceName: 'g', operation: 'READ' }),
      acl({ resourceType: 'CLUSTER', resourceName: 'kafka-cluster', operation: 'IDEMPOTENT_WRITE' }),
      acl({ resourceType: 'TRANSACTIONAL_ID', resourceName: 'tx', operation: 'ALL' }),
    ]);
    const ops = (t: ResourceType, name: string) => a.authorizedOperations('User:alice', '10.0.0.1', t, name);
    expect(ops('TOPIC', 'orders')).toBe(bits(4, 8, 10, 11)); // WRITE, DESCRIBE (implied), DESCRIBE_CONFIGS (implied), ALTER_CONFIGS
    expect(ops('GROUP', 'g')).toBe(bits(3, 8));
    expect(ops('CLUSTER', 'kafka-cluster')).toBe(bits(12));
    expect(ops('TRANSACTIONAL_ID', 'tx')).toBe(bits(4, 8));
    expect(ops('TOPIC', 'other')).toBe(0);
    expect(authorizer([], { allowEveryoneIfNoAclFound: true }).authorizedOperations('User:x', 'h', 'GROUP', 'g')).toBe(bits(3, 6, 8, 10, 11));
    // Asking which operations is no request denied: nothing reported.
    expect(a.denials.TOPIC).toBe(0);
  });

  it('reports and counts the denials it is asked to, by resource type', () => {
    const a = authorizer([acl({})]);
    const heard: unknown[][] = [];
    a.onDenied = (...args) => heard.push(args);
    expect(a.authorize('User:bob', '::ffff:10.1.1.1', 'READ', 'TOPIC', 'orders')).toBe(false);
    expect(a.authorize('User:bob', '10.1.1.1', 'READ', 'GROUP', 'g')).toBe(false);
    expect(a.authorize('User:bob', '10.1.1.1', 'DESCRIBE', 'TOPIC', 'x', false)).toBe(false);
    expect(a.authorize('User:alice', '10.1.1.1', 'READ', 'TOPIC', 'orders')).toBe(true);
    expect(heard).toEqual([
      ['User:bob', '10.1.1.1', 'READ', 'TOPIC', 'orders'],
      ['User:bob', '10.1.1.1', 'READ', 'GROUP', 'g'],
    ]);
    expect(a.denials).toEqual({ TOPIC: 1, GROUP: 1, CLUSTER: 0, TRANSACTIONAL_ID: 0, DELEGATION_TOKEN: 0, USER: 0 });
  });

  it('authorizes by resource type as Kafka\'s default authorizeByResourceType', () => {
    const by = (bindings: AclBinding[], settings: Partial<AuthorizerSettings> = {}) => authorizer(bindings, settings).authorizeByResourceType('User:alice', '10.0.0.1', 'WRITE', 'TOPIC');
    expect(by([])).toBe(false);
    expect(by([], { allowEveryoneIfNoAclFound: true })).toBe(true);
    expect(by([], { superUsers: ['User:alice'] })).toBe(true);
    expect(by([acl({ operation: 'WRITE' })])).toBe(true);
    expect(by([acl({ operation: 'READ' })])).toBe(false);
    expect(by([acl({ operation: 'WRITE', principal: 'User:*' })])).toBe(true);
    expect(by([acl({ operation: 'WRITE', host: '10.9.9.9' })])).toBe(false);
    expect(by([acl({ operation: 'WRITE' }), acl({ operation: 'WRITE', permission: 'DENY' })])).toBe(false);
    expect(by([acl({ operation: 'WRITE', resourceName: 'ord-x' }), acl({ operation: 'ALL', resourceName: 'ord', patternType: 'PREFIXED', permission: 'DENY' })])).toBe(false);
    expect(by([acl({ operation: 'WRITE', resourceName: 'ord', patternType: 'PREFIXED' }), acl({ operation: 'WRITE', resourceName: 'ord-x', permission: 'DENY' })])).toBe(true);
    expect(by([acl({ operation: 'WRITE', resourceName: '*' })])).toBe(true);
    expect(by([acl({ operation: 'WRITE' }), acl({ operation: 'WRITE', resourceName: '*', permission: 'DENY' })])).toBe(false);
  });

  it('reads its settings from the broker configs, refusing classes it cannot be', () => {
    const from = (over: Record<string, string>) => authorizerSettings((n) => over[n] ?? { 'authorizer.class.name': '', 'super.users': '', 'allow.everyone.if.no.acl.found': 'false' }[n]!);
    expect(from({})).toEqual({ enabled: false, superUsers: [], allowEveryoneIfNoAclFound: false });
    for (const name of ['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer', 'mqlab']) {
      expect(from({ 'authorizer.class.name': name, 'super.users': ' User:admin ; User:ops;', 'allow.everyone.if.no.acl.found': 'true' })).toEqual({ enabled: true, superUsers: ['User:admin', 'User:ops'], allowEveryoneIfNoAclFound: true });
      expect(() => checkBrokerSettings({ 'authorizer.class.name': name })).not.toThrow();
    }
    expect(() => from({ 'authorizer.class.name': 'com.example.MyAuthorizer' })).toThrow(/authorizer.class.name=com.example.MyAuthorizer: mqlab cannot load Java classes/);
    expect(() => checkBrokerSettings({ 'authorizer.class.name': 'com.example.MyAuthorizer' })).toThrow(/mqlab cannot load Java classes/);
    expect(() => checkBrokerSettings({ 'super.users': 'User:admin;admin' })).toThrow(/"admin" is not a principal/);
    expect(() => checkBrokerSettings({ 'allow.everyone.if.no.acl.found': 'yes' })).toThrow(/must be true or false/);
  });
});

describe('the ACL store', () => {
  const FILTERED: AclBinding[] = [
    acl({ resourceName: 'orders' }),
    acl({ resourceName: '*', operation: 'DESCRIBE' }),
    acl({ resourceName: 'ord', patternType: 'PREFIXED', principal: 'User:bob', host: '10.0.0.2', permission: 'DENY' }),
    acl({ resourceName: 'x', patternType: 'PREFIXED', operation: 'WRITE' }),
    acl({ resourceType: 'GROUP', resourceName: 'orders' }),
  ];

  it('selects with Kafka\'s filters: null and ANY match anything, MATCH finds what applies to a name', () => {
    const store = AclStore.open(tmp.dir);
    store.create(FILTERED);
    const names = (f: Partial<AclBindingFilter>) => store.describe(filter(f)).map((b) => `${b.resourceType}:${b.patternType}:${b.resourceName}:${b.operation}`);
    expect(store.describe(ANY_ACL)).toHaveLength(5);
    expect(names({ resourceType: 'TOPIC', resourceName: 'orders' })).toEqual(['TOPIC:LITERAL:orders:READ']);
    expect(names({ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'MATCH' })).toEqual(['TOPIC:LITERAL:*:DESCRIBE', 'TOPIC:PREFIXED:ord:READ', 'TOPIC:LITERAL:orders:READ']);
    expect(names({ resourceName: 'orders', patternType: 'MATCH' })).toEqual(['TOPIC:LITERAL:*:DESCRIBE', 'TOPIC:PREFIXED:ord:READ', 'TOPIC:LITERAL:orders:READ', 'GROUP:LITERAL:orders:READ']);
    expect(names({ resourceName: 'ord', patternType: 'LITERAL' })).toEqual([]);
    expect(names({ resourceName: 'ord', patternType: 'PREFIXED' })).toEqual(['TOPIC:PREFIXED:ord:READ']);
    expect(names({ resourceName: '*', patternType: 'LITERAL' })).toEqual(['TOPIC:LITERAL:*:DESCRIBE']);
    expect(names({ patternType: 'PREFIXED' })).toEqual(['TOPIC:PREFIXED:ord:READ', 'TOPIC:PREFIXED:x:WRITE']);
    expect(names({ principal: 'User:bob' })).toEqual(['TOPIC:PREFIXED:ord:READ']);
    expect(names({ host: '10.0.0.2' })).toEqual(['TOPIC:PREFIXED:ord:READ']);
    expect(names({ host: '*', operation: 'WRITE' })).toEqual(['TOPIC:PREFIXED:x:WRITE']);
    expect(names({ permission: 'DENY' })).toEqual(['TOPIC:PREFIXED:ord:READ']);
    expect(names({ resourceType: 'UNKNOWN' })).toEqual([]);
  });

  it('checks each creation as Kafka does; an existing ACL is a success that adds nothing', () => {
    const store = AclStore.open(tmp.dir);
    const results = store.create([
      acl({}),
      acl({}),
      acl({ resourceType: 'CLUSTER', resourceName: 'other' }),
      acl({ resourceName: '' }),
      { ...acl({}), resourceType: 'ANY' },
      { ...acl({}), resourceType: 'UNKNOWN' },
      { ...acl({}), patternType: 'MATCH' },
      { ...acl({}), patternType: 'ANY' },
      { ...acl({}), operation: 'ANY' },
      { ...acl({}), operation: 'UNKNOWN' },
      { ...acl({}), permission: 'ANY' },
      acl({ principal: 'alice' }),
      acl({ principal: 'User:' }),
      acl({ resourceType: 'CLUSTER', resourceName: 'kafka-cluster', operation: 'ALTER' }),
      acl({ resourceType: 'USER', resourceName: 'bob', operation: 'CREATE_TOKENS' }),
    ]);
    const invalid = (message: string) => ({ error: 'INVALID_REQUEST', message });
    expect(results).toEqual([
      { error: 'NONE', message: null },
      { error: 'NONE', message: null },
      invalid('The only valid name for the CLUSTER resource is kafka-cluster'),
      invalid('Invalid empty resource name'),
      invalid('Invalid resourceType ANY'),
      invalid('Invalid resourceType UNKNOWN'),
      invalid('Invalid patternType MATCH'),
      invalid('Invalid patternType ANY'),
      invalid('Invalid operation ANY'),
      invalid('Invalid operation UNKNOWN'),
      invalid('Invalid permissionType ANY'),
      invalid('Invalid principal: expected a string in format principalType:principalName but got alice'),
      invalid('Invalid principal: expected a string in format principalType:principalName but got User:'),
      { error: 'NONE', message: null },
      { error: 'NONE', message: null },
    ]);
    expect(store.count).toBe(3);
    expect(store.create([acl({})])).toEqual([{ error: 'NONE', message: null }]);
    expect(store.count).toBe(3);
  });

  it('deletes per filter, listing what each matched (under every filter that matched it)', () => {
    const store = AclStore.open(tmp.dir);
    store.create(FILTERED);
    const results = store.delete([filter({ resourceType: 'GROUP' }), filter({ resourceName: 'orders', patternType: 'MATCH', resourceType: 'TOPIC' }), filter({ permission: 'DENY' }), filter({ operation: 'UNKNOWN' }), filter({ patternType: 'UNKNOWN' }), filter({ resourceName: 'none' })]);
    expect(results.map((r) => [r.error, r.message, r.deleted.map((b) => b.resourceName)])).toEqual([
      ['NONE', null, ['orders']],
      ['NONE', null, ['*', 'ord', 'orders']],
      ['NONE', null, ['ord']],
      ['INVALID_REQUEST', 'Unknown entryFilter.', []],
      ['INVALID_REQUEST', 'Unknown patternFilter.', []],
      ['NONE', null, []],
    ]);
    expect(store.list()).toEqual([acl({ resourceName: 'x', patternType: 'PREFIXED', operation: 'WRITE' })]);
    expect(AclStore.open(tmp.dir).list()).toEqual(store.list());
  });

  it('keeps its ACLs across a reopen, writing nothing until the first change', () => {
    const store = AclStore.open(tmp.dir);
    const file = join(tmp.dir, '__security', 'acls.json');
    store.create([acl({ resourceName: '' })]);
    store.delete([ANY_ACL]);
    expect(existsSync(file)).toBe(false);
    store.create(FILTERED);
    const reopened = AclStore.open(tmp.dir);
    expect(reopened.list()).toEqual(store.list());
    expect(reopened.describe(filter({ principal: 'User:bob' }))).toEqual([FILTERED[2]]);
    expect(new Authorizer(reopened, ENABLED).authorize('User:alice', 'h', 'READ', 'TOPIC', 'orders')).toBe(true);
  });

  it('refuses to open a corrupt or hand-edited file, naming it', () => {
    AclStore.open(tmp.dir).create([acl({})]);
    const file = join(tmp.dir, '__security', 'acls.json');
    const good = JSON.parse(readFileSync(file, 'utf8')) as { version: number; acls: Record<string, unknown>[] };
    const edited = (edit: (f: typeof good) => void): string => {
      const f = structuredClone(good);
      edit(f);
      return JSON.stringify(f);
    };
    const cases: [string, string][] = [
      ['{"version": 1, "acls": [', 'not valid JSON'],
      ['[]', 'not a JSON object'],
      [edited((f) => (f.version = 2)), 'version 2, this broker reads version 1'],
      [edited((f) => (f.acls = {} as never)), '"acls" is not a list'],
      [edited((f) => (f.acls[0] = 'x' as never)), 'acls[0] is not an object'],
      [edited((f) => delete f.acls[0]!.host), 'acls[0] has no host'],
      [edited((f) => (f.acls[0]!.operation = 'READS')), 'acls[0]: unknown operation "READS"'],
      [edited((f) => (f.acls[0]!.operation = 'ANY')), 'acls[0]: Invalid operation ANY'],
      [edited((f) => (f.acls[0]!.principal = 'alice')), 'acls[0]: Invalid principal'],
      [edited((f) => f.acls.push(f.acls[0]!)), 'acls[1] is listed twice'],
    ];
    for (const [text, why] of cases) {
      writeFileSync(file, text);
      expect(() => AclStore.open(tmp.dir), why).toThrow(`ACL file ${file}: ${why}`);
    }
    writeFileSync(file, JSON.stringify(good));
    expect(AclStore.open(tmp.dir).list()).toEqual([acl({})]);
  });
});

describe('DescribeAcls, CreateAcls and DeleteAcls against a running broker', () => {
  const CLASS = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
  let broker: TestBroker;
  let conns: KafkaConnection[] = [];
  const open = async (port = broker.port): Promise<KafkaConnection> => {
    const c = await KafkaConnection.open('127.0.0.1', port, 'acls');
    conns.push(c);
    return c;
  };
  const asBob = async (): Promise<KafkaConnection> => {
    const port = broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port;
    const c = await KafkaConnection.open('127.0.0.1', port, 'acls-bob', { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'pw' } });
    conns.push(c);
    return c;
  };

  beforeAll(async () => {
    // Over PLAINTEXT the principal is User:ANONYMOUS: the super user here.
    broker = await startTestBroker({ 'authorizer.class.name': CLASS, 'super.users': 'User:ANONYMOUS', listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0' });
    broker.credentials.setPassword('bob', 'pw', 'SCRAM-SHA-256');
  });
  afterEach(() => {
    for (const c of conns) c.close();
    conns = [];
    broker.acls.delete([ANY_ACL]);
  });
  afterAll(async () => {
    await broker?.destroy();
  });

  const creation = (name: string, over: object = {}) => ({ resourceType: 2, resourceName: name, resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3, ...over });
  // v0 has no pattern type: LITERAL, which a client must leave as it is (Kafka's turns ANY into it).
  const anyFilter = (v: number, over: object = {}) => ({ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: v === 0 ? 3 : 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1, ...over });

  it.each([0, 1, 2, 3])('creates, describes and deletes ACLs at v%i', async (v) => {
    const c = await open();
    const prefixed = v >= 1;
    const created = await c.request(30, v, {
      creations: [
        creation(`t${v}`),
        creation('cluster', { resourceType: 4 }),
        creation(`t${v}`, { operation: 1 }),
        ...(prefixed ? [creation(`p${v}-`, { resourcePatternType: 4, operation: 4, permissionType: 2 })] : []),
        ...(v >= 3 ? [creation('bob', { resourceType: 7, operation: 13 })] : []),
      ],
    });
    expect(created.results).toEqual([
      { errorCode: 0, errorMessage: null },
      { errorCode: 42, errorMessage: 'The only valid name for the CLUSTER resource is kafka-cluster' },
      { errorCode: 42, errorMessage: 'Invalid operation ANY' },
      ...(prefixed ? [{ errorCode: 0, errorMessage: null }] : []),
      ...(v >= 3 ? [{ errorCode: 0, errorMessage: null }] : []),
    ]);
    expect(broker.acls.count).toBe(1 + (prefixed ? 1 : 0) + (v >= 3 ? 1 : 0));

    // v0 filters are LITERAL (the field is absent; Kafka reads ANY as LITERAL there too).
    const all = await c.request(29, v, anyFilter(v));
    expect(all).toMatchObject({ errorCode: 0, errorMessage: null });
    const alice = { principal: 'User:alice', host: '*' };
    expect(all.resources).toEqual([
      { resourceType: 2, resourceName: `p${v}-`, patternType: 4, acls: [{ ...alice, operation: 4, permissionType: 2 }] },
      { resourceType: 2, resourceName: `t${v}`, patternType: 3, acls: [{ ...alice, operation: 3, permissionType: 3 }] },
      { resourceType: 7, resourceName: 'bob', patternType: 3, acls: [{ ...alice, operation: 13, permissionType: 3 }] },
    ].filter((r) => (r.patternType === 3 || prefixed) && (r.resourceType !== 7 || v >= 3)));
    if (prefixed) {
      const match = await c.request(29, v, anyFilter(v, { resourceTypeFilter: 2, resourceNameFilter: `p${v}-x`, patternTypeFilter: 2 }));
      expect(match.resources.map((r) => r.resourceName)).toEqual([`p${v}-`]);
    }
    // An UNKNOWN in the filter: refused with a reason.
    expect(await c.request(29, v, anyFilter(v, { operation: 0 }))).toMatchObject({ errorCode: 42, resources: [] });

    const deleted = await c.request(31, v, { filters: [anyFilter(v, { resourceNameFilter: `t${v}` }), anyFilter(v, { permissionType: 0 }), anyFilter(v, { resourceNameFilter: 'none' })] });
    expect(deleted.filterResults).toEqual([
      { errorCode: 0, errorMessage: null, matchingAcls: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: `t${v}`, patternType: 3, ...alice, operation: 3, permissionType: 3 }] },
      { errorCode: 42, errorMessage: 'Unknown entryFilter.', matchingAcls: [] },
      { errorCode: 0, errorMessage: null, matchingAcls: [] },
    ]);
    expect(broker.acls.describe(ANY_ACL).map((b) => b.resourceName)).toEqual([...(prefixed ? [`p${v}-`] : []), ...(v >= 3 ? ['bob'] : [])]);
  });

  it('refuses a principal without ALTER (or DESCRIBE) on the cluster, and serves one granted it', async () => {
    const bob = await asBob();
    const denied = { errorCode: 31, errorMessage: expect.stringContaining('User:bob may not ALTER the cluster') };
    expect((await bob.request(30, 3, { creations: [creation('x'), creation('y')] })).results).toEqual([denied, denied]);
    expect((await bob.request(31, 3, { filters: [anyFilter(3)] })).filterResults).toEqual([{ ...denied, matchingAcls: [] }]);
    expect(await bob.request(29, 3, anyFilter(3))).toMatchObject({ errorCode: 31, errorMessage: expect.stringContaining('User:bob may not DESCRIBE the cluster'), resources: [] });
    expect(broker.acls.count).toBe(0);
    expect(broker.authorizer.denials.CLUSTER).toBeGreaterThanOrEqual(3);

    // The super user grants bob ALTER on the cluster: ALTER implies DESCRIBE, so he may list them too.
    const admin = await open();
    const grant = await admin.request(30, 3, { creations: [creation('kafka-cluster', { resourceType: 4, principal: 'User:bob', operation: 7 })] });
    expect(grant.results).toEqual([{ errorCode: 0, errorMessage: null }]);
    expect((await bob.request(30, 3, { creations: [creation('x')] })).results).toEqual([{ errorCode: 0, errorMessage: null }]);
    const listed = await bob.request(29, 3, anyFilter(3));
    expect(listed.resources.map((r) => r.resourceName)).toEqual(['x', 'kafka-cluster']);
    expect(broker.authorizer.authorize('User:alice', '127.0.0.1', 'READ', 'TOPIC', 'x')).toBe(true);
  });

  it('keeps the ACLs across a restart', async () => {
    const c = await open();
    await c.request(30, 3, { creations: [creation('kept', { principal: 'User:carol' })] });
    c.close();
    broker = await broker.restart();
    expect(broker.acls.list()).toEqual([acl({ resourceName: 'kept', principal: 'User:carol' })]);
    const again = await open();
    expect((await again.request(29, 3, anyFilter(3))).resources.map((r) => r.resourceName)).toEqual(['kept']);
  });

  it('answers SECURITY_DISABLED at every version without an authorizer', async () => {
    const plain = await startTestBroker();
    try {
      const c = await KafkaConnection.open('127.0.0.1', plain.port, 'acls-plain');
      try {
        for (const v of [0, 1, 2, 3]) {
          expect(await c.request(29, v, anyFilter(v))).toEqual({ throttleTimeMs: 0, errorCode: 54, errorMessage: 'No Authorizer is configured on the broker', resources: [] });
          const disabled = { errorCode: 54, errorMessage: 'No Authorizer is configured on the broker' };
          expect((await c.request(30, v, { creations: [creation('x')] })).results).toEqual([disabled]);
          expect((await c.request(31, v, { filters: [anyFilter(v), anyFilter(v)] })).filterResults).toEqual([{ ...disabled, matchingAcls: [] }, { ...disabled, matchingAcls: [] }]);
        }
      } finally {
        c.close();
      }
      expect(plain.acls.count).toBe(0);
      expect(plain.authorizer.authorize('User:anyone', 'h', 'ALTER', 'CLUSTER', 'kafka-cluster')).toBe(true);
    } finally {
      await plain.destroy();
    }
  });

  it('refuses an authorizer class it cannot be, before starting', () => {
    expect(() => applyProperties(DEFAULT_SERVE_SETTINGS, { 'authorizer.class.name': 'kafka.security.auth.SimpleAclAuthorizer' })).toThrow(/mqlab cannot load Java classes/);
  });
});
