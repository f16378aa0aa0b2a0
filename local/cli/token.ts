import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateKeys, mintToken } from './issuer';
import { ROOT } from './template';

const HELP = `Prints an access token from the local issuer: npm run token -- [options]

  --sub <id>          the customer (default alice)
  --scope <scope>     a scope to grant; repeat for more (default orders/read and orders/write)
  --expires-in <s>    lifetime in seconds (default 3600)
  --issuer <url>      the issuer the stack runs (default http://127.0.0.1:3100)`;

async function main() {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string', default: 'alice' },
      scope: { type: 'string', multiple: true },
      'expires-in': { type: 'string', default: '3600' },
      issuer: { type: 'string', default: 'http://127.0.0.1:3100' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(HELP);
  const keys = await loadOrCreateKeys(join(ROOT, '.local', 'issuer-keys.json'));
  const token = await mintToken(keys, {
    issuer: values.issuer,
    sub: values.sub,
    scopes: values.scope ?? ['orders/read', 'orders/write'],
    expiresIn: Number(values['expires-in']),
  });
  console.log(token);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
