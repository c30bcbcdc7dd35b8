/**
 * Sizes that keep every request and answer below the transport's cap. The SDK's stdio transport refuses a message
 * over 10 MiB by closing the connection, on either side; so the documented limits leave room for JSON escaping, and
 * an answer that would still be too large is cut (reads page) or refused before it is sent.
 */

/** One JSON-RPC message, either way (the SDK's stdio cap, also applied to HTTP request bodies). */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024
/** File and artifact content, decoded; hex spends two characters per byte, so a request still fits. */
export const MAX_CONTENT_BYTES = 4 * 1024 * 1024
/**
 * The JSON-encoded size of the content one answer carries. MCP answers hold the result twice (text and
 * structuredContent), the text escaped once more: at most about 3 × this, with room to spare.
 */
export const ANSWER_CONTENT_BUDGET = 3 * 1024 * 1024
/** An answer, serialised; above it the answer is replaced by an INVALID_INPUT error. */
export const MAX_ANSWER_BYTES = MAX_MESSAGE_BYTES - 256 * 1024

/** The size of `text` as a JSON string literal, in UTF-8 bytes. */
function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text))
}

/**
 * How many bytes of `data` can be encoded within `budget` JSON bytes, cut where a reader can carry on: at a UTF-8
 * character boundary, an even byte for utf16le, a multiple of 3 for base64 (so that pages decode separately).
 */
export function fittingBytes(data: Buffer, encoding: BufferEncoding, budget: number): number {
  let n = data.length
  for (let size = jsonBytes(data.subarray(0, n).toString(encoding)); size > budget && n > 0;) {
    // shrink in proportion, a little more each round, until it fits (two or three rounds in practice)
    n = aligned(data, Math.floor((n * budget) / size) - 16, encoding)
    size = jsonBytes(data.subarray(0, n).toString(encoding))
  }
  return n
}

function aligned(data: Buffer, n: number, encoding: BufferEncoding): number {
  let end = Math.max(0, n)
  if (encoding === 'utf8' || encoding === 'utf-8') while (end > 0 && end < data.length && (data[end]! & 0xc0) === 0x80) end--
  if (encoding === 'utf16le' || encoding === 'ucs2') end -= end % 2
  if (encoding === 'base64' || encoding === 'base64url') end -= end % 3
  return end
}

/** `text` cut (at a whole character) so that its JSON form takes at most `budget` bytes. */
export function fitText(text: string, budget: number): { text: string; cut: boolean } {
  let size = jsonBytes(text)
  if (size <= budget) return { text, cut: false }
  let n = text.length
  while (size > budget && n > 0) {
    n = Math.max(0, Math.floor((n * budget) / size) - 16)
    // do not split a surrogate pair
    if (n > 0 && /[\uD800-\uDBFF]/.test(text[n - 1]!)) n--
    size = jsonBytes(text.slice(0, n))
  }
  return { text: text.slice(0, n), cut: true }
}
