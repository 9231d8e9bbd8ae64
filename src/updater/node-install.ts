/**
 * Node.js for cloud nodes whose image lacks it (or has one older than 20): the official Linux tarball, checked
 * against the release's SHASUMS256.txt before anything is unpacked, installed under ~/.raylaunch/node (never a
 * global prefix) and put first on PATH for every command raylaunch runs there. On-prem hosts are the owner's to
 * provision: there a missing Node.js is an error that says so.
 */
import { shq } from './remote.js';

/** The release installed where Node.js is missing; a 20.x LTS, as the runtime bundle targets. */
export const NODE_DIST_VERSION = 'v20.20.2';
export const NODE_DIST_URL = 'https://nodejs.org/dist';

/** Prepended to every remote command: a Node.js raylaunch installed wins over the image's. */
export const NODE_PATH_PREFIX = 'PATH="$HOME/.raylaunch/node/current/bin:$PATH"; export PATH; ';

/**
 * Downloads, verifies and unpacks the tarball for this machine's architecture. Fails (non-zero, with the reason
 * on stderr) on a checksum mismatch, an unknown architecture, or no curl/wget.
 */
export function installNodeCommand(version = NODE_DIST_VERSION, baseUrl = NODE_DIST_URL): string {
  const v = shq(version);
  return [
    'set -e',
    'case "$(uname -m)" in x86_64) A=x64;; aarch64|arm64) A=arm64;; *) echo "no Node.js build for $(uname -m)" >&2; exit 1;; esac',
    `V=${v}; F="node-$V-linux-$A.tar.gz"; B=${shq(baseUrl)}/$V`,
    'if command -v curl >/dev/null; then get() { curl -fsSL --retry 3 -o "$2" "$1"; }; elif command -v wget >/dev/null; then get() { wget -q -O "$2" "$1"; }; else echo "neither curl nor wget is installed" >&2; exit 1; fi',
    'mkdir -p "$HOME/.raylaunch/node"; T=$(mktemp -d "$HOME/.raylaunch/node/.download-XXXXXX"); trap \'rm -rf "$T"\' EXIT',
    'get "$B/SHASUMS256.txt" "$T/SHASUMS256.txt"',
    'get "$B/$F" "$T/$F"',
    'want=$(awk -v f="$F" \'$2 == f { print $1 }\' "$T/SHASUMS256.txt"); got=$(sha256sum "$T/$F" | cut -d" " -f1)',
    '[ -n "$want" ] || { echo "$F is not listed in $B/SHASUMS256.txt" >&2; exit 1; }',
    '[ "$want" = "$got" ] || { echo "checksum mismatch for $F: expected $want, got $got" >&2; exit 1; }',
    'tar -xzf "$T/$F" -C "$T"',
    'rm -rf "$HOME/.raylaunch/node/$V" && mv "$T/node-$V-linux-$A" "$HOME/.raylaunch/node/$V" && ln -sfn "$V" "$HOME/.raylaunch/node/current"',
    '"$HOME/.raylaunch/node/current/bin/node" --version',
  ].join('\n');
}
