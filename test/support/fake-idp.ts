import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export async function signingKey(alg = 'RS256', kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey };
}

/** The public key as PEM text: what an attacker would use as an HMAC secret in an RS/HS confusion. */
export const publicPem = (key: SigningKey) => exportSPKI(key.publicKey);

/**
 * An identity provider on 127.0.0.1 (port 0): an OpenID discovery document and a JWKS whose keys a test
 * sets and rotates, and tokens signed with them. Counts the requests so tests see fetches and refetches.
 */
export class FakeIdp {
  keys: SigningKey[] = [];
  audience = 'chat-history-api';
  fetches = { discovery: 0, jwks: 0 };
  /** Set to a status to make the provider fail (e.g. 503). */
  failWith: number | undefined;
  private server?: Server;
  private base = '';

  get issuer(): string {
    return `${this.base}/realms/test`;
  }

  get jwksUri(): string {
    return `${this.issuer}/protocol/openid-connect/certs`;
  }

  async start(): Promise<this> {
    this.keys = [await signingKey('RS256'), await signingKey('ES256')];
    this.server = createServer((req, res) => {
      if (this.failWith) return res.writeHead(this.failWith).end();
      const body = this.route(req.url ?? '');
      if (body === undefined) return res.writeHead(404).end();
      void body.then((json) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json)));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** What the service needs to trust this provider. */
  settings(overrides: Record<string, string> = {}): Record<string, string> {
    return { AUTH_MODE: 'oidc', OIDC_ISSUER: this.issuer, OIDC_AUDIENCE: this.audience, ...overrides };
  }

  /** A valid access token for `sub` (unique unless given), signed with the first key unless told. */
  async token(claims: JWTPayload = {}, { key = this.keys[0]!, expiresIn = '5m' as string | number } = {}): Promise<string> {
    return new SignJWT({ sub: randomUUID(), ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(expiresIn)
      .sign(key.privateKey);
  }

  private route(url: string): Promise<object> | undefined {
    if (url === '/realms/test/.well-known/openid-configuration') {
      this.fetches.discovery++;
      return Promise.resolve({ issuer: this.issuer, jwks_uri: this.jwksUri });
    }
    if (url === '/realms/test/protocol/openid-connect/certs') {
      this.fetches.jwks++;
      return this.jwks();
    }
    return undefined;
  }

  private async jwks(): Promise<{ keys: JWK[] }> {
    const keys = await Promise.all(
      this.keys.map(async (key) => ({ ...(await exportJWK(key.publicKey)), kid: key.kid, alg: key.alg, use: 'sig' })),
    );
    return { keys };
  }
}
