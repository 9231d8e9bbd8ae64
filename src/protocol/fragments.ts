/**
 * Large frames travel in chunks. Every WebSocket message between raylaunch processes holds at most CHUNK_BYTES
 * of data (objects node to node, and here any frame of messages: a driver's put, a job with its working
 * directory), so a listener can refuse anything past FRAME_LIMIT before buffering it. A frame larger than one
 * chunk is sent as fragments, each a 7-byte header (a tag v8 never starts with, then the whole frame's length)
 * and a piece of the frame; the receiver copies the pieces into one buffer of the announced length, which its
 * budget bounds before anything is kept. Pure: no sockets here.
 */

/** The most data bytes one WebSocket message carries. */
export const CHUNK_BYTES = 8 * 1024 * 1024;

/** The largest WebSocket message a raylaunch listener accepts: one chunk with ample room for its header. */
export const FRAME_LIMIT = 2 * CHUNK_BYTES;

// A v8-serialized frame starts with its version tag, 0xFF: a fragment never does.
const FRAGMENT_TAG = 0x01;
const HEADER_BYTES = 7;

/** What the peer sent cannot be reassembled: malformed, or larger than its budget. The message says which. */
export class FragmentError extends Error {
  override readonly name = 'FragmentError';
}

/** One WebSocket message of a fragmented frame: its header, then its piece of the frame (a view, not a copy). */
export interface Fragment { header: Buffer; piece: Uint8Array }

/** The fragments to send for an encoded frame, or undefined when it fits one message as it is. */
export function fragment(frame: Uint8Array, chunk = CHUNK_BYTES): Fragment[] | undefined {
  if (frame.byteLength <= chunk) return undefined;
  const out: Fragment[] = [];
  for (let at = 0; at < frame.byteLength; at += chunk) {
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header[0] = FRAGMENT_TAG;
    header.writeUIntLE(frame.byteLength, 1, 6);
    out.push({ header, piece: frame.subarray(at, Math.min(frame.byteLength, at + chunk)) });
  }
  return out;
}

/**
 * About how many bytes a message adds to a frame: its binary fields, one level down (an object's data, a job's
 * bundle and working directory). For cutting a burst of messages into frames of bounded size; not exact.
 */
export function payloadBytes(m: object): number {
  let n = 64;
  for (const v of Object.values(m)) {
    if (v instanceof Uint8Array) n += v.byteLength;
    else if (typeof v === 'object' && v !== null && 'data' in v && v.data instanceof Uint8Array) n += v.data.byteLength;
  }
  return n;
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

/**
 * Puts one peer's fragmented frames back together, one at a time (a sender finishes a frame before the next).
 * `budget`: the most bytes one frame may have; a larger announcement is refused before anything is allocated.
 */
export class Reassembler {
  private buf: Buffer | undefined;
  private filled = 0;

  constructor(private readonly budget: number) {}

  /** Bytes held for a frame still arriving (0 when none is). */
  get inFlight(): number {
    return this.buf?.byteLength ?? 0;
  }

  /** A whole frame when `data` completes one (or is one), else undefined; throws FragmentError. */
  take(data: Buffer): Buffer | undefined {
    if (data[0] !== FRAGMENT_TAG) {
      if (this.buf) throw new FragmentError('malformed frame: a whole frame came between the fragments of another');
      return data;
    }
    if (data.byteLength < HEADER_BYTES) throw new FragmentError('malformed frame: a fragment shorter than its header');
    const total = data.readUIntLE(1, 6);
    const piece = data.subarray(HEADER_BYTES);
    if (!this.buf) {
      if (total > this.budget) throw new FragmentError(`a message of ${mib(total)}, more than the ${mib(this.budget)} one connection may send (raylaunch.max_message_mb)`);
      // Not zero-filled: only the pieces received are ever written, and RSS grows only as they arrive.
      this.buf = Buffer.allocUnsafe(total);
      this.filled = 0;
    } else if (total !== this.buf.byteLength) {
      throw new FragmentError(`malformed frame: a fragment announces ${total} bytes in a frame of ${this.buf.byteLength}`);
    }
    if (this.filled + piece.byteLength > total) throw new FragmentError(`malformed frame: fragments past the ${total} bytes announced`);
    piece.copy(this.buf, this.filled);
    this.filled += piece.byteLength;
    if (this.filled < total) return undefined;
    const whole = this.buf;
    this.buf = undefined;
    return whole;
  }
}
