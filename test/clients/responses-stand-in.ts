// A scripted stand-in for the OpenAI Responses API on 127.0.0.1, for driving the real Codex CLI without a network.
// Each request that offers tools gets the next step of the script: a call of an offered tool (a function call, or a
// freeform call such as apply_patch, whose `input.patch` is sent as the text), or a final message. Every such request
// body is kept for the test to read.
import type { ServerResponse } from 'node:http'
import { serveOnLoopback, type StandIn, type Step } from './stand-in-server.js'

export type { Step }

/** An offered tool: its name, its namespace (an MCP server's), and whether it takes freeform text. */
type Offered = readonly [name: string, namespace: string | undefined, freeform: boolean]

/**
 * `tool` may be a suffix: the step calls the first offered tool whose name ends with it (clients prefix MCP tools).
 * A step whose tool is not offered yet (an MCP server still starting) waits: the turn calls `filler` instead.
 */
export async function startResponsesStandIn(script: Step[], filler = 'list_mcp_resources'): Promise<StandIn> {
  const turns: any[] = []
  let next = 0
  const { port, close } = await serveOnLoopback((req, body, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/responses')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not here"}}')
      return
    }
    // Codex offers each MCP server's tools as a namespace: a call names the namespace and the tool
    const names: Offered[] = (body.tools ?? []).flatMap((tool: { type?: string; name?: string; tools?: { name: string }[] }) =>
      tool.type === 'namespace' ? (tool.tools ?? []).map((inner) => [inner.name, tool.name, false] as const) : [[tool.name ?? '', undefined, tool.type === 'custom'] as const],
    )
    let step: Step = { text: 'ok' }
    if (names.length) {
      turns.push(body)
      const planned = script[next] ?? { text: 'Done.' }
      const waiting = 'tool' in planned && !names.some(([name]) => name.endsWith(planned.tool))
      step = waiting ? { tool: filler, input: {} } : planned
      if (!waiting) next++
    }
    reply(res, step, turns.length, names)
  })
  return { url: `http://127.0.0.1:${port}/v1`, turns, close }
}

function reply(res: ServerResponse, step: Step, n: number, offered: Offered[]): void {
  const id = `resp_${n}_${Date.now()}`
  const [name, namespace, freeform] = 'tool' in step ? (offered.find(([item]) => item.endsWith(step.tool)) ?? [step.tool, undefined, false]) : ['', undefined, false]
  const call = { id: `fc_${n}`, call_id: `call_${n}_${Date.now()}`, name, status: 'completed' }
  const item = !('tool' in step)
    ? { type: 'message', id: `msg_${n}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: step.text, annotations: [] }] }
    : freeform
      ? { ...call, type: 'custom_tool_call', input: String((step.input.patch as string | undefined) ?? '') }
      : { ...call, type: 'function_call', ...(namespace ? { namespace } : {}), arguments: JSON.stringify(step.input) }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  const send = (data: Record<string, unknown>) => res.write(`event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`)
  send({ type: 'response.created', response: { id, status: 'in_progress', output: [] } })
  send({ type: 'response.output_item.added', output_index: 0, item })
  send({ type: 'response.output_item.done', output_index: 0, item })
  send({
    type: 'response.completed',
    response: {
      id,
      status: 'completed',
      output: [item],
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 10, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 20 },
    },
  })
  res.end()
}
