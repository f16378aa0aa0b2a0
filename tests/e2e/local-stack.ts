import { createPrivateKey, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export {
  type RunningStack,
  START,
  type StackInfo,
  spawnLocalStack as startStack,
} from '../../local/child-stack';

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
