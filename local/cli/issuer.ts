import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ISSUER_FILE, LOCAL_CLIENT_ID, loadOrCreateKeys, startIssuer } from '../cognito/issuer';
import { PortInUseError } from '../net';
import { DEFAULT_PORTS } from '../stack';
import { ROOT } from '../template';
import { CommandError, numberOption, parseCommandLine, runCommand } from './args';

const USAGE = `Runs the local token issuer alone, for sam local start-api: npm run issuer [-- options]

  --port <n>          port (default ${DEFAULT_PORTS.issuer})
  --host <address>    address to listen on (default 0.0.0.0: SAM CLI's containers reach it
                      through the Docker host; only the public key is served)
  --public-url <url>  the issuer's name, in its tokens and its discovery document
                      (default http://host.docker.internal:<port>, what samconfig.toml's
                      local_start_api section gives the Lambda authorizer as JwtIssuer)
  --state-dir <dir>   where its signing key is kept (default .local, shared with npm start)
  --help              this text`;

runCommand(USAGE, async () => {
  const { values } = parseCommandLine(USAGE, {
    port: { type: 'string' },
    host: { type: 'string', default: '0.0.0.0' },
    'public-url': { type: 'string' },
    'state-dir': { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  if (values.help) return console.log(USAGE);
  const port = numberOption('port', values.port, { max: 65535 }) ?? DEFAULT_PORTS.issuer;
  const stateDir = values['state-dir'] ?? join(ROOT, '.local');
  const keys = await loadOrCreateKeys(join(stateDir, 'issuer-keys.json'));
  const publicUrl = (listening: string) =>
    values['public-url']?.replace(/\/$/, '') ??
    `http://host.docker.internal:${new URL(listening).port}`;
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  try {
    issuer = await startIssuer(keys, port, values.host, publicUrl);
  } catch (err: unknown) {
    if (err instanceof PortInUseError) throw new CommandError(`${err.message} (--port)`);
    throw err;
  }
  const file = join(stateDir, ISSUER_FILE);
  writeFileSync(file, JSON.stringify({ pid: process.pid, issuer: issuer.issuer }));
  const stateFlag = values['state-dir'] ? ` --state-dir ${stateDir}` : '';
  console.log(`
Local token issuer ${issuer.issuer}  (listening on ${issuer.listening})
  discovery   ${issuer.issuer}/.well-known/openid-configuration
  audience    ${LOCAL_CLIENT_ID} (client_id of its tokens)
A token for it, in another terminal:
  TOKEN=$(npm run -s token -- --issuer ${issuer.issuer} --sub alice${stateFlag})
  curl -s localhost:3000/orders -H "authorization: Bearer $TOKEN"    # with sam local start-api
Ctrl-C stops it.
`);
  const stop = () => {
    rmSync(file, { force: true });
    void issuer.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
});
