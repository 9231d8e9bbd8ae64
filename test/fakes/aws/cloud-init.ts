// The part of cloud-init that the AWS provider relies on, read from an instance's UserData as cloud-init reads it:
// a MIME multi-part archive (or one bare part), whose cloud-config parts may install SSH host keys (`ssh_keys`)
// and add authorized keys (`ssh_authorized_keys`). Other parts (the user's scripts) are not run here. Pure.
import { parse } from 'yaml';

export interface CloudInitKeys {
  /** `ssh_keys.ed25519_private`: the host key sshd is to serve */
  hostKey?: string;
  /** `ssh_authorized_keys` of every cloud-config part, in order */
  authorizedKeys: string[];
}

interface Part {
  type: string;
  body: string;
}

const header = (head: string, name: string): string | undefined =>
  new RegExp(`^${name}:\\s*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head)?.[1]?.replace(/\r?\n[ \t]+/g, ' ').trim();

/** Splits a message into its leaf parts, as cloud-init walks it (nested archives included). */
function parts(text: string, depth = 0): Part[] {
  if (depth > 5) throw new Error('fake cloud-init: MIME archive nested too deeply');
  const first = text.trimStart();
  if (first.startsWith('#')) return [{ type: first.startsWith('#cloud-config') ? 'text/cloud-config' : 'text/x-other', body: text }];
  const [head = '', ...rest] = text.split(/\r?\n\r?\n/);
  const type = header(head, 'content-type') ?? 'text/plain';
  const body = rest.join('\n\n');
  if (!/^multipart\//i.test(type)) {
    const encoded = /base64/i.test(header(head, 'content-transfer-encoding') ?? '');
    return [{ type: type.split(';')[0]?.trim().toLowerCase() ?? '', body: encoded ? Buffer.from(body, 'base64').toString('utf8') : body }];
  }
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (boundary === undefined) throw new Error('fake cloud-init: a multipart archive without a boundary');
  const sections = body.split(`--${boundary}`);
  // Before the first boundary is the preamble; from `--boundary--` on is the epilogue.
  const inner = sections.slice(1).filter((s) => !s.startsWith('--'));
  return inner.flatMap((s) => parts(s.replace(/^\r?\n/, ''), depth + 1));
}

/** What cloud-init would do with SSH keys for this UserData (base64, as RunInstances takes it). */
export function cloudInitKeys(userDataB64: string | undefined): CloudInitKeys {
  const out: CloudInitKeys = { authorizedKeys: [] };
  if (userDataB64 === undefined || userDataB64 === '') return out;
  for (const p of parts(Buffer.from(userDataB64, 'base64').toString('utf8'))) {
    if (p.type !== 'text/cloud-config') continue;
    const doc = parse(p.body) as { ssh_keys?: Record<string, unknown>; ssh_authorized_keys?: unknown } | null;
    const key = doc?.ssh_keys?.ed25519_private;
    if (typeof key === 'string') out.hostKey = key;
    if (Array.isArray(doc?.ssh_authorized_keys)) out.authorizedKeys.push(...doc.ssh_authorized_keys.map(String));
  }
  return out;
}
