/** The most bytes a WebSocket close frame's reason may hold: ws throws on a longer one. */
const MAX_REASON_BYTES = 123;

/** `text` cut to fit a close frame's reason (whole characters only). */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= MAX_REASON_BYTES) return text;
  let cut = text.slice(0, MAX_REASON_BYTES);
  while (Buffer.byteLength(cut) > MAX_REASON_BYTES) cut = cut.slice(0, -1);
  return cut;
}
