import { join } from 'node:path';
import { loadOrCreateKeys, mintToken } from '../cognito/issuer';
import { ROOT } from '../template';
import { numberOption, parseCommandLine, runCommand } from './args';
import { runningStack } from './stack-file';

const USAGE = `Prints an access token from the local stack's issuer: npm run -s token -- [options]

  --sub <id>          the customer (default alice)
  --scope <scope>     a scope to grant; repeat for more (default orders/read and orders/write)
  --expires-in <s>    lifetime in seconds (default 3600)
  --state-dir <dir>   the running stack's state directory (default .local)
  --issuer <url>      sign for this issuer instead of the running stack's`;

runCommand(USAGE, async () => {
  const { values } = parseCommandLine(USAGE, {
    sub: { type: 'string', default: 'alice' },
    scope: { type: 'string', multiple: true },
    'expires-in': { type: 'string', default: '3600' },
    'state-dir': { type: 'string' },
    issuer: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  if (values.help) return console.log(USAGE);
  const expiresIn = numberOption('expires-in', values['expires-in'], { min: 1, max: 86_400 });
  const stateDir = values['state-dir'] ?? join(ROOT, '.local');
  const issuer = values.issuer ?? runningStack(stateDir).issuer;
  const keys = await loadOrCreateKeys(join(stateDir, 'issuer-keys.json'));
  console.log(
    await mintToken(keys, {
      issuer,
      sub: values.sub,
      scopes: values.scope ?? ['orders/read', 'orders/write'],
      expiresIn,
    }),
  );
});
