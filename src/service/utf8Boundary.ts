/**
 * How many leading bytes of `bytes` are whole UTF-8 characters. A character cut at the end (its
 * other bytes not written or not read yet) is left out, so it can be decoded whole next time.
 */
export function wholeUtf8Length(bytes: Uint8Array): number {
  const end = bytes.length
  // A character is at most 4 bytes, so only a lead byte among the last 3 can start an unfinished one.
  for (let i = end - 1; i >= Math.max(0, end - 3); i--) {
    const byte = bytes[i] ?? 0
    if ((byte & 0xc0) === 0x80) continue
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return end - i < length ? i : end
  }
  return end
}
