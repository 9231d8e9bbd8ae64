import type { WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import { fragment, Reassembler } from '../protocol/fragments.js';
import type { Message } from '../protocol/messages.js';

export interface FrameLinkOptions {
  /** The largest frame taken from the peer, reassembled from its chunks: the peer's budget of bytes in flight. */
  maxMessage: number;
  /**
   * Over this many bytes waiting to be written to the peer, nothing more is read from it until they are. Only one
   * end of a link may pause (the server): were both to, each could wait for the other to read. Default: never.
   */
  highWater?: number;
  /**
   * Over this many bytes waiting to be written, the peer is taken for one that does not read: `stuck` hears why
   * and nothing more is sent to it. Without it, what waits is bounded only by what the caller sends.
   */
  maxBuffered?: number;
  stuck?(why: string): void;
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

/**
 * Frames over one WebSocket, both ways, with bounded memory: a frame past one chunk goes out as fragments
 * (src/protocol/fragments.ts) and comes back together within the peer's budget; reading from a peer stops while
 * what it was sent waits unwritten past the high-water mark (its own requests are what fill it), and resumes once
 * that is written.
 */
export class FrameLink {
  private readonly inbound: Reassembler;
  private paused = false;
  private isStuck = false;

  constructor(private readonly ws: WebSocket, private readonly o: FrameLinkOptions) {
    this.inbound = new Reassembler(o.maxMessage);
  }

  /** Whether the peer was given up on for not reading: a close frame would wait behind what it never read. */
  get stuck(): boolean {
    return this.isStuck;
  }

  /** Bytes of a frame still arriving from the peer. */
  get inFlight(): number {
    return this.inbound.inFlight;
  }

  /**
   * The messages of a whole frame once `data` completes one, each checked against its type; throws FragmentError
   * or MalformedMessageError for what cannot be taken.
   */
  receive(data: Buffer): Message[] | undefined {
    const frame = this.inbound.take(data);
    return frame ? decodeFrame(frame) : undefined;
  }

  /** Returns the frame's bytes, or 0 when it was not sent (closed, or a peer that does not read). */
  send(messages: readonly Message[]): number {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN || this.isStuck) return 0;
    const frame = encodeFrame(messages);
    const waiting = ws.bufferedAmount;
    const highWater = this.o.highWater ?? Infinity;
    // One frame always goes out when little waits (a large reply to a reader that keeps up is no sign of trouble).
    if (this.o.maxBuffered !== undefined && waiting > Math.min(highWater, this.o.maxBuffered / 2) && waiting + frame.byteLength > this.o.maxBuffered) {
      this.isStuck = true;
      this.o.stuck?.(`it does not read what it is sent: ${mib(waiting)} wait unwritten, and ${mib(frame.byteLength)} more would pass the ${mib(this.o.maxBuffered)} bound (raylaunch.max_message_mb)`);
      return 0;
    }
    const written = highWater === Infinity ? undefined : () => this.written();
    const pieces = fragment(frame);
    if (!pieces) {
      ws.send(frame, { binary: true }, written);
    } else {
      // Header and piece as two fragments of one WebSocket message: the piece is written from the frame itself.
      pieces.forEach(({ header, piece }, i) => {
        ws.send(header, { binary: true, fin: false });
        ws.send(piece, { binary: true, fin: true }, i === pieces.length - 1 ? written : undefined);
      });
    }
    if (!this.paused && ws.bufferedAmount > highWater) {
      this.paused = true;
      ws.pause();
    }
    return frame.byteLength;
  }

  /** A frame reached the socket: read from the peer again once what waits is under half the high-water mark. */
  private written(): void {
    if (!this.paused || this.ws.bufferedAmount > (this.o.highWater ?? Infinity) / 2) return;
    this.paused = false;
    this.ws.resume();
  }
}
