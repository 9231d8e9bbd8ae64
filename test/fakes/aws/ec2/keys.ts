// Key pairs: imported OpenSSH public keys, by name (what RunInstances' KeyName refers to) and by id.
import { createHash } from 'node:crypto';
import { authorize } from '../authz.js';
import type { Cloud } from '../cloud.js';
import { ApiError } from '../errors.js';
import type { Call } from '../handler.js';
import { bool, str, strings } from '../wire/query.js';
import type { XmlObject } from '../wire/xml.js';
import { matchesFilters, readFilters, tagAttributes } from './filters.js';
import type { KeyPair } from './model.js';
import { tagSet } from './render.js';
import { readTagSpecs } from './run.js';

const TYPES: Record<string, string> = { 'ssh-ed25519': 'ed25519', 'ssh-rsa': 'rsa' };

/** EC2's fingerprints of imported keys: SHA-256 in base64 for ed25519, MD5 in hex pairs for RSA. */
function fingerprint(type: string, blob: Buffer): string {
  if (type === 'ed25519') return createHash('sha256').update(blob).digest('base64');
  return (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':');
}

const byName = (cloud: Cloud, name: string): KeyPair | undefined => [...cloud.keyPairs.values()].find((k) => k.name === name);

export function importKeyPair({ cloud, p, who }: Call): XmlObject {
  const name = str(p, 'KeyName');
  const material = str(p, 'PublicKeyMaterial');
  if (name === undefined || material === undefined) throw new ApiError('MissingParameter', `The request must contain the parameter ${name === undefined ? 'KeyName' : 'PublicKeyMaterial'}`);
  const line = Buffer.from(material, 'base64').toString('utf8').trim();
  const [algo, b64] = line.split(/\s+/);
  const type = TYPES[algo ?? ''];
  const blob = Buffer.from(b64 ?? '', 'base64');
  if (type === undefined || blob.length < 16) throw new ApiError('InvalidKey.Format', 'Key is not in valid OpenSSH public key format');
  if (byName(cloud, name) !== undefined) throw new ApiError('InvalidKeyPair.Duplicate', `The keypair already exists`);
  const tags = readTagSpecs(p, ['key-pair']).get('key-pair');
  authorize(cloud, who, 'ec2', [{ action: 'ec2:ImportKeyPair', resource: cloud.arn('key-pair', name), context: Object.fromEntries([...(tags ?? [])].map(([k, v]) => [`aws:RequestTag/${k}`, v])) }]);
  const key: KeyPair = { id: cloud.newId('key-'), name, publicKey: line, fingerprint: fingerprint(type, blob), type, created: cloud.now() };
  cloud.keyPairs.set(key.id, key);
  if (tags !== undefined) cloud.tags.set(key.id, new Map(tags));
  return { keyFingerprint: key.fingerprint, keyName: name, keyPairId: key.id, tagSet: tagSet(tags) };
}

export function deleteKeyPair({ cloud, p, who }: Call): XmlObject {
  const id = str(p, 'KeyPairId');
  const name = str(p, 'KeyName');
  if (id === undefined && name === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter KeyName or KeyPairId');
  const key = id !== undefined ? cloud.keyPairs.get(id) : byName(cloud, name ?? '');
  authorize(cloud, who, 'ec2', [{ action: 'ec2:DeleteKeyPair', resource: cloud.arn('key-pair', key?.name ?? name ?? id ?? ''), context: {} }]);
  // Deleting a key pair that is not there succeeds, as in EC2.
  if (key !== undefined) {
    cloud.keyPairs.delete(key.id);
    cloud.tags.delete(key.id);
  }
  return { return: true, keyPairId: key?.id };
}

export function describeKeyPairs({ cloud, p }: Call): XmlObject {
  const names = strings(p, 'KeyName');
  const ids = strings(p, 'KeyPairId');
  const all = [...cloud.keyPairs.values()];
  for (const n of names) if (byName(cloud, n) === undefined) throw new ApiError('InvalidKeyPair.NotFound', `The key pair '${n}' does not exist`);
  for (const i of ids) if (!cloud.keyPairs.has(i)) throw new ApiError('InvalidKeyPair.NotFound', `The key pair ID '${i}' does not exist`);
  const filters = readFilters(p);
  const withKey = bool(p, 'IncludePublicKey') === true;
  const keys = all
    .filter((k) => (names.length === 0 || names.includes(k.name)) && (ids.length === 0 || ids.includes(k.id)))
    .filter((k) => matchesFilters(filters, (n) => ({ 'key-name': [k.name], 'key-pair-id': [k.id], fingerprint: [k.fingerprint], 'key-type': [k.type] })[n] ?? tagAttributes(cloud.tagsOf(k.id), n)));
  return {
    keySet: keys.map((k) => ({
      keyPairId: k.id, keyType: k.type, tagSet: tagSet(cloud.tags.get(k.id)), publicKey: withKey ? k.publicKey : undefined,
      createTime: new Date(k.created), keyName: k.name, keyFingerprint: k.fingerprint,
    })),
  };
}
