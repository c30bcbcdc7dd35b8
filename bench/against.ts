// npm run bench -- --against <folder>: the same MCP workload on this build and on another build of a lockstep-mcp
// server (for example the original SQLite one, built in <folder>), interleaved so that both see the machine alike,
// with the ratios. Tool inputs differ slightly: the other build names the owner on each call, ours after
// coordination_init.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { DOCUMENTS } from '../lib/state/schema.js'
import { Store } from '../storage/store.js'
import { diskFloor } from './_floor.js'
import { machineBusyMs, ms, summary, table } from './_stats.js'

const OURS = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
// servers run for hours: the race is timed once each server process has run its hot path this many times
const RACE_WARM_PAIRS = 1000

interface Server {
  label: string
  cli: string
  ours: boolean
  /** Extra environment for its server processes. */
  env?: Record<string, string>
}

interface Session {
  client: Client
  owner: string
}

async function connect(server: Server, home: string, repo: string, owner: string): Promise<Session> {
  const env = { PATH: process.env.PATH ?? '', HOME: home, LOCKSTEP_HOME: join(home, 'lh'), COORD_DATA_DIR: join(home, 'coord'), COORD_ROOTS: repo, ...server.env }
  const transport = new StdioClientTransport({ command: process.execPath, args: [server.cli, 'server'], cwd: repo, env, stderr: 'ignore' })
  const client = new Client({ name: owner, version: '1' })
  await client.connect(transport)
  return { client, owner }
}

async function call(server: Server, session: Session, name: string, args: Record<string, unknown>): Promise<any> {
  const withOwner = server.ours ? args : { ...args, ...(name === 'note_append' ? { author: session.owner } : { owner: session.owner }) }
  const result = (await session.client.callTool({ name, arguments: withOwner })) as any
  if (result.isError) throw new Error(`${server.label} ${name}: ${result.content?.[0]?.text}`)
  const text = result.content?.[0]?.text ?? '{}'
  return text.startsWith('{') ? JSON.parse(text) : text
}

async function register(server: Server, session: Session, role: string): Promise<void> {
  if (server.ours) await call(server, session, 'coordination_init', { role, name: session.owner })
}

function fresh(): { home: string; repo: string } {
  const home = mkdtempSync(join(tmpdir(), 'lockstep-against-'))
  const repo = join(home, 'repo')
  mkdirSync(repo)
  return { home, repo }
}

/** Spawn → tools/list answered, the first agent of a data folder; with `second`, while another agent's server runs there. */
async function coldStart(server: Server, second = false): Promise<number> {
  const { home, repo } = fresh()
  const first = second ? await connect(server, home, repo, 'first') : undefined
  try {
    await first?.client.listTools()
    const started = performance.now()
    const { client } = await connect(server, home, repo, 'cold')
    await client.listTools()
    const took = performance.now() - started
    await client.close()
    return took
  } finally {
    await first?.client.close()
    rmSync(home, { recursive: true, force: true })
  }
}

/** One client's latencies per tool, 200 calls each after 20 of warm-up. */
async function perTool(server: Server, rounds: number, seed?: (home: string, repo: string) => Promise<void>): Promise<Record<string, number[]>> {
  const { home, repo } = fresh()
  await seed?.(home, repo)
  const out: Record<string, number[]> = { task_create: [], task_claim: [], 'lock pair': [], note_append: [], 'task_list (open)': [] }
  try {
    const session = await connect(server, home, repo, 'impl-1')
    await register(server, session, 'implementer')
    const time = async (name: string, fn: () => Promise<unknown>, keep: boolean) => {
      const started = performance.now()
      await fn()
      if (keep) out[name].push(performance.now() - started)
    }
    for (let i = 0; i < rounds + 20; i++) {
      const keep = i >= 20
      let id = ''
      await time(
        'task_create',
        async () => (id = (await call(server, session, 'task_create', { title: `T${i}`, complexity: 'simple' })).id ?? (await call(server, session, 'task_list', {})).tasks?.at(-1)?.id),
        keep,
      )
      await time('task_claim', () => call(server, session, 'task_claim', { id }), keep)
      await time(
        'lock pair',
        async () => {
          await call(server, session, 'lock_acquire', { path: `src/f${i}.ts` })
          await call(server, session, 'lock_release', { path: `src/f${i}.ts` })
        },
        keep,
      )
      await time('note_append', () => call(server, session, 'note_append', { text: `note ${i}` }), keep)
      await time('task_list (open)', () => call(server, session, 'task_list', { status: 'todo', limit: 20 }), keep)
    }
    await session.client.close()
    return out
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

/**
 * 8 clients, each locking and releasing its own paths as fast as it can: `perClient` pairs timed, after `warmPairs`
 * untimed pairs on other paths (none: fresh processes, their code not yet optimised by the JIT). With `shared`, the 8
 * are concurrent loops on one session of one server (as the sessions of an HTTP server, or one agent's parallel calls).
 */
async function race(server: Server, perClient: number, warmPairs = 0, shared = false) {
  const { home, repo } = fresh()
  try {
    const own = await Promise.all(Array.from({ length: shared ? 1 : 8 }, (_, c) => connect(server, home, repo, `impl-${c + 1}`)))
    for (const session of own) await register(server, session, 'implementer')
    const sessions = shared ? Array.from({ length: 8 }, () => own[0]) : own
    const pairs = (prefix: string, count: number, onCall: (took: number | null) => void) =>
      Promise.all(
        sessions.map(async (session, c) => {
          for (let i = 0; i < count; i++) {
            for (const name of ['lock_acquire', 'lock_release']) {
              const t0 = performance.now()
              try {
                await call(server, session, name, { path: `${prefix}${c}/f${i}.ts` })
                onCall(performance.now() - t0)
              } catch {
                onCall(null)
              }
            }
          }
        }),
      )
    await pairs('warm', warmPairs, () => undefined)
    const latencies: number[] = []
    let errors = 0
    const started = performance.now()
    const busyBefore = machineBusyMs()
    await pairs('area', perClient, (took) => (took === null ? errors++ : latencies.push(took)))
    const wall = performance.now() - started
    const busy = busyBefore === null ? null : machineBusyMs()! - busyBefore
    await Promise.all(own.map((session) => session.client.close()))
    return { opsPerSec: latencies.length / (wall / 1000), errors, p99: summary(latencies).p99, cpuPerOp: busy === null ? null : busy / latencies.length }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

/** A project with `tasks` tasks (all but 100 done) and `notes` notes (the newest 2,000 current, the rest archived). */
function seeded(tasks: number, notes: number) {
  return async (home: string, repo: string) => {
    const store = new Store({ dataDir: join(home, 'lh'), documents: DOCUMENTS })
    const project = store.project(repo)
    const now = new Date().toISOString()
    await store.transact(project, ['tasks', 'notes'], (docs) => {
      for (let i = 0; i < tasks; i++) {
        const done = i < tasks - 100
        docs.tasks.tasks.push({
          id: `task-seed${i}`,
          title: `Seeded ${i}`,
          description: 'x'.repeat(200),
          status: done ? 'done' : 'todo',
          complexity: 'simple',
          isolation: 'shared',
          priority: 'normal',
          tags: ['seed'],
          metadata: {},
          dependsOn: [],
          files: [`src/s${i}.ts`],
          reviewRounds: 0,
          createdBy: 'seed',
          createdAt: now,
          updatedAt: now,
          version: 1,
          ...(done ? { owner: 'impl-9', completedAt: now } : {}),
        })
      }
      const current = Math.min(notes, 2000)
      for (let i = notes - current; i < notes; i++) docs.notes.notes.push({ id: `note-seed${i}`, seq: i + 1, text: `seeded note ${i}`, author: 'seed', createdAt: now })
      docs.notes.nextSeq = notes + 1
    })
    const archived = Array.from({ length: Math.max(0, notes - 2000) }, (_, i) => JSON.stringify({ id: `note-seed${i}`, seq: i + 1, text: `seeded note ${i}`, author: 'seed', createdAt: now }))
    if (archived.length) appendFileSync(join(project.dir, 'notes-archive.jsonl'), `${archived.join('\n')}\n`)
    store.close()
  }
}

/** Our own cost on a large project beside a small one, interleaved. */
export async function benchGrowth(): Promise<string> {
  const ours: Server = { label: 'ours', cli: OURS, ours: true }
  const small: Record<string, number[]> = {}
  const large: Record<string, number[]> = {}
  for (let block = 0; block < 4; block++) {
    for (const [into, seed] of [
      [small, seeded(100, 100)],
      [large, seeded(10_000, 100_000)],
    ] as const) {
      for (const [name, values] of Object.entries(await perTool(ours, 50, seed))) (into[name] ??= []).push(...values)
    }
  }
  const rows: (string | number)[][] = [['tool', '100 tasks', '10,000 tasks + 100,000 notes', 'large ÷ small']]
  for (const name of Object.keys(small)) rows.push([name, ms(summary(small[name]).median), ms(summary(large[name]).median), (summary(large[name]).median / summary(small[name]).median).toFixed(2)])
  return `Growth, this build over MCP stdio (medians, interleaved)\n${table(rows)}`
}

export async function benchAgainst(folder: string): Promise<string> {
  const ours: Server = { label: 'ours', cli: OURS, ours: true }
  const other: Server = { label: 'other', cli: join(folder, 'dist', 'cli.js'), ours: false }
  const alone: Server = { ...ours, env: { LOCKSTEP_SHARED: '0' } }
  const cold = { ours: [] as number[], other: [] as number[] }
  const coldSecond = { ours: [] as number[], other: [] as number[] }
  for (let i = 0; i < 15; i++) {
    cold.other.push(await coldStart(other))
    cold.ours.push(await coldStart(ours))
    coldSecond.other.push(await coldStart(other, true))
    coldSecond.ours.push(await coldStart(ours, true))
  }
  const tools = { ours: {} as Record<string, number[]>, other: {} as Record<string, number[]> }
  for (let block = 0; block < 4; block++) {
    for (const [key, server] of [
      ['other', other],
      ['ours', ours],
    ] as const) {
      const got = await perTool(server, 50)
      for (const [name, values] of Object.entries(got)) (tools[key][name] ??= []).push(...values)
    }
  }
  type Race = Awaited<ReturnType<typeof race>>
  // each row: `count` runs of each build, interleaved; the middle run by throughput is shown
  const racing = async (perClient: number, warmPairs: number, count: number, shared = false, mine = ours) => {
    const runs = { ours: [] as Race[], other: [] as Race[] }
    for (let run = 0; run < count; run++) {
      runs.other.push(await race(other, perClient, warmPairs, shared))
      runs.ours.push(await race(mine, perClient, warmPairs, shared))
    }
    const middle = (list: Race[]) => [...list].sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor(count / 2)]
    return [middle(runs.other), middle(runs.ours)]
  }
  const fromCold = await racing(60, 0, 3)
  const warmed = await racing(100, RACE_WARM_PAIRS, 5)
  const oneServer = await racing(100, RACE_WARM_PAIRS, 3, true)
  const eachAlone = await racing(100, RACE_WARM_PAIRS, 3, false, alone)
  const floor = diskFloor()
  const rows: (string | number)[][] = [['figure', 'other', 'ours', 'ours ÷ other']]
  const row = (name: string, a: number, b: number, unit = 'ms') => rows.push([name, unit === 'ms' ? ms(a) : a.toFixed(0), unit === 'ms' ? ms(b) : b.toFixed(0), (b / a).toFixed(2)])
  row('cold start, spawn → tools/list, the first agent (median of 15)', summary(cold.other).median, summary(cold.ours).median)
  row('cold start of a second agent while the first runs (median of 15)', summary(coldSecond.other).median, summary(coldSecond.ours).median)
  for (const name of Object.keys(tools.ours)) row(`${name} median`, summary(tools.other[name]).median, summary(tools.ours[name]).median)
  for (const [label, [a, b]] of [
    [`8 clients on their own paths, ${RACE_WARM_PAIRS} pairs each of warm-up, 200 calls each timed: successful ops/s (middle of 5)`, warmed],
    ['8 clients as above, fresh processes (no warm-up), 120 calls each: successful ops/s (middle of 3)', fromCold],
    ['8 concurrent loops as above on one session of one server: successful ops/s (middle of 3)', oneServer],
    ['8 clients warm as above, ours with --no-shared (each agent served by its own process; middle of 3)', eachAlone],
  ] as const) {
    row(label, a.opsPerSec, b.opsPerSec, 'ops')
    rows.push(['  errors / p99', `${a.errors} / ${ms(a.p99)}`, `${b.errors} / ${ms(b.p99)}`, ''])
    if (a.cpuPerOp !== null && b.cpuPerOp !== null) row('  machine CPU per successful op (all processes)', a.cpuPerOp, b.cpuPerOp)
  }
  return [
    `Against ${folder}, over MCP stdio, interleaved (200 calls per tool after warm-up)`,
    table(rows),
    `disk floor, same run: append + fdatasync of a small line ${ms(floor.append)}; write + fsync + rename of a small file ${ms(floor.rename)}`,
  ].join('\n')
}
