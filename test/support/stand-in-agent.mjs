// Stands in for claude/codex in the launch tests: `node stand-in-agent.mjs <out> [--record|--idle] <prompt…>`.
// Writes <out>.start.json (argv, cwd, LOCKSTEP_* and TMUX variables), then, unless told otherwise, connects to the
// built server as an implementer (no name: LOCKSTEP_AGENT_NAME decides), claims a task, locks docs/** and stays alive.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'

const [out, ...rest] = process.argv.slice(2)
const mode = rest[0] === '--record' || rest[0] === '--idle' ? rest.shift() : '--work'
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('LOCKSTEP_') || key.startsWith('TMUX')))
writeFileSync(`${out}.start.json`, JSON.stringify({ argv: rest, cwd: process.cwd(), env, pid: process.pid }))
if (mode === '--record') process.exit(0)
const stayAlive = () => setInterval(() => undefined, 1 << 30)
if (mode === '--idle') stayAlive()
else {
  try {
    const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
    const transport = new StdioClientTransport({ command: process.execPath, args: [cli, 'server'], cwd: process.cwd(), env: { ...process.env }, stderr: 'ignore' })
    const client = new Client({ name: 'stand-in', version: '1.0.0' })
    await client.connect(transport)
    const call = async (name, args) => {
      const result = await client.callTool({ name, arguments: args })
      if (result.isError) throw new Error(`${name}: ${result.content[0].text}`)
      return JSON.parse(result.content[0].text)
    }
    const init = await call('coordination_init', { role: 'implementer' })
    const claim = await call('task_claim_next', {})
    const lock = await call('lock_acquire', { path: 'docs/**' })
    writeFileSync(`${out}.ready.json`, JSON.stringify({ init, claim, lock, serverPid: transport.pid }))
    stayAlive()
  } catch (error) {
    writeFileSync(`${out}.error.txt`, String(error?.stack ?? error))
    process.exit(1)
  }
}
