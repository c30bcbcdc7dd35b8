import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { daemonAddress } from '../lib/daemon/address.js'
import { packageVersion } from '../lib/core/version.js'
import { CLI, startAgent, type McpAgent } from './support/mcp-helpers.js'
import { tempDir, waitGone } from './support/helpers.js'
import { readStored } from './support/stored.js'

// `server` relays each agent's stdio to one shared server per data folder. These tests drive the built CLI with real
// MCP clients and read outcomes from the store, the run folder and /proc.

function setup(t: Parameters<typeof tempDir>[0]) {
  const home = tempDir(t)
  const repo = join(home, 'repo')
  mkdirSync(repo)
  const data = join(home, '.lockstep-mcp')
  t.after(() => {
    for (const pid of detached(data)) process.kill(pid, 'SIGKILL')
  })
  return { home, repo, data }
}

/** The processes that serve sessions of a data folder: those holding one of its journals open (relays do not). */
function servers(data: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const open = readdirSync(`/proc/${entry}/fd`).map((fd) => readlinkOr(`/proc/${entry}/fd/${fd}`))
      if (open.some((target) => target.startsWith(join(data, 'projects')) && target.endsWith('journal.jsonl'))) pids.push(Number(entry))
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids
}

function readlinkOr(path: string): string {
  try {
    return readlinkSync(path)
  } catch {
    return ''
  }
}

/** Detached shared servers (started by a relay when no agent's process serves), from their command lines. */
function detached(data: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
        return argv.includes('--shared-daemon') && argv[argv.indexOf('--data-dir') + 1] === data
      } catch {
        return false
      }
    })
    .map(Number)
}

function storeDir(data: string): string {
  const projects = join(data, 'projects')
  return join(projects, readdirSync(projects)[0]!)
}

/** A planner whose process serves, and two implementers relayed to it, all registered. */
async function threeAgents(t: Parameters<typeof tempDir>[0]) {
  const { home, repo, data } = setup(t)
  const host = await startAgent(t, { home, cwd: repo })
  const alice = await startAgent(t, { home, cwd: repo })
  const bob = await startAgent(t, { home, cwd: repo })
  await host.ok('coordination_init', { role: 'planner', name: 'host' })
  await alice.ok('coordination_init', { role: 'implementer', name: 'alice' })
  await bob.ok('coordination_init', { role: 'implementer', name: 'bob' })
  assert.deepEqual(servers(data), [host.pid])
  return { data, host, alice, bob }
}

async function sessionsOf(data: string) {
  return (await readStored(storeDir(data), 'agents')).sessions
}

test('agents started together share one process that serves them all; each session is recorded under its own pid', { timeout: 60_000 }, async (t) => {
  const { home, repo, data } = setup(t)
  const agents = await Promise.all(['a', 'b', 'c', 'd', 'e'].map(() => startAgent(t, { home, cwd: repo })))
  await Promise.all(agents.map((agent, i) => agent.ok('coordination_init', { role: i === 0 ? 'planner' : 'implementer', name: `agent-${i}` })))
  await Promise.all(agents.map((agent, i) => agent.ok('lock_acquire', { path: `src/file-${i}.ts` })))
  const serving = servers(data)
  assert.equal(serving.length, 1, 'one process has the journal open')
  assert.ok(
    agents.some((agent) => agent.pid === serving[0]),
    'the first agent’s own server serves the others',
  )
  assert.deepEqual(detached(data), [])
  const sessions = await sessionsOf(data)
  assert.deepEqual(sessions.map((session) => session.pid).sort(), agents.map((agent) => agent.pid).sort())
  const locks = (await readStored(storeDir(data), 'locks')).locks
  assert.deepEqual(locks.map((lock) => lock.owner).sort(), ['agent-0', 'agent-1', 'agent-2', 'agent-3', 'agent-4'])
})

test('an agent that leaves ends its session at once; the others go on', { timeout: 60_000 }, async (t) => {
  const { data, alice, bob } = await threeAgents(t)
  await alice.close()
  await waitGone(alice.pid)
  const ended = (await sessionsOf(data)).find((session) => session.pid === alice.pid)
  assert.ok(ended?.endedAt, 'alice’s session is marked ended when her server exits')
  await bob.ok('lock_acquire', { path: 'src/b.ts' })
  assert.equal((await sessionsOf(data)).find((session) => session.pid === bob.pid)?.endedAt, undefined)
})

test('the serving agent leaves: a call in progress is answered, the others move to a shared server of their own, which exits once idle', { timeout: 60_000 }, async (t) => {
  const { home, repo, data } = setup(t)
  const host = await startAgent(t, { home, cwd: repo })
  const alice = await startAgent(t, { home, cwd: repo, env: { LOCKSTEP_SHARED_IDLE: '1' } })
  await host.ok('coordination_init', { role: 'planner', name: 'host' })
  await alice.ok('coordination_init', { role: 'implementer', name: 'alice' })
  assert.deepEqual(servers(data), [host.pid])
  const running = alice.call('command_run', { command: `${process.execPath} -e "setTimeout(() => {}, 300)"` })
  await sleep(100)
  await host.close()
  assert.equal((await running).isError, false, 'the call in progress was let finish')
  await alice.ok('lock_acquire', { path: 'src/after.ts' })
  const [moved] = detached(data)
  assert.ok(moved, 'a shared server of its own serves alice now')
  assert.deepEqual(servers(data), [moved])
  const sessions = await sessionsOf(data)
  assert.ok(sessions.find((session) => session.pid === host.pid)?.endedAt)
  assert.equal(sessions.find((session) => session.pid === alice.pid)?.endedAt, undefined, 'alice keeps her session')
  await alice.close()
  assert.ok(await waitGone(moved, 6000), 'the shared server exits once idle')
  assert.equal(readdirSync(join(data, 'run')).filter((name) => name.endsWith('.sock')).length, 0, 'and removes its socket')
})

test('the serving process killed with SIGKILL: sessions resume registered, an unanswered tool call says UNAVAILABLE, nothing is lost', { timeout: 90_000 }, async (t) => {
  const { data, host, alice, bob } = await threeAgents(t)
  await bob.ok('lock_acquire', { path: 'src/held.ts' })
  // a call that is running when the serving process dies
  const running = alice.call('command_run', { command: `${process.execPath} -e "setTimeout(() => {}, 3000)"`, timeoutMs: 20_000 })
  await sleep(700)
  process.kill(host.pid, 'SIGKILL')
  const lost = await running
  assert.equal(lost.isError, true)
  assert.equal(lost.code, 'UNAVAILABLE')
  // both sessions go on under their registered names, on a new shared server, without coordination_init again
  const taken = await alice.call('lock_acquire', { path: 'src/held.ts' })
  assert.equal(taken.code, 'LOCKED', 'bob still holds his lock')
  await bob.ok('lock_acquire', { path: 'src/more.ts' })
  const [moved] = detached(data)
  assert.ok(moved)
  assert.deepEqual(servers(data), [moved])
  const locks = (await readStored(storeDir(data), 'locks')).locks
  assert.deepEqual(locks.map((lock) => `${lock.owner}:${lock.path}`).sort(), ['bob:src/held.ts', 'bob:src/more.ts'])
  const sessions = await sessionsOf(data)
  assert.equal(sessions.length, 3, 'resumed sessions are the same sessions')
  assert.ok(
    [alice.pid, bob.pid].every((pid) => sessions.some((session) => session.pid === pid && !session.endedAt)),
    'alice and bob keep their sessions (the killed one is gone by its pid)',
  )
})

test('the serving process stopped (SIGSTOP) and resumed: calls made meanwhile are answered, none fails', { timeout: 60_000 }, async (t) => {
  const { home, repo, data } = setup(t)
  const host = await startAgent(t, { home, cwd: repo })
  const alice = await startAgent(t, { home, cwd: repo })
  await host.ok('coordination_init', { role: 'planner', name: 'host' })
  await alice.ok('coordination_init', { role: 'implementer', name: 'alice' })
  process.kill(host.pid, 'SIGSTOP')
  const calls = Array.from({ length: 5 }, (_, i) => alice.call('lock_acquire', { path: `src/s${i}.ts` }))
  await sleep(2500)
  process.kill(host.pid, 'SIGCONT')
  const replies = await Promise.all(calls)
  assert.deepEqual(
    replies.map((reply) => reply.isError),
    [false, false, false, false, false],
  )
  assert.deepEqual(servers(data), [host.pid])
  assert.equal((await readStored(storeDir(data), 'locks')).locks.length, 5)
})

test('each session runs commands in its own agent’s environment and folder', { timeout: 60_000 }, async (t) => {
  const { home, repo, data } = setup(t)
  const other = join(home, 'other')
  mkdirSync(other)
  const alice = await startAgent(t, { home, cwd: repo, env: { LOCKSTEP_TEST_MARK: 'alice' } })
  const bob = await startAgent(t, { home, cwd: other, env: { LOCKSTEP_TEST_MARK: 'bob' } })
  const print = `${process.execPath} -p process.env.LOCKSTEP_TEST_MARK`
  await alice.ok('coordination_init', { role: 'implementer', name: 'alice' })
  await bob.ok('coordination_init', { role: 'implementer', name: 'bob' })
  assert.equal((await alice.ok('command_run', { command: print })).stdout.trim(), 'alice')
  assert.equal((await bob.ok('command_run', { command: print })).stdout.trim(), 'bob')
  assert.deepEqual(servers(data), [alice.pid], 'bob’s session is served by alice’s process')
  assert.equal(readdirSync(join(data, 'projects')).length, 2, 'each agent works in the project of its own folder')
})

test('a connection without the token is refused and starts no session', { timeout: 60_000 }, async (t) => {
  const { home, repo, data } = setup(t)
  const alice = await startAgent(t, { home, cwd: repo })
  await alice.ok('coordination_init', { role: 'implementer', name: 'alice' })
  // the serving process listens once its own agent's first requests are answered
  const socket = await eventually(() => readdirSync(join(data, 'run')).find((name) => name.endsWith('.sock')))
  const reply = await new Promise<string>((resolve) => {
    const connection = createConnection(join(data, 'run', socket!))
    let text = ''
    connection.on('data', (chunk: Buffer) => (text += chunk.toString()))
    connection.on('close', () => resolve(text))
    connection.write(`${JSON.stringify({ lockstep: 'hello', token: 'guess', version: '0.1.0', pid: process.pid, cwd: repo, flags: {}, env: {} })}\n`)
    connection.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })}\n`)
  })
  const answer = JSON.parse(reply.trim().split('\n')[0]!)
  assert.equal(answer.lockstep, 'refused')
  assert.equal(answer.code, 'FORBIDDEN')
  assert.equal(reply.trim().split('\n').length, 1, 'nothing but the refusal')
  assert.equal((await sessionsOf(data)).length, 1)
})

test('--no-shared and LOCKSTEP_SHARED=0 serve each agent in its own process', { timeout: 60_000 }, async (t) => {
  const { home, repo, data } = setup(t)
  const flagged: McpAgent = await startAgent(t, { home, cwd: repo, args: ['--no-shared'] })
  const envd = await startAgent(t, { home, cwd: repo, env: { LOCKSTEP_SHARED: '0' } })
  await flagged.ok('coordination_init', { role: 'implementer', name: 'alice' })
  await envd.ok('coordination_init', { role: 'implementer', name: 'bob' })
  assert.deepEqual(servers(data).sort(), [flagged.pid, envd.pid].sort())
  assert.equal(existsSync(join(data, 'run')), false)
  assert.deepEqual((await sessionsOf(data)).map((session) => session.pid).sort(), [flagged.pid, envd.pid].sort())
})

test('the serving agent leaves during another agent’s events_wait: the wait is sent to the next server and answered', { timeout: 60_000 }, async (t) => {
  const { data, host, alice } = await threeAgents(t)
  const since = (await alice.ok('events_wait', { timeoutMs: 0 })).cursor
  const waiting = alice.call('events_wait', { since, types: ['task.created'], timeoutMs: 4000 })
  await sleep(300)
  await host.close()
  const answered = await waiting
  assert.equal(answered.isError, false, `events_wait answered ${answered.code}`)
  assert.deepEqual(servers(data), detached(data))
})

test('a relayed request over the message limit is refused INVALID_INPUT, and the session goes on', { timeout: 60_000 }, async (t) => {
  const { alice } = await threeAgents(t)
  const refused = await alice.call('note_append', { text: 'x'.repeat(11 * 1024 * 1024) })
  assert.equal(refused.code, 'INVALID_INPUT')
  await alice.ok('lock_acquire', { path: 'src/after.ts' })
})

test('a start claimed by a live process is waited for, a signal ends the wait at once; a claim of a dead process is taken over', { timeout: 60_000 }, async (t) => {
  const { home, repo, data } = setup(t)
  const runtime = { version: packageVersion(), execPath: process.execPath, execArgv: [], entry: CLI, nodeOptions: undefined, platform: process.platform, uid: process.getuid!() }
  const address = daemonAddress(data, runtime)
  mkdirSync(address.runDir, { recursive: true, mode: 0o700 })
  writeFileSync(address.startingFile, String(process.pid))
  const waiting = spawn(process.execPath, [CLI, 'server'], { cwd: repo, env: { PATH: process.env.PATH, HOME: home, LOCKSTEP_HOME: data }, stdio: ['pipe', 'pipe', 'ignore'] })
  t.after(() => void waiting.kill('SIGKILL'))
  const exited = new Promise<number | null>((resolve) => waiting.on('exit', (code) => resolve(code)))
  await sleep(1500)
  assert.equal(waiting.exitCode, null, 'it waits for the live claim')
  assert.equal(existsSync(address.socketPath), false)
  waiting.kill('SIGTERM')
  assert.equal(await exited, 0)
  // the claim of a process that is gone does not hold anyone up: the next agent serves and listens
  writeFileSync(address.startingFile, String(deadPid()))
  const alice = await startAgent(t, { home, cwd: repo })
  await alice.ok('coordination_init', { role: 'implementer', name: 'alice' })
  assert.deepEqual(servers(data), [alice.pid])
  assert.ok(await eventually(() => existsSync(address.socketPath)), 'it listens for the agents after it')
})

test('a session with its own --server-version shares the serving process', { timeout: 60_000 }, async (t) => {
  const { home, repo, data } = setup(t)
  const renamed = await startAgent(t, { home, cwd: repo, args: ['--server-version', '9.9.9'] })
  const plain = await startAgent(t, { home, cwd: repo })
  await renamed.ok('coordination_init', { role: 'planner', name: 'renamed' })
  await plain.ok('coordination_init', { role: 'implementer', name: 'plain' })
  assert.deepEqual(servers(data), [renamed.pid])
  assert.equal(renamed.client.getServerVersion()?.version, '9.9.9')
})

/** The first truthy value of `probe` within 5 s (else the last). */
async function eventually<T>(probe: () => T): Promise<T> {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(25)) {
    const value = probe()
    if (value) return value
  }
  return probe()
}

/** A pid no process has: one above the system's limit. */
function deadPid(): number {
  return Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1
}
