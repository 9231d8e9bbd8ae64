import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { CHUNK_BYTES, fragment, FragmentError, Reassembler } from '../../../src/protocol/fragments.js';

/** What a sender would put on the wire for `frame`: its WebSocket messages, each header and piece together. */
const wire = (frame: Uint8Array, chunk: number): Buffer[] =>
  (fragment(frame, chunk) ?? [{ header: Buffer.alloc(0), piece: frame }]).map(({ header, piece }) => Buffer.concat([header, piece]));

const frameOf = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 0xff) % 256));

describe('frames in chunks (fragments.ts)', () => {
  it('a frame up to one chunk goes as it is; a larger one in pieces of at most a chunk that come back whole', () => {
    assert.equal(fragment(frameOf(16), 16), undefined);
    const frame = frameOf(50);
    const messages = wire(frame, 16);
    assert.deepEqual(messages.map((m) => m.byteLength - 7), [16, 16, 16, 2]);
    const r = new Reassembler(1000);
    const got = messages.map((m) => r.take(m));
    assert.deepEqual(got.slice(0, 3), [undefined, undefined, undefined]);
    assert.deepEqual(got[3], frame);
    assert.equal(r.inFlight, 0);
  });

  it('the real chunk size is 8 MiB', () => {
    assert.equal(CHUNK_BYTES, 8 * 1024 * 1024);
    assert.deepEqual(fragment(new Uint8Array(CHUNK_BYTES + 1))?.map((f) => f.piece.byteLength), [CHUNK_BYTES, 1]);
  });

  const REFUSED: [title: string, messages: (Buffer | Uint8Array)[], why: RegExp][] = [
    ['a frame announced past the budget, refused at its first fragment', [wire(frameOf(200), 16)[0] as Buffer], /a message of 0\.0 MiB, more than the 0\.0 MiB one connection may send \(raylaunch\.max_message_mb\)/],
    ['a whole frame between the fragments of another', [wire(frameOf(50), 16)[0] as Buffer, frameOf(5)], /a whole frame came between the fragments/],
    ['fragments announcing different lengths', [wire(frameOf(50), 16)[0] as Buffer, wire(frameOf(60), 16)[1] as Buffer], /announces 60 bytes in a frame of 50/],
    ['more bytes than announced', [...wire(frameOf(50), 16).slice(0, 3), Buffer.concat([(wire(frameOf(50), 16)[3] as Buffer).subarray(0, 7), Buffer.alloc(10)])], /past the 50 bytes announced/],
    ['a fragment shorter than its header', [Buffer.from([0x01, 2, 0])], /shorter than its header/],
  ];
  for (const [title, messages, why] of REFUSED) {
    it(`${title}: refused with the reason`, () => {
      const r = new Reassembler(100);
      assert.throws(() => { for (const m of messages) r.take(Buffer.from(m)); }, (e: unknown) => e instanceof FragmentError && why.test(e.message));
    });
  }
});
