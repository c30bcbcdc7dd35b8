import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { installToolTool, runCommandTool } from '../lib/commands/command-tools.js'
import type { Settings } from '../lib/state/settings.js'
import { tempDir, testCtx, rejectsWith as rejects, eventsOfType as events, waitGone } from './support/helpers.js'

const posixOnly = process.platform === 'win32' ? 'process groups, /bin/sh and touch are POSIX' : false
const NODE = JSON.stringify(process.execPath)

function setup(t: TestContext, settings: Partial<Settings> = {}) {
  const base = tempDir(t, 'lockstep-cmd-')
  const repo = join(base, 'repo')
  const outside = join(base, 'outside')
  mkdirSync(repo)
  mkdirSync(outside)
  const ctx = testCtx(t, { cwd: repo, settings })
  return { ctx, repo, outside, marker: join(repo, 'marker') }
}

const allowlist = { commandMode: 'allowlist' as const, commandAllow: ['echo', 'node', 'touch'] }

const BYPASSES: [string, (marker: string) => string][] = [
  ['&&', (marker) => `echo hi && touch ${marker}`],
  [';', (marker) => `echo hi; touch ${marker}`],
  ['|', (marker) => `echo hi | touch ${marker}`],
  ['$( )', (marker) => `echo $(touch ${marker})`],
  ['backticks', (marker) => `echo \`touch ${marker}\``],
  ['a newline', (marker) => `echo hi\ntouch ${marker}`],
  ['a quoted ;', (marker) => `echo "hi; touch ${marker}"`],
  ['a redirection', (marker) => `echo hi > ${marker}`],
]

for (const [label, build] of BYPASSES) {
  test(`allowlist mode refuses an allowed command chained with ${label}, and nothing runs`, async (t) => {
    const { ctx, marker } = setup(t, allowlist)
    await rejects(runCommandTool(ctx, { command: build(marker) }), 'FORBIDDEN')
    assert.equal(existsSync(marker), false)
    const [refused] = await events(ctx, 'command.refused')
    assert.deepEqual([refused?.data?.code, refused?.data?.tool], ['FORBIDDEN', 'command_run'])
    assert.deepEqual(await events(ctx, 'command.ran'), [])
  })
}

test('allowlist mode refuses shell: true, even for an allowed program', async (t) => {
  const { ctx, marker } = setup(t, allowlist)
  await rejects(runCommandTool(ctx, { command: `touch ${marker}`, shell: true }), 'FORBIDDEN')
  await rejects(runCommandTool(ctx, { command: 'echo hi', shell: true }), 'FORBIDDEN')
  assert.equal(existsSync(marker), false)
})

test('allowlist mode refuses a program given as a path, so a planted ./echo cannot pass as echo', { skip: posixOnly }, async (t) => {
  const { ctx, repo, marker } = setup(t, allowlist)
  writeFileSync(join(repo, 'echo'), `#!/bin/sh\ntouch ${marker}\n`)
  chmodSync(join(repo, 'echo'), 0o755)
  const data = await rejects(runCommandTool(ctx, { command: './echo hi' }), 'FORBIDDEN')
  assert.equal(data.program, './echo')
  await rejects(runCommandTool(ctx, { command: `${join(repo, 'echo')} hi` }), 'FORBIDDEN')
  assert.equal(existsSync(marker), false)
})

test('allowlist mode refuses an env that sets PATH or preloads a library', { skip: posixOnly }, async (t) => {
  const { ctx, outside, marker } = setup(t, allowlist)
  writeFileSync(join(outside, 'echo'), `#!/bin/sh\ntouch ${marker}\n`)
  chmodSync(join(outside, 'echo'), 0o755)
  await rejects(runCommandTool(ctx, { command: 'echo hi', env: { PATH: outside } }), 'FORBIDDEN')
  await rejects(runCommandTool(ctx, { command: 'echo hi', env: { Path: outside } }), 'FORBIDDEN')
  await rejects(runCommandTool(ctx, { command: 'echo hi', env: { LD_PRELOAD: join(outside, 'x.so') } }), 'FORBIDDEN')
  assert.equal(existsSync(marker), false)
  const result = await runCommandTool(ctx, { command: 'echo hi', env: { GREETING: 'hi' } })
  assert.equal(result.stdout, 'hi\n')
})

test('allowlist mode runs a listed program and refuses an unlisted one', async (t) => {
  const { ctx, marker } = setup(t, { commandMode: 'allowlist', commandAllow: ['echo', 'node'] })
  const result = await runCommandTool(ctx, { command: 'node -p 6*7' })
  assert.deepEqual([result.stdout, result.exitCode, result.timedOut], ['42\n', 0, false])
  const data = await rejects(runCommandTool(ctx, { command: `touch ${marker}` }), 'FORBIDDEN')
  assert.equal(data.program, 'touch')
  assert.equal(existsSync(marker), false)
  const ran = await events(ctx, 'command.ran')
  assert.deepEqual(
    ran.map((event) => event.data),
    [{ program: 'node', exitCode: 0 }],
  )
})

test('shell: true is refused in strict access mode and runs in open mode', { skip: posixOnly }, async (t) => {
  const strict = setup(t, { mode: 'strict' })
  await rejects(runCommandTool(strict.ctx, { command: `touch ${strict.marker}`, shell: true }), 'FORBIDDEN')
  assert.equal(existsSync(strict.marker), false)
  const open = setup(t)
  const result = await runCommandTool(open.ctx, { command: `echo one && touch ${open.marker}`, shell: true })
  assert.deepEqual([result.stdout, existsSync(open.marker)], ['one\n', true])
})

test('open mode refuses an unquoted metacharacter without a shell, and runs nothing', async (t) => {
  const { ctx, marker } = setup(t)
  await rejects(runCommandTool(ctx, { command: `${NODE} -e 1 && touch ${marker}` }), 'INVALID_INPUT')
  assert.equal(existsSync(marker), false)
  const quoted = await runCommandTool(ctx, { command: `${NODE} -e "console.log(process.argv[1])" "a && b"` })
  assert.equal(quoted.stdout, 'a && b\n')
})

test('a non-zero exit is a result, with exit code, stderr and the command.ran event', async (t) => {
  const { ctx } = setup(t)
  const result = await runCommandTool(ctx, { command: `${NODE} -e "console.error('bad'); process.exit(3)"` })
  assert.deepEqual([result.exitCode, result.signal, result.timedOut, result.stderr], [3, null, false, 'bad\n'])
  const [ran] = await events(ctx, 'command.ran')
  assert.deepEqual(ran?.data, { program: 'node', exitCode: 3 })
})

test('the default cwd is the work root; strict mode refuses a cwd outside the roots', async (t) => {
  // without --roots, strict mode's root is the project of the working folder
  const { ctx, repo, outside } = setup(t, { mode: 'strict' })
  const here = await runCommandTool(ctx, { command: `${NODE} -p "process.cwd()"` })
  assert.equal(here.stdout.trim(), repo)
  mkdirSync(join(repo, 'sub'))
  const sub = await runCommandTool(ctx, { command: `${NODE} -p "process.cwd()"`, cwd: 'sub' })
  assert.equal(sub.stdout.trim(), join(repo, 'sub'))
  const script = `require('fs').writeFileSync('marker', '')`
  await rejects(runCommandTool(ctx, { command: `${NODE} -e "${script}"`, cwd: outside }), 'FORBIDDEN')
  await rejects(runCommandTool(ctx, { command: `${NODE} -e "${script}"`, cwd: '..' }), 'FORBIDDEN')
  assert.equal(existsSync(join(outside, 'marker')), false)
  assert.equal(existsSync(join(dirname(repo), 'marker')), false)
  await rejects(runCommandTool(ctx, { command: `${NODE} -v`, cwd: 'missing' }), 'NOT_FOUND')
})

test('a timeout kills the child and the grandchild it started', { skip: posixOnly }, async (t) => {
  const { ctx, repo } = setup(t)
  const pidFile = join(repo, 'grandchild.pid')
  const grandchild = `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`
  const parent = `require("child_process").spawn(process.execPath, ["-e", ${JSON.stringify(grandchild)}], { stdio: "inherit" }); setInterval(() => {}, 1000)`
  const result = await runCommandTool(ctx, { command: `${NODE} -e '${parent}'`, timeoutMs: 1000 })
  assert.deepEqual([result.timedOut, result.exitCode, result.signal], [true, null, 'SIGTERM'])
  const pid = Number(readFileSync(pidFile, 'utf8'))
  assert.ok(pid > 0)
  assert.equal(await waitGone(pid), true)
  const [ran] = await events(ctx, 'command.ran')
  assert.deepEqual(ran?.data, { program: 'node', exitCode: null, timedOut: true })
})

test('cancelling the call ends the command without counting as a timeout', async (t) => {
  const { ctx } = setup(t)
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 300)
  const started = Date.now()
  const result = await runCommandTool({ ...ctx, signal: controller.signal }, { command: `${NODE} -e "setInterval(() => {}, 1000)"` })
  assert.deepEqual([result.timedOut, result.exitCode], [false, null])
  assert.ok(Date.now() - started < 10_000)
})

test('output is capped per stream with truncation flags', async (t) => {
  const { ctx } = setup(t)
  const result = await runCommandTool(ctx, { command: `${NODE} -e "process.stdout.write('x'.repeat(5000))"`, maxOutputBytes: 1024 })
  assert.deepEqual([result.stdout.length, result.stdoutTruncated, result.stderrTruncated], [1024, true, false])
})

test('command inputs are validated: env names and size, timeout and output ranges', async (t) => {
  const { ctx } = setup(t)
  const env101 = Object.fromEntries(Array.from({ length: 101 }, (_, index) => [`V${index}`, 'x']))
  const rows = [
    { command: 'echo', env: { 'BAD-NAME': 'x' } },
    { command: 'echo', env: { '1X': 'x' } },
    { command: 'echo', env: env101 },
    { command: 'echo', timeoutMs: 0 },
    { command: 'echo', timeoutMs: 600_001 },
    { command: 'echo', maxOutputBytes: 1023 },
    { command: '' },
    { command: 'x'.repeat(10_001) },
    { command: 'echo', extra: 1 },
  ]
  for (const row of rows) await rejects(runCommandTool(ctx, row), 'INVALID_INPUT')
  assert.deepEqual(await events(ctx, 'command.refused'), [])
})

test('tool_install runs a known manager with an argv array and respects the allowlist', async (t) => {
  const { ctx, marker } = setup(t, { commandMode: 'allowlist', commandAllow: ['npm'] })
  await rejects(installToolTool(ctx, { manager: 'apt-get', args: ['install', 'x'] }), 'INVALID_INPUT')
  await rejects(installToolTool(ctx, { manager: 'npm', args: 'install left-pad' }), 'INVALID_INPUT')
  await rejects(installToolTool(ctx, { manager: 'pip', args: ['install', 'x'] }), 'FORBIDDEN')
  await rejects(installToolTool(ctx, { manager: 'npm', args: ['--version'], env: { PATH: '/tmp' } }), 'FORBIDDEN')
  const refused = await events(ctx, 'command.refused')
  assert.deepEqual(
    refused.map((event) => [event.data?.tool, event.data?.program]),
    [
      ['tool_install', 'pip'],
      ['tool_install', 'npm'],
    ],
  )
  const result = await installToolTool(ctx, { manager: 'npm', args: ['--version'], timeoutMs: 60_000 })
  assert.equal(result.exitCode, 0)
  assert.match(result.stdout, /^\d+\.\d+\.\d+/)
  assert.deepEqual(result.argv, ['npm', '--version'])
  assert.equal(existsSync(marker), false)
})
