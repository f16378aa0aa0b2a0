import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ISSUER_FILE, loadOrCreateKeys, mintToken } from '../cognito/issuer';
import { ROOT } from '../template';
import { CommandError, numberOption, parseCommandLine, runCommand, UsageError } from './args';
import { isAlive, runningStack } from './stack-file';

const USAGE = `Prints an access token from the local issuer: npm run -s token -- [options]

The issuer is the running stack's (npm start) or, without one, the one npm run issuer runs.

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
  if (values.sub.trim() === '') throw new UsageError('--sub must name a customer, not be empty');
  if (values.issuer !== undefined && !URL.canParse(values.issuer)) {
    throw new UsageError(
      `--issuer must be a URL such as http://127.0.0.1:3100, not "${values.issuer}"`,
    );
  }
  const stateDir = values['state-dir'] ?? join(ROOT, '.local');
  const issuer = values.issuer ?? runningIssuer(stateDir);
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

/** The issuer of the stack running with this state directory, or else of `npm run issuer`. */
function runningIssuer(stateDir: string): string {
  try {
    return runningStack(stateDir).issuer;
  } catch (err: unknown) {
    const file = join(stateDir, ISSUER_FILE);
    if (!(err instanceof CommandError) || !existsSync(file)) throw err;
    const { pid, issuer } = JSON.parse(readFileSync(file, 'utf8')) as {
      pid: number;
      issuer: string;
    };
    if (!isAlive(pid)) throw err;
    return issuer;
  }
}
