// SigV4 is read only as far as who signed and for which service: the fake trusts the signature itself. An
// unsigned call is refused, as AWS refuses it.
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../errors.js';

export interface Signer {
  accessKeyId: string;
  /** the credential scope's service (ec2, iam, sts): what the SDK signed for */
  service: string;
  region: string;
  /** x-amz-security-token, present on temporary (role) credentials */
  sessionToken: string | undefined;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

export function readSigner(headers: IncomingHttpHeaders): Signer {
  const auth = headers.authorization;
  if (auth === undefined || auth === '') throw new ApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  if (!auth.startsWith('AWS4-HMAC-SHA256 ')) throw new ApiError('IncompleteSignature', 'Only AWS4-HMAC-SHA256 signatures are understood here.', 403);
  const m = CREDENTIAL.exec(auth);
  if (m === null || !/Signature=[0-9a-f]{64}/.test(auth)) throw new ApiError('IncompleteSignature', 'The Authorization header is not a complete SigV4 signature.', 403);
  const token = headers['x-amz-security-token'];
  return { accessKeyId: m[1] as string, region: m[3] as string, service: m[4] as string, sessionToken: typeof token === 'string' ? token : undefined };
}
