/**
 * What a relay must know of the JSON-RPC it passes on to resume a session elsewhere: which requests are unanswered,
 * and the client's initialize. Lines are parsed whole when small; a large one (a file's content) is read only at its
 * ends, where the id and the method sit.
 */
export type Id = string | number

const PARSE_BELOW = 64 * 1024
const ENDS = 512

export interface ClientLine {
  id?: Id
  method?: string
}

// the two shapes clients write: the TypeScript SDK's (method first, id last) and the common one (id, then method)
const METHOD_FIRST = /^\{"method":"([^"\\]{1,100})"/
const ID_FIRST = /^\{"jsonrpc":"2\.0","id":(-?\d{1,15}|"[\w.:-]{0,100}"),"method":"([^"\\]{1,100})"/
const ID_LAST = /,"jsonrpc":"2\.0","id":(-?\d{1,15}|"[\w.:-]{0,100}")\}\r?\n?$/
const NO_ID_LAST = /,"jsonrpc":"2\.0"\}\r?\n?$/

/** The id and method of a line from the client (its trailing newline may be included). */
export function readClientLine(line: Buffer): ClientLine {
  const head = line.toString('latin1', 0, 140)
  const tail = line.toString('latin1', Math.max(0, line.length - 120))
  const first = METHOD_FIRST.exec(head)
  if (first) {
    const last = ID_LAST.exec(tail)
    if (last) return { id: JSON.parse(last[1]!) as Id, method: first[1]! }
    if (NO_ID_LAST.test(tail)) return { method: first[1]! }
  }
  const idFirst = ID_FIRST.exec(head)
  if (idFirst) return { id: JSON.parse(idFirst[1]!) as Id, method: idFirst[2]! }
  if (line.length < PARSE_BELOW) {
    try {
      const message = JSON.parse(line.toString('utf8')) as { id?: unknown; method?: unknown }
      return { ...(isId(message.id) ? { id: message.id } : {}), ...(typeof message.method === 'string' ? { method: message.method } : {}) }
    } catch {
      // not JSON (a refused line's two ends): read its ends
    }
  }
  const method = /"method"\s*:\s*"([^"\\]{1,100})"/.exec(head)?.[1] ?? /"method"\s*:\s*"([^"\\]{1,100})"\s*[,}][^{}]*$/.exec(tail)?.[1]
  const id = idAtEnds(line.toString('utf8', 0, ENDS), line.toString('utf8', Math.max(0, line.length - ENDS)).replace(/\r?\n$/, ''))
  return { ...(id !== undefined ? { id } : {}), ...(method ? { method } : {}) }
}

/** The id of an answer from the shared server: the SDK writes `..."jsonrpc":"2.0","id":<id>}`; else parsed. */
export function answerId(line: Buffer): Id | undefined {
  // a request of the server's own (its ids are its own): not an answer
  if (METHOD_FIRST.test(line.toString('latin1', 0, 140))) return undefined
  const found = ID_LAST.exec(line.toString('latin1', Math.max(0, line.length - 120)))
  if (found) return JSON.parse(found[1]!) as Id
  try {
    const message = JSON.parse(line.toString('utf8')) as { id?: unknown; method?: unknown }
    return message.method === undefined && isId(message.id) ? message.id : undefined
  } catch {
    return undefined
  }
}

const ID = String.raw`(-?\d+|"(?:[^"\\]|\\.)*")`

function idAtEnds(head: string, tail: string): Id | undefined {
  const found = new RegExp(String.raw`"id"\s*:\s*${ID}\s*\}\s*$`).exec(tail) ?? new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID}`).exec(head)
  return found ? (JSON.parse(found[1]!) as Id) : undefined
}

function isId(value: unknown): value is Id {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
}

/** The answer a relay gives to a tool call the shared server took but never answered. */
export function unansweredCall(id: Id): string {
  const message = 'The shared lockstep-mcp process stopped during this call; it may or may not have taken effect. Read the state it would change (task_get, lock_list, note_list) before calling again.'
  const body = { code: 'UNAVAILABLE', message, data: {} }
  return JSON.stringify({ jsonrpc: '2.0', id, result: { isError: true, content: [{ type: 'text', text: `UNAVAILABLE: ${message}` }], structuredContent: body } })
}

/** The answer to a request the relay cannot pass on at all. */
export function unavailableRequest(id: Id, why: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32603, message: `lockstep-mcp is unavailable: ${why}`, data: { code: 'UNAVAILABLE' } } })
}

/** The answer to a request over the message limit, which the relay refuses itself (as a lone server's transport does). */
export function oversizedAnswer(id: Id, method: string | undefined, bytes: number, limit: number): string {
  const message = `The request is ${bytes} bytes, over the ${limit}-byte message limit; send less (file content is limited to 4 MiB: split it into several writes).`
  const data = { code: 'INVALID_INPUT', message, data: { bytes, limit } }
  if (method === 'tools/call') return JSON.stringify({ jsonrpc: '2.0', id, result: { isError: true, content: [{ type: 'text', text: `INVALID_INPUT: ${message}` }], structuredContent: data } })
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32600, message, data } })
}
