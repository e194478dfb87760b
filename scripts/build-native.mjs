// Builds the addon from source with node-gyp. Node's headers ship with this
// machine's Node under /usr/include/node; pointing node-gyp there avoids the
// header download that fails without internet access.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const args = [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild'];
const nodedir = process.env.npm_config_nodedir ?? (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
if (nodedir) args.push(`--nodedir=${nodedir}`);
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
