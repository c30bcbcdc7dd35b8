import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { subscribe } from './support/dashboard-helpers.js'
import { ROOT, runNode, tempDir } from './support/helpers.js'
import { CLI } from './support/mcp-helpers.js'

/** Processes whose working folder is inside `dir`: the demo's servers run in its repository or worktree. */
function processesIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const cwd = readlinkSync(`/proc/${pid}/cwd`)
        return cwd === dir || cwd.startsWith(`${dir}/`)
      } catch {
        return false
      }
    })
    .map(Number)
}

/** Lock folders (`<doc>.lock/`) anywhere under `dir`. */
function lockFolders(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.endsWith('.lock'))
    .map((entry) => entry.name)
}

function demoEnv(home: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LOCKSTEP_')))
  return { ...env, HOME: home, TMPDIR: home }
}

test('demo --fast --no-open plays to a complete project that the dashboard served and check accepts, leaving no process', async (t) => {
  const home = tempDir(t, 'lockstep-demo-test-')
  const child = spawn(process.execPath, [CLI, 'demo', '--fast', '--no-open', '--json', '--port', '0'], { cwd: home, env: demoEnv(home), stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => void child.kill('SIGKILL'))
  let stdout = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const narration: string[] = []
  let live: Awaited<ReturnType<typeof subscribe>> | null = null
  for await (const line of createInterface({ input: child.stderr })) {
    narration.push(line)
    // watch the dashboard's live stream as a browser would, from the moment it prints its URL
    const url = /^Dashboard: (\S+)/.exec(line)?.[1]
    if (url) live = await subscribe(t, new URL('/api/events', url).href)
  }
  const run = { code: await exited, stdout, stderr: narration.join('\n') }
  assert.equal(run.code, 0, run.stderr)
  assert.ok(live, 'the dashboard URL was printed')
  await live.next((event) => event.event === 'change' && event.data.changed.includes('tasks'), 1000)
  const result = JSON.parse(run.stdout)
  assert.ok(result.repo.startsWith(home), 'the repository is in the temporary folder')
  assert.deepEqual(result.dashboard, { status: 'complete', tasks: 5, done: 5, activeLocks: 0 })
  const steps = run.stderr.split('\n').filter((line) => /^\[\s*\d+\/\d+\]/.test(line))
  const [, last, total] = /^\[\s*(\d+)\/(\d+)\]/.exec(steps.at(-1)!)!
  assert.equal(last, total, 'every narrated step ran')
  const check = await runNode([CLI, 'check', '--json'], { cwd: result.repo, env: demoEnv(home) })
  assert.equal(check.code, 0, check.stdout)
  const snapshot = JSON.parse(readFileSync(join(result.repo, '.lockstep', 'state.json'), 'utf8'))
  assert.equal(snapshot.tasks.length, 5)
  assert.ok(
    snapshot.tasks.some((task: any) => task.reviewRounds === 2),
    'one task went through a second review round',
  )
  assert.deepEqual(
    snapshot.discussions.map((discussion: any) => [discussion.status, discussion.decidedBy]),
    [['resolved', 'planner']],
  )
  assert.deepEqual(processesIn(result.repo), [])
  assert.deepEqual(lockFolders(result.home), [])
  assert.equal(existsSync(join(result.home, 'dashboard.json')), false, 'the dashboard is gone')
  assert.ok(existsSync(join(result.repo, 'README.md')) && readFileSync(join(result.repo, 'README.md'), 'utf8').includes('## Usage'), 'the worktree branch was merged back')
})

test('Ctrl-C in the middle of the demo stops every server and the dashboard and removes its store', async (t) => {
  const home = tempDir(t, 'lockstep-demo-test-')
  const dir = join(home, 'repo')
  const child = spawn(process.execPath, [CLI, 'demo', '--no-open', '--port', '0', '--dir', dir], { cwd: ROOT, env: demoEnv(home), stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const lines = createInterface({ input: child.stdout })
  for await (const line of lines) {
    // all four agents have their servers once step 7 is told
    if (/^\[\s*7\//.test(line)) break
  }
  assert.ok(processesIn(dir).length >= 5, 'the dashboard and four servers run in the repository')
  child.kill('SIGINT')
  assert.equal(await exited, 130)
  assert.deepEqual(processesIn(dir), [])
  assert.deepEqual(
    readdirSync(home).filter((name) => name.startsWith('lockstep-demo-home-')),
    [],
    'the private store is removed',
  )
  assert.ok(existsSync(join(dir, '.git')), 'a folder named with --dir is kept')
})
