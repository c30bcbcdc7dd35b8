// A client of its own (so that the test process is not its client): `node lock-holder.mjs <name> <path…>` registers
// <name> as an implementer, locks each path and prints `ready`; each stdin line `release <path>` releases one and
// prints `released`. It stays alive until stdin closes.
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'

const [name, ...paths] = process.argv.slice(2)
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const transport = new StdioClientTransport({ command: process.execPath, args: [cli, 'server'], cwd: process.cwd(), env: { ...process.env }, stderr: 'ignore' })
const client = new Client({ name: 'lock-holder', version: '1.0.0' })
await client.connect(transport)
const call = async (tool, args) => {
  const result = await client.callTool({ name: tool, arguments: args })
  if (result.isError) throw new Error(`${tool}: ${result.content[0].text}`)
  return JSON.parse(result.content[0].text)
}
await call('coordination_init', { role: 'implementer', name })
for (const path of paths) await call('lock_acquire', { path })
process.stdout.write(`ready ${transport.pid}\n`)
for await (const line of createInterface({ input: process.stdin })) {
  const [verb, path] = line.split(' ')
  if (verb === 'release') await call('lock_release', { path })
  process.stdout.write('released\n')
}
await client.close()
