// The HTTP side of the model API stand-ins: a server on 127.0.0.1 that hands each request, with its JSON body parsed,
// to `answer`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running stand-in: its base URL, the bodies of the agent-turn requests in order, and how to stop it. */
export interface StandIn {
  url: string
  turns: any[]
  close(): Promise<void>
}

/** One step of a scripted model: a call of a tool, or a final text. */
export type Step = { tool: string; input: Record<string, unknown> } | { text: string }

export async function serveOnLoopback(answer: (req: IncomingMessage, body: any, res: ServerResponse) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      let body: unknown = {}
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
      } catch {
        // not JSON: the route answers it as it would an empty body
      }
      answer(req, body, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
