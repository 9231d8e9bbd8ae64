/**
 * Whether two raylaunch processes can read each other's frames. Frames are v8-serialized (codec.ts), and a V8
 * deserializer reads data of its own serialization format version or older, never newer; both ends write, so
 * both must be at the same version. `v8.cachedDataVersionTag()` does not say this (it changes with every V8
 * build and flag set, not with the wire format): the format version is the one the serializer writes in the
 * header of everything it serializes (0xFF, then the version as a varint). Pure.
 */
import { serialize } from 'node:v8';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from './messages.js';

/** The upgrade-request header naming the sender's serialization format and Node.js version: `v8=<n>; node=<version>`. */
export const SERIAL_HEADER = 'x-raylaunch-serializer';

export interface SerialFormat {
  /** The V8 serialization format version this process writes. */
  v8: number;
  /** Its Node.js version, to name in a refusal (what the user changes). */
  node: string;
}

/** The format version from a serialized value's header, or undefined when it has none. */
export function formatOf(serialized: Uint8Array): number | undefined {
  if (serialized[0] !== 0xff) return undefined;
  let version = 0;
  for (let i = 1, shift = 0; i < serialized.length && i < 6; i++, shift += 7) {
    const b = serialized[i] ?? 0;
    version |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return version;
  }
  return undefined;
}

/** This process's format, read from what its serializer writes. */
export const LOCAL_FORMAT: SerialFormat = { v8: formatOf(serialize(null)) ?? 0, node: process.version };

export function formatHeader(f: SerialFormat = LOCAL_FORMAT): string {
  return `v8=${f.v8}; node=${f.node}`;
}

export function parseFormatHeader(header: string | string[] | undefined): SerialFormat | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  const m = /^v8=(\d{1,6}); node=(v[\w.+-]{1,40})$/.exec(text ?? '');
  return m?.[1] !== undefined && m[2] !== undefined ? { v8: Number(m[1]), node: m[2] } : undefined;
}

/** Why a peer whose frames this process cannot read, or who cannot read this process's, is refused; both versions named. */
export function serialRefusal(header: string | string[] | undefined, local: SerialFormat = LOCAL_FORMAT): string | undefined {
  const theirs = parseFormatHeader(header);
  if (theirs === undefined) return `the client did not say which Node.js serialization format it writes (this cluster runs Node.js ${local.node}, V8 serialization format ${local.v8}): upgrade the client`;
  if (theirs.v8 === local.v8) return undefined;
  return `the client runs Node.js ${theirs.node} (V8 serialization format ${theirs.v8}) and this cluster Node.js ${local.node} (format ${local.v8}): `
    + `they cannot read each other's messages; run the CLI on a Node.js whose format is ${local.v8} (the cluster's Node.js major version), or the cluster on the CLI's`;
}

/** The headers every raylaunch client sends with its upgrade request: its protocol version and serialization format. */
export function protocolHeaders(): Record<string, string> {
  return { [PROTOCOL_HEADER]: String(PROTOCOL_VERSION), [SERIAL_HEADER]: formatHeader() };
}
