/**
 * Node.js for cloud nodes whose image lacks it (or has one older than 20): the official Linux tarball, checked
 * before anything is unpacked against the SHA-256 pinned here, in raylaunch's own release, and against the
 * release's SHASUMS256.txt; installed under ~/.raylaunch/node (never a global prefix) and put first on PATH for
 * every command raylaunch runs there. A file fetched from the same server as the tarball vouches for nothing a
 * server (or someone between it and the node) could not change too: the pin is what decides. On-prem hosts are
 * the owner's to provision: there a missing Node.js is an error that says so.
 */
import { shq } from './remote.js';

/** The release installed where Node.js is missing; a 20.x LTS, as the runtime bundle targets. */
export const NODE_DIST_VERSION = 'v20.20.2';
export const NODE_DIST_URL = 'https://nodejs.org/dist';

/** SHA-256 of a release's Linux tarballs (node-<version>-linux-<arch>.tar.gz), by architecture. */
export interface NodeTarballSums { x64: string; arm64: string }

/** From the official SHASUMS256.txt of each version this release installs. */
export const NODE_DIST_SHA256: Readonly<Record<string, NodeTarballSums>> = {
  'v20.20.2': {
    x64: '19e56f0825510207dd904f087fe52faa0a4eb6b2aab5f0ea7a33830d04888b8b',
    arm64: '47ef73d543ecf6eb19435f6c03a0ac4809b3bf0dd6b26c7c571efc2a6572a74d',
  },
};

/** Where Node.js comes from: the pinned release, or (tests) a server of their own with its own sums. */
export interface NodeDist { version: string; baseUrl: string; sha256: NodeTarballSums }

export const NODE_DIST: NodeDist = { version: NODE_DIST_VERSION, baseUrl: NODE_DIST_URL, sha256: NODE_DIST_SHA256[NODE_DIST_VERSION] as NodeTarballSums };

/** Prepended to every remote command: a Node.js raylaunch installed wins over the image's. */
export const NODE_PATH_PREFIX = 'PATH="$HOME/.raylaunch/node/current/bin:$PATH"; export PATH; ';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Downloads, verifies and unpacks the tarball for this machine's architecture. Fails (non-zero, with the reason
 * on stderr) when the tarball is not the one pinned, or not the one the release lists, on an unknown
 * architecture, or with no curl/wget.
 */
export function installNodeCommand(dist: NodeDist = NODE_DIST): string {
  for (const sum of [dist.sha256.x64, dist.sha256.arm64]) if (!SHA256.test(sum)) throw new Error(`not a SHA-256: ${sum}`);
  return [
    'set -e',
    `case "$(uname -m)" in x86_64) A=x64; P=${dist.sha256.x64};; aarch64|arm64) A=arm64; P=${dist.sha256.arm64};; *) echo "no Node.js build for $(uname -m)" >&2; exit 1;; esac`,
    `V=${shq(dist.version)}; F="node-$V-linux-$A.tar.gz"; B=${shq(dist.baseUrl)}/$V`,
    'if command -v curl >/dev/null; then get() { curl -fsSL --retry 3 -o "$2" "$1"; }; elif command -v wget >/dev/null; then get() { wget -q -O "$2" "$1"; }; else echo "neither curl nor wget is installed" >&2; exit 1; fi',
    'mkdir -p "$HOME/.raylaunch/node"; T=$(mktemp -d "$HOME/.raylaunch/node/.download-XXXXXX"); trap \'rm -rf "$T"\' EXIT',
    'get "$B/SHASUMS256.txt" "$T/SHASUMS256.txt"',
    'get "$B/$F" "$T/$F"',
    'want=$(awk -v f="$F" \'$2 == f { print $1 }\' "$T/SHASUMS256.txt"); got=$(sha256sum "$T/$F" | cut -d" " -f1)',
    '[ "$got" = "$P" ] || { echo "checksum mismatch for $F: raylaunch pins $P for it, the download is $got; nothing was installed" >&2; exit 1; }',
    '[ -n "$want" ] || { echo "$F is not listed in $B/SHASUMS256.txt" >&2; exit 1; }',
    '[ "$want" = "$got" ] || { echo "checksum mismatch for $F: expected $want, got $got" >&2; exit 1; }',
    'tar -xzf "$T/$F" -C "$T"',
    'rm -rf "$HOME/.raylaunch/node/$V" && mv "$T/node-$V-linux-$A" "$HOME/.raylaunch/node/$V" && ln -sfn "$V" "$HOME/.raylaunch/node/current"',
    '"$HOME/.raylaunch/node/current/bin/node" --version',
  ].join('\n');
}
