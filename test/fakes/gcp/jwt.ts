// Service-account key files. google-auth-library signs its own JWT with the key (a "self-signed JWT", no token
// endpoint) when it is given no scopes of its own; gtoken's token endpoint is fixed at oauth2.googleapis.com, so
// the fake accepts only the self-signed kind, verified with the public half of a key it issued.
import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import type { Token } from './cloud.js';

export interface ServiceAccountKeyFile {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

export class ServiceAccountKeys {
  private readonly keys = new Map<string, { email: string; publicKey: KeyObject }>();

  create(email: string, project: string, tokenUri: string): ServiceAccountKeyFile {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomBytes(20).toString('hex');
    this.keys.set(kid, { email, publicKey: createPublicKey(publicKey.export({ format: 'pem', type: 'spki' })) });
    return {
      type: 'service_account', project_id: project, private_key_id: kid, client_email: email, client_id: String(100_000_000_000 + this.keys.size), token_uri: tokenUri,
      private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
  }

  /** The principal a self-signed JWT speaks for, or undefined when it is not one of ours, is forged or expired. */
  verify(jwt: string, nowMs: number): Token | undefined {
    const [h = '', p = '', sig = ''] = jwt.split('.');
    if (sig === '') return undefined;
    try {
      const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { iss?: string; exp?: number; scope?: string; aud?: string };
      const key = header.kid === undefined ? undefined : this.keys.get(header.kid);
      if (key === undefined || header.alg !== 'RS256' || claims.iss !== key.email) return undefined;
      if (!verify('sha256', Buffer.from(`${h}.${p}`), key.publicKey, Buffer.from(sig, 'base64url'))) return undefined;
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return undefined;
      // An audience-only JWT is good for the API it names, as a cloud-platform token would be.
      const scopes = claims.scope !== undefined ? claims.scope.split(' ') : ['https://www.googleapis.com/auth/cloud-platform'];
      return { token: jwt, principal: key.email, kind: 'serviceAccount', scopes, expires: claims.exp * 1000 };
    } catch {
      return undefined;
    }
  }
}
