// The broker's security state, shared by every protocol it speaks: the users
// logins are checked against, the ACLs and the authorizer that decides by
// them, and the audit of what was refused.
import { AccessKeyStore } from './access-keys.js';
import { AclStore } from './acl-store.js';
import { SecurityAudit } from './audit.js';
import { Authorizer, authorizerSettings } from './authorizer.js';
import { CredentialStore } from './credentials.js';

export interface BrokerSecurity {
  credentials: CredentialStore;
  /** RocketMQ clients' access keys, each a user's. */
  accessKeys: AccessKeyStore;
  acls: AclStore;
  authorizer: Authorizer;
  audit: SecurityAudit;
}

/** Opens the stores in the data directory (a corrupt file stops the start) and the authorizer the configs name. */
export function openSecurity(dataDir: string, config: (name: string) => string, log: (message: string) => void): BrokerSecurity {
  const credentials = CredentialStore.open(dataDir);
  const accessKeys = AccessKeyStore.open(dataDir);
  const acls = AclStore.open(dataDir);
  const audit = new SecurityAudit(log);
  const authorizer = new Authorizer(acls, authorizerSettings(config), (principal, host, operation, type, name) => audit.denied(principal, host, operation, type, name));
  return { credentials, accessKeys, acls, authorizer, audit };
}
