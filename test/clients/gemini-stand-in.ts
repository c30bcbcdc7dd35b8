// A scripted stand-in for the Gemini API (generateContent, streamGenerateContent with alt=sse, countTokens) on
// 127.0.0.1, for driving the real Gemini CLI without a network (GOOGLE_GEMINI_BASE_URL). Each agent turn (a request
// that offers write_file) gets the next step of the script: a function call, or a final text. Side requests (the
// next-speaker and loop checks ask for JSON by a schema) get an object that fits the schema and ends nothing early.
// Every agent-turn request body is kept for the test to read.
import type { ServerResponse } from 'node:http'
import { serveOnLoopback, type StandIn, type Step } from './stand-in-server.js'

export type { Step }

/** `tool` may be a suffix: the step calls the first offered function whose name ends with it (MCP tools are prefixed). */
export async function startGeminiStandIn(script: Step[]): Promise<StandIn> {
  const turns: any[] = []
  let next = 0
  const { port, close } = await serveOnLoopback((req, body, res) => {
    const method = /:(\w+)(?:\?|$)/.exec(req.url ?? '')?.[1]
    if (req.method !== 'POST' || !method) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":404,"message":"not here","status":"NOT_FOUND"}}')
      return
    }
    if (method === 'countTokens') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"totalTokens":10}')
      return
    }
    const offered: string[] = (body.tools ?? []).flatMap((tool: { functionDeclarations?: { name: string }[] }) => (tool.functionDeclarations ?? []).map((fn) => fn.name))
    const schema = body.generationConfig?.responseJsonSchema ?? body.generationConfig?.responseSchema
    let part: Record<string, unknown> = { text: schema ? JSON.stringify(fitting(schema)) : 'ok' }
    if (offered.includes('write_file')) {
      turns.push(body)
      const step = script[next++] ?? { text: 'Done.' }
      part = 'tool' in step ? { functionCall: { name: offered.find((name) => name.endsWith(step.tool)) ?? step.tool, args: step.input } } : { text: step.text }
    }
    reply(res, method === 'streamGenerateContent', part)
  })
  return { url: `http://127.0.0.1:${port}`, turns, close }
}

/** A value of a JSON schema: the first enum value, or "user" where allowed (the next speaker), zero, false, empty. */
function fitting(schema: any): unknown {
  const type = String(schema?.type ?? 'object').toLowerCase()
  if (Array.isArray(schema?.enum)) return schema.enum.includes('user') ? 'user' : schema.enum[0]
  if (type === 'object') return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, value]) => [key, fitting(value)]))
  if (type === 'array') return []
  if (type === 'number' || type === 'integer') return 0
  if (type === 'boolean') return false
  return 'stand-in'
}

function reply(res: ServerResponse, stream: boolean, part: Record<string, unknown>): void {
  const response = {
    candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 10, totalTokenCount: 20 },
    modelVersion: 'gemini-2.5-flash',
  }
  if (!stream) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response))
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  res.end(`data: ${JSON.stringify(response)}\r\n\r\n`)
}
