// A scripted stand-in for the Anthropic Messages API on 127.0.0.1, for driving the real Claude Code CLI without a
// network. Each agent turn (a request that offers tools) gets the next step of the script: a tool call, or a final
// text. Requests without tools (titles, summaries) get a short text. Every request body is kept for the test to read.
import type { ServerResponse } from 'node:http'
import { serveOnLoopback, type StandIn, type Step } from './stand-in-server.js'

export type { StandIn, Step }

export async function startModelStandIn(script: Step[]): Promise<StandIn> {
  const turns: any[] = []
  let next = 0
  const { port, close } = await serveOnLoopback((req, body, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"not_found_error","message":"not here"}}')
      return
    }
    if (req.url.startsWith('/v1/messages/count_tokens')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"input_tokens":10}')
      return
    }
    const agentTurn = Array.isArray(body.tools) && body.tools.some((tool: { name?: string }) => tool.name === 'Edit')
    let step: Step = { text: 'ok' }
    if (agentTurn) {
      turns.push(body)
      step = script[next++] ?? { text: 'Done.' }
    }
    reply(res, body, step, turns.length)
  })
  return { url: `http://127.0.0.1:${port}`, turns, close }
}

function reply(res: ServerResponse, request: { model?: string; stream?: boolean }, step: Step, n: number): void {
  const block = 'tool' in step ? { type: 'tool_use', id: `toolu_${n}_${Date.now()}`, name: step.tool, input: step.input } : { type: 'text', text: step.text }
  const stop = 'tool' in step ? 'tool_use' : 'end_turn'
  const message = { id: `msg_${n}_${Date.now()}`, type: 'message', role: 'assistant', model: request.model ?? 'stand-in', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 10 } }
  if (!request.stream) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...message, content: [block], stop_reason: stop }))
    return
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  send('message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null } })
  if (block.type === 'tool_use') {
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { ...block, input: {} } })
    send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } })
  } else {
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
    send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: block.text } })
  }
  send('content_block_stop', { type: 'content_block_stop', index: 0 })
  send('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 10 } })
  send('message_stop', { type: 'message_stop' })
  res.end()
}
