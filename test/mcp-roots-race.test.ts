import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { startAgent, type McpAgent } from './support/mcp-helpers.js'
import { tempDir } from './support/helpers.js'

// run `npm run build` first: the built server in strict mode, raced by another process that swaps a folder inside
// the root for a symlink to a folder outside, back and forth

const RACE_MS = 10_000
const SECRET = 'OUTSIDE-SECRET'
const skip = process.platform !== 'linux' ? 'the descriptor check needs /proc (Linux); see README' : false

/** Swap <repo>/swap between the real folder and a symlink to `outside` until killed. */
const SWAPPER = `
const fs = require('fs')
const [swap, hold, outside] = process.argv.slice(1)
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
for (;;) {
  try {
    fs.renameSync(swap, hold)
    fs.symlinkSync(outside, swap)
    pause(1)
    fs.unlinkSync(swap)
  } catch {}
  // a write with createDirs may have made a new folder in the gap: the held one takes its place again
  try { fs.renameSync(hold, swap) } catch { fs.rmSync(swap, { recursive: true, force: true }); try { fs.renameSync(hold, swap) } catch {} }
  pause(1)
}`

function listAll(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? [`${prefix}${entry.name}/`, ...listAll(join(dir, entry.name), `${prefix}${entry.name}/`)] : [`${prefix}${entry.name}`],
  )
}

async function loop(until: number, step: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; Date.now() < until; i++) await step(i)
}

test('strict roots hold under a concurrent symlink swap: no read of outside content, nothing written outside', { skip, timeout: 60_000 }, async (t) => {
  const home = tempDir(t, 'lockstep-race-')
  const repo = join(home, 'repo')
  const outside = join(home, 'outside')
  mkdirSync(join(repo, 'swap'), { recursive: true })
  mkdirSync(outside)
  writeFileSync(join(repo, 'swap', 'a.txt'), 'inside')
  writeFileSync(join(outside, 'a.txt'), SECRET)
  const agent: McpAgent = await startAgent(t, { home, cwd: repo, args: ['--mode', 'strict', '--roots', repo, '--tools', 'all'] })
  await agent.ok('coordination_init', { role: 'implementer' })

  const swapper = spawn(process.execPath, ['-e', SWAPPER, join(repo, 'swap'), join(repo, '.hold'), outside], { stdio: 'ignore' })
  t.after(() => void swapper.kill('SIGKILL'))
  const counts = { reads: 0, outsideReads: 0, writes: 0, refused: new Map<string, number>() }
  const samples = new Map<string, string>()
  const tally = (reply: { code?: string; text: string }) => {
    const code = reply.code ?? 'none'
    counts.refused.set(code, (counts.refused.get(code) ?? 0) + 1)
    if (!samples.has(code)) samples.set(code, reply.text)
  }
  const until = Date.now() + RACE_MS
  await Promise.all([
    loop(until, async () => {
      const reply = await agent.call('file_read', { path: 'swap/a.txt' })
      if (reply.isError) return tally(reply)
      counts.reads++
      if (reply.body.content.includes(SECRET)) counts.outsideReads++
    }),
    loop(until, async (i) => {
      const writes = [
        { path: 'swap/w.txt', content: `w${i}` },
        { path: 'swap/log.txt', content: `l${i}\n`, mode: 'append' },
        { path: `swap/d${i}/f.txt`, content: 'd', createDirs: true },
      ]
      const reply = await agent.call('file_write', writes[i % writes.length]!)
      if (reply.isError) return tally(reply)
      counts.writes++
    }),
  ])
  swapper.kill('SIGKILL')
  t.diagnostic(`reads ${counts.reads}, writes ${counts.writes}, refused ${JSON.stringify([...counts.refused])}`)
  for (const [code, text] of samples) t.diagnostic(`${code}: ${text}`)

  assert.equal(counts.outsideReads, 0)
  assert.deepEqual(listAll(outside), ['a.txt'])
  assert.equal(readFileSync(join(outside, 'a.txt'), 'utf8'), SECRET)
  // the race was real: both sides ran many times, and the swap was seen
  assert.ok(counts.reads > 50 && counts.writes > 50, JSON.stringify(counts))
  assert.ok((counts.refused.get('FORBIDDEN') ?? 0) + (counts.refused.get('NOT_FOUND') ?? 0) > 0)
  for (const code of counts.refused.keys()) assert.ok(['FORBIDDEN', 'NOT_FOUND'].includes(code), samples.get(code))
})
