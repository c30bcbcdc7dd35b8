// MCP benchmark: cold start, per-tool latency for one client, aggregate throughput of 8 clients, tools/list size.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { ms, summary, table } from './_stats.js'

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

async function connect(home: string, repo: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'server'],
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', HOME: home, LOCKSTEP_HOME: join(home, 'lh') },
    stderr: 'ignore',
  })
  const client = new Client({ name: 'bench', version: '1' })
  await client.connect(transport)
  return client
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const result = (await client.callTool({ name, arguments: args })) as any
  if (result.isError) throw new Error(`${name}: ${result.content[0].text}`)
  return JSON.parse(result.content[0].text)
}

async function timed(runs: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await fn(i)
    out.push(performance.now() - started)
  }
  return out
}

export async function benchMcp(): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'lockstep-bench-mcp-'))
  const repo = join(home, 'repo')
  mkdirSync(repo)
  try {
    const cold = await timed(10, async () => {
      const client = await connect(home, repo)
      await client.listTools()
      await client.close()
    })
    const planner = await connect(home, repo)
    const listBytes = JSON.stringify((await planner.listTools()).tools).length
    await call(planner, 'coordination_init', { role: 'planner' })
    const impl = await connect(home, repo)
    await call(impl, 'coordination_init', { role: 'implementer' })
    const ids: string[] = []
    const rows: (string | number)[][] = [['tool', 'median', 'p99']]
    const add = (name: string, values: number[]) => rows.push([name, ms(summary(values).median), ms(summary(values).p99)])
    add('task_create', await timed(200, async (i) => ids.push((await call(planner, 'task_create', { title: `T${i}`, complexity: 'simple', files: [`src/f${i}.ts`] })).id)))
    add('task_claim', await timed(100, (i) => call(impl, 'task_claim', { id: ids[i] })))
    add('task_claim_next', await timed(50, () => call(impl, 'task_claim_next')))
    add('task_update (done)', await timed(100, (i) => call(impl, 'task_update', { id: ids[i], status: 'done' })))
    add('task_list', await timed(100, () => call(planner, 'task_list')))
    add('task_summary', await timed(100, () => call(planner, 'task_summary')))
    add('lock_acquire', await timed(100, (i) => call(impl, 'lock_acquire', { path: `docs/d${i}.md` })))
    add('lock_release', await timed(100, (i) => call(impl, 'lock_release', { path: `docs/d${i}.md` })))
    add('lock_list', await timed(100, () => call(planner, 'lock_list')))
    add('note_append', await timed(100, (i) => call(impl, 'note_append', { text: `note ${i}` })))
    add('note_list', await timed(100, () => call(planner, 'note_list')))
    add('events_wait (ready)', await timed(100, () => call(planner, 'events_wait', { since: 0, limit: 10, timeoutMs: 0 })))
    add('status_get', await timed(100, () => call(planner, 'status_get')))
    await planner.close()
    await impl.close()

    const clients = await Promise.all(Array.from({ length: 8 }, () => connect(home, repo)))
    await Promise.all(clients.map((client) => call(client, 'coordination_init', { role: 'implementer' })))
    const perClient = 50
    const latencies: number[] = []
    const started = performance.now()
    await Promise.all(
      clients.map(async (client, c) => {
        for (let i = 0; i < perClient; i++) {
          const t0 = performance.now()
          await call(client, i % 2 ? 'note_append' : 'lock_acquire', i % 2 ? { text: `c${c} ${i}` } : { path: `area/c${c}/f${i}.ts` })
          latencies.push(performance.now() - t0)
        }
      }),
    )
    const wall = performance.now() - started
    await Promise.all(clients.map((client) => client.close()))
    const aggregate = summary(latencies)
    return [
      `MCP over stdio (built server)`,
      `cold start, spawn → tools/list: median ${ms(summary(cold).median)}, p99 ${ms(summary(cold).p99)}`,
      `tools/list: ${listBytes} bytes`,
      table(rows),
      `8 clients x ${perClient} mutating calls (lock_acquire / note_append): ${(latencies.length / (wall / 1000)).toFixed(0)} calls/s, median ${ms(aggregate.median)}, p99 ${ms(aggregate.p99)}`,
    ].join('\n')
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}
