/**
 * The UserData raylaunch hands each instance: a cloud-init part that installs the SSH host key raylaunch
 * generated for the node (so the CLI and the head pin it before the first connection, never trusting on first
 * use), then the user's own UserData unchanged, combined as a MIME multi-part archive, which cloud-init reads
 * part by part. Pure.
 */
import { createHash } from 'node:crypto';
import { ProviderConfigError } from '../errors.js';

/** EC2's limit on UserData before base64. */
export const USER_DATA_LIMIT = 16 * 1024;

export interface HostKey {
  /** OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----). */
  private: string;
  /** `ssh-ed25519 AAAA…` */
  public: string;
}

/** cloud-config installing the host key (ed25519 only: cloud-init deletes the image's keys and generates none). */
export function hostKeyCloudConfig(key: HostKey): string {
  const indent = (s: string) => s.trim().split('\n').map((l) => `    ${l}`).join('\n');
  return [
    '#cloud-config',
    'ssh_deletekeys: true',
    'ssh_genkeytypes: []',
    'ssh_keys:',
    '  ed25519_private: |',
    indent(key.private),
    `  ed25519_public: ${key.public.trim().split(/\s+/).slice(0, 2).join(' ')}`,
    '',
  ].join('\n');
}

/** The MIME type cloud-init dispatches a part on, from how its text begins (as cloud-init itself decides). */
export function partType(text: string): string {
  const first = text.trimStart();
  const starts: [string, string][] = [
    ['#!', 'text/x-shellscript'], ['#cloud-config', 'text/cloud-config'], ['#include', 'text/x-include-url'],
    ['#cloud-boothook', 'text/cloud-boothook'], ['#upstart-job', 'text/upstart-job'], ['#part-handler', 'text/part-handler'],
    ['## template: jinja', 'text/jinja2'],
  ];
  for (const [prefix, type] of starts) if (first.startsWith(prefix)) return type;
  const header = /^content-type:\s*([^;\s]+)/im.exec(first.split(/\r?\n\r?\n/)[0] ?? '');
  if (header?.[1]) return header[1].toLowerCase();
  return 'text/x-shellscript';
}

/** The instance's UserData (plain text; the caller base64-encodes it for RunInstances). */
export function userData(key: HostKey, own: string | undefined): string {
  const parts: { type: string; body: string }[] = [{ type: 'text/cloud-config', body: hostKeyCloudConfig(key) }];
  if (own !== undefined && own.trim() !== '') parts.push({ type: partType(own), body: own });
  const boundary = `==raylaunch-${createHash('sha256').update(parts.map((p) => p.body).join('\0')).digest('hex').slice(0, 16)}==`;
  const lines = ['Content-Type: multipart/mixed; boundary="' + boundary + '"', 'MIME-Version: 1.0', ''];
  for (const [i, p] of parts.entries()) {
    if (p.type.startsWith('multipart/')) {
      // A MIME archive of the user's own goes in whole: its headers stay its headers.
      lines.push(`--${boundary}`, p.body.trimEnd(), '');
      continue;
    }
    lines.push(`--${boundary}`, `Content-Type: ${p.type}; charset="utf-8"`, 'MIME-Version: 1.0', 'Content-Transfer-Encoding: 7bit',
      `Content-Disposition: attachment; filename="${i === 0 ? 'raylaunch-host-key.cfg' : 'user-data'}"`, '', p.body.trimEnd(), '');
  }
  lines.push(`--${boundary}--`, '');
  const text = lines.join('\n');
  if (Buffer.byteLength(text) > USER_DATA_LIMIT) {
    throw new ProviderConfigError(`node_config.UserData is too long: with the node's host key it takes ${Buffer.byteLength(text)} bytes, and EC2 takes ${USER_DATA_LIMIT}`, {
      hint: 'move the script to a file (file_mounts) and run it from setup_commands',
    });
  }
  return text;
}
