import { type ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../local/template';

/** tsx's command line, run with this process's Node.js (the runtime's major, 24). */
export const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** What the stack prints on its READY line. */
export interface StackInfo {
  apiUrl: string;
  issuer: string;
  audience: string;
  dynamodb: { url: string; tables: Record<string, string> };
  messagingUrl: string;
  queues: Record<string, string>;
  topics: Record<string, string>;
}

export interface RunningStack {
  info: StackInfo;
  process: ChildProcess;
  output: () => string;
  stateDir: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `npm start`'s program as a user would, in a child process on free ports, and waits for
 * it to say it is ready. Extra arguments shorten redelivery for tests.
 */
export async function startStack(args: string[] = []): Promise<RunningStack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'orders-stack-'));
  const child = spawn(
    process.execPath,
    [TSX, join(ROOT, 'local', 'start.ts'), '--any-ports', '--state-dir', stateDir, ...args],
    { cwd: ROOT, env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: '', DYNAMODB_ENDPOINT: '' } },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const info = await new Promise<StackInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Stack did not start:\n${output}`)), 60_000);
    const check = () => {
      const line = output.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('READY '.length)) as StackInfo);
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => reject(new Error(`Stack exited with ${code}:\n${output}`)));
  });
  return {
    info,
    process: child,
    output: () => output,
    stateDir,
    stop(signal: NodeJS.Signals = 'SIGINT') {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      });
    },
  };
}

function base64url(data: string | Buffer) {
  return Buffer.from(data).toString('base64url');
}

/**
 * Token crafting for the authorizer tests, valid and deliberately broken. The verifier under
 * test is the stack's (jose); this only has to produce the bytes an attacker or a client would.
 */
export class Tokens {
  readonly key: KeyObject;
  readonly kid: string;

  constructor(
    stateDir: string,
    readonly issuer: string,
    readonly clientId: string,
  ) {
    const keys = JSON.parse(readFileSync(join(stateDir, 'issuer-keys.json'), 'utf8'));
    this.key = createPrivateKey({ key: keys.privateJwk, format: 'jwk' });
    this.kid = keys.kid;
  }

  claims(sub: string, scopes: string[], overrides: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000);
    return {
      sub,
      iss: this.issuer,
      client_id: this.clientId,
      token_use: 'access',
      scope: scopes.join(' '),
      iat: now,
      exp: now + 600,
      ...overrides,
    };
  }

  sign(
    claims: Record<string, unknown>,
    header: Record<string, unknown> = {},
    key: KeyObject = this.key,
  ) {
    const head = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: this.kid, ...header }));
    const body = base64url(JSON.stringify(claims));
    const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key);
    return `${head}.${body}.${base64url(signature)}`;
  }

  /** A valid token for the customer with the given scopes. */
  for(sub: string, scopes = ['orders/read', 'orders/write']) {
    return this.sign(this.claims(sub, scopes));
  }

  static otherKey(): KeyObject {
    return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }
}
