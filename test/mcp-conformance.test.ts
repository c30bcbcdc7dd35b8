import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import { join } from 'node:path'
import { test } from 'node:test'
import { ROOT, runNode, tempDir } from './support/helpers.js'
import { startHttp, TOKEN, type T } from './support/http-helpers.js'

// run `npm run build` first: the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
// devDependencies) runs against the built `server --http`

const SUITE = join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js')
const HOOK = join(ROOT, 'test', 'support', 'conformance-fs-hook.mjs')

// the server scenarios that apply to a tools-only server; server-sse-polling is left out because it calls a
// `test_reconnection` tool that only the suite's reference server has
const SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'server-sse-multiple-streams', 'dns-rebinding-protection']

/**
 * A loopback proxy that adds the bearer token, since the suite sends no headers of its own. It moves only the port
 * of a loopback Host or Origin to the server's, so a foreign Host or Origin reaches the server as sent.
 */
async function tokenProxy(t: T, target: number): Promise<number> {
  const proxy: Server = createServer((req, res) => {
    const own = (proxy.address() as { port: number }).port
    const loopback = new RegExp(`^((?:https?://)?(?:localhost|127\\.0\\.0\\.1|\\[::1\\])):${own}$`, 'i')
    const headers = { ...req.headers, authorization: `Bearer ${TOKEN}` }
    for (const name of ['host', 'origin'] as const) if (headers[name]) headers[name] = headers[name]!.replace(loopback, `$1:${target}`)
    const upstream = request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers)
      reply.pipe(res)
    })
    upstream.on('error', () => res.destroy())
    res.on('close', () => upstream.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    proxy.closeAllConnections()
    proxy.close()
  })
  return (proxy.address() as { port: number }).port
}

test('the official MCP conformance suite passes its tools-server scenarios against server --http', { timeout: 120_000 }, async (t) => {
  const server = await startHttp(t, { args: ['--token', TOKEN] })
  const port = await tokenProxy(t, server.port)
  const out = tempDir(t, 'lockstep-conformance-')
  for (const scenario of SCENARIOS) {
    const run = await runNode(['--import', HOOK, SUITE, 'server', '--url', `http://localhost:${port}/mcp`, '--scenario', scenario, '-o', join(out, scenario)], { timeoutMs: 60_000 })
    assert.equal(run.code, 0, `${scenario}:\n${run.stdout}\n${run.stderr}`)
    const [folder] = readdirSync(join(out, scenario))
    const checks = JSON.parse(readFileSync(join(out, scenario, folder!, 'checks.json'), 'utf8')) as { id: string; status: string }[]
    assert.ok(
      checks.some((check) => check.status === 'SUCCESS'),
      scenario,
    )
    assert.deepEqual(
      checks.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING').map((check) => check.id),
      [],
      scenario,
    )
  }
})
