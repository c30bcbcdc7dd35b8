import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { resolveWindowsProgram } from '../lib/commands/windows.js'
import { checkCommandPolicy, parseCommand, runCommand, runToolInstall, type CommandMode, type ToolManager } from '../lib/commands/commands.js'
import { tempDir, waitGone, isProcessAlive } from './support/helpers.js'

const posixOnly = process.platform === 'win32' ? 'process groups and /bin/sh are POSIX' : false
const NODE = JSON.stringify(process.execPath)

async function assertCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: { code?: string }) => error.code === code)
}

/** What command_run will do: parse, apply the policy, run. */
async function guardedRun(command: string, cwd: string, options: { shell?: boolean; commandMode?: CommandMode; allow?: string[] } = {}) {
  const { shell = false, commandMode = 'open', allow = [] } = options
  const argv = shell ? [] : parseCommand(command, commandMode)
  checkCommandPolicy({ argv, raw: command, shell, commandMode, allow, accessMode: 'open' })
  const target = shell ? { shellCommand: command } : { argv }
  return runCommand({ ...target, cwd, timeoutMs: 10_000, maxOutputBytes: 64 * 1024 })
}

test('parseCommand splits words like sh, without expansion', () => {
  const rows: Array<[string, string[]]> = [
    ['echo hi', ['echo', 'hi']],
    ['  echo \t hi  ', ['echo', 'hi']],
    [`echo 'a b' "c d"`, ['echo', 'a b', 'c d']],
    [`echo ''`, ['echo', '']],
    [`echo "" x`, ['echo', '', 'x']],
    [`echo a'b'"c"d`, ['echo', 'abcd']],
    [`echo 'it\\s' "a\\"b" "\\\\" "\\$HOME" "\\\`" "\\n"`, ['echo', 'it\\s', 'a"b', '\\', '$HOME', '`', '\\n']],
    ['echo a\\ b \\"q\\" \\\\', ['echo', 'a b', '"q"', '\\']],
    ['echo ~ *.ts {a,b} #x', ['echo', '~', '*.ts', '{a,b}', '#x']],
    [`echo '$HOME' "a;b|c&d<e>f(g)"`, ['echo', '$HOME', 'a;b|c&d<e>f(g)']],
    ['echo \\; \\&\\&', ['echo', ';', '&&']],
    ['npm run build \\\n  --watch', ['npm', 'run', 'build', '--watch']],
    ['echo "multi\nline"', ['echo', 'multi\nline']],
    ['echo hi\n', ['echo', 'hi']],
  ]
  for (const [command, argv] of rows) assert.deepEqual(parseCommand(command), argv, JSON.stringify(command))
})

test('parseCommand refuses unterminated quotes, empty commands and unquoted metacharacters in open mode', () => {
  const rows = [`echo 'a`, 'echo "a', 'echo "a\\"', '', '   ', 'a && b', 'a;b', 'a | b', 'a > f', 'a < f', 'echo $(x)', 'echo `x`', 'a\nb', '(a)', 'echo $HOME']
  for (const command of rows) {
    assert.throws(
      () => parseCommand(command),
      (error: { code?: string }) => error.code === 'INVALID_INPUT',
      JSON.stringify(command),
    )
  }
})

test('allowlist mode refuses every chaining, substitution and quoted metacharacter without running anything', async (t) => {
  const dir = tempDir(t)
  const marker = join(dir, 'marker')
  const allow = ['echo', 'node', 'touch']
  const rows = [
    `echo hi && touch ${marker}`,
    `echo hi; touch ${marker}`,
    `echo hi | touch ${marker}`,
    `echo $(touch ${marker})`,
    `echo \`touch ${marker}\``,
    `echo hi\ntouch ${marker}`,
    `echo "hi; touch ${marker}"`,
    `echo 'hi && touch ${marker}'`,
    `echo hi \\; touch ${marker}`,
    `node -e "require('fs').writeFileSync('${marker}', '')" > out`,
  ]
  for (const command of rows) {
    await assertCode(guardedRun(command, dir, { commandMode: 'allowlist', allow }), 'FORBIDDEN')
    assert.equal(existsSync(marker), false, JSON.stringify(command))
  }
  await assertCode(guardedRun(`echo hi && touch ${marker}`, dir, { shell: true, commandMode: 'allowlist', allow }), 'FORBIDDEN')
  await assertCode(guardedRun(`touch ${marker}`, dir, { shell: true, commandMode: 'allowlist', allow }), 'FORBIDDEN')
  assert.equal(existsSync(marker), false)
})

test('allowlist mode runs listed programs only, by basename without .exe or .cmd', async (t) => {
  const dir = tempDir(t)
  const marker = join(dir, 'marker')
  await assertCode(guardedRun(`touch ${marker}`, dir, { commandMode: 'allowlist', allow: ['echo', 'node'] }), 'FORBIDDEN')
  assert.equal(existsSync(marker), false)
  const result = await guardedRun(`${NODE} -p 6*7`, dir, { commandMode: 'allowlist', allow: ['node.exe'] })
  assert.equal(result.stdout.trim(), '42')
  const policy = { raw: undefined, shell: false, commandMode: 'allowlist' as const, accessMode: 'open' as const }
  checkCommandPolicy({ ...policy, argv: ['C:\\tools\\npm.cmd', 'install'], allow: ['npm'] })
  assert.throws(() => checkCommandPolicy({ ...policy, argv: ['npm-evil'], allow: ['npm'] }), { code: 'FORBIDDEN' })
})

test('shell: true is refused in strict access mode and allowed in open mode', { skip: posixOnly }, async (t) => {
  const dir = tempDir(t)
  const marker = join(dir, 'marker')
  const policy = { argv: [], raw: `touch ${marker}`, shell: true, commandMode: 'open' as const, allow: [] }
  assert.throws(() => checkCommandPolicy({ ...policy, accessMode: 'strict' }), { code: 'FORBIDDEN' })
  checkCommandPolicy({ ...policy, accessMode: 'open' })
  const result = await guardedRun(`echo one && touch ${marker} && echo two`, dir, { shell: true })
  assert.equal(result.stdout, 'one\ntwo\n')
  assert.equal(existsSync(marker), true)
})

test('open mode runs a quoted metacharacter as a plain argument', async (t) => {
  const dir = tempDir(t)
  const result = await guardedRun(`${NODE} -e "console.log(process.argv[1])" "a && b; c"`, dir)
  assert.equal(result.stdout, 'a && b; c\n')
  assert.equal(result.exitCode, 0)
})

test('runCommand reports a non-zero exit as a result, with stderr and the env merged', async (t) => {
  const dir = tempDir(t)
  const script = 'process.stderr.write(process.env.LOCKSTEP_TEST_VAR + ":" + typeof process.env.PATH); process.exit(3)'
  const result = await runCommand({
    argv: [process.execPath, '-e', script],
    cwd: dir,
    timeoutMs: 10_000,
    maxOutputBytes: 1024,
    env: { LOCKSTEP_TEST_VAR: 'set' },
  })
  assert.equal(result.exitCode, 3)
  assert.equal(result.signal, null)
  assert.equal(result.timedOut, false)
  assert.equal(result.stderr, 'set:string')
  assert.ok(result.durationMs >= 0)
})

test('runCommand gives the child an empty stdin and runs in cwd', async (t) => {
  const dir = tempDir(t)
  const script = 'let n = 0; process.stdin.on("data", (c) => (n += c.length)).on("end", () => console.log(n, process.cwd()))'
  const result = await runCommand({ argv: [process.execPath, '-e', script], cwd: dir, timeoutMs: 10_000, maxOutputBytes: 1024 })
  assert.equal(result.stdout, `0 ${dir}\n`)
})

test('runCommand caps each stream at exactly maxOutputBytes and flags the truncation', async (t) => {
  const dir = tempDir(t)
  const script = 'process.stdout.write("x".repeat(200000)); process.stderr.write("e".repeat(10))'
  const result = await runCommand({ argv: [process.execPath, '-e', script], cwd: dir, timeoutMs: 10_000, maxOutputBytes: 1024 })
  assert.equal(result.stdout, 'x'.repeat(1024))
  assert.equal(result.stdoutTruncated, true)
  assert.equal(result.stderr, 'e'.repeat(10))
  assert.equal(result.stderrTruncated, false)
  assert.equal(result.exitCode, 0)
})

test('runCommand gives NOT_FOUND for a missing program and a missing cwd', async (t) => {
  const dir = tempDir(t)
  await assertCode(runCommand({ argv: ['lockstep-no-such-program-x1'], cwd: dir, timeoutMs: 5000, maxOutputBytes: 1024 }), 'NOT_FOUND')
  await assertCode(runCommand({ argv: [process.execPath, '-v'], cwd: join(dir, 'nope'), timeoutMs: 5000, maxOutputBytes: 1024 }), 'NOT_FOUND')
})

test('a timeout kills the child and the grandchild it started', { skip: posixOnly }, async (t) => {
  const dir = tempDir(t)
  const pidFile = join(dir, 'grandchild.pid')
  const grandchild = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`
  const parent = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'inherit' }); setInterval(() => {}, 1000)`
  const result = await runCommand({ argv: [process.execPath, '-e', parent], cwd: dir, timeoutMs: 1000, maxOutputBytes: 1024 })
  assert.equal(result.timedOut, true)
  assert.equal(result.exitCode, null)
  assert.equal(result.signal, 'SIGTERM')
  const pid = Number(readFileSync(pidFile, 'utf8'))
  assert.ok(pid > 0)
  assert.equal(await waitGone(pid), true)
})

test('a child that ignores SIGTERM gets SIGKILL after the grace period', { skip: posixOnly }, async (t) => {
  const dir = tempDir(t)
  const script = 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)'
  const result = await runCommand({ argv: [process.execPath, '-e', script], cwd: dir, timeoutMs: 500, maxOutputBytes: 1024 })
  assert.equal(result.timedOut, true)
  assert.equal(result.exitCode, null)
  assert.equal(result.signal, 'SIGKILL')
  assert.equal(result.stdout, 'ready\n')
})

test('the call returns soon after a timeout even if an escaped descendant keeps the pipes open', { skip: posixOnly }, async (t) => {
  const dir = tempDir(t)
  const pidFile = join(dir, 'escaped.pid')
  const escaped = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 60000)`
  // detached: the descendant leaves the process group, so the group kill cannot reach it
  const parent = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(escaped)}], { stdio: 'inherit', detached: true }); setInterval(() => {}, 1000)`
  const started = Date.now()
  const result = await runCommand({ argv: [process.execPath, '-e', parent], cwd: dir, timeoutMs: 500, maxOutputBytes: 1024 })
  const pid = Number(readFileSync(pidFile, 'utf8'))
  t.after(() => {
    if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL')
  })
  assert.equal(result.timedOut, true)
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`)
})

test('an aborted signal ends the process tree without counting as a timeout', async (t) => {
  const dir = tempDir(t)
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 300)
  const result = await runCommand({
    argv: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
    cwd: dir,
    timeoutMs: 10_000,
    maxOutputBytes: 1024,
    signal: controller.signal,
  })
  assert.equal(result.timedOut, false)
  assert.equal(result.exitCode, null)
  assert.ok(result.durationMs < 5000)
})

test('runToolInstall passes args as argv without joining them and refuses unknown managers', async (t) => {
  const dir = tempDir(t)
  await assertCode(runToolInstall({ manager: 'curl' as ToolManager, args: [], cwd: dir }), 'INVALID_INPUT')
  const result = await runToolInstall({ manager: 'npm', args: ['--version'], cwd: dir, timeoutMs: 60_000 })
  assert.equal(result.exitCode, 0)
  assert.deepEqual(result.argv, ['npm', '--version'])
  assert.match(result.stdout, /^\d+\.\d+\.\d+/)
})

test('resolveWindowsProgram tries PATHEXT on PATH and resolves paths against cwd', () => {
  const files = ['C:\\bin\\npm.cmd', 'C:\\tools\\git.EXE', 'C:\\repo\\scripts\\build.bat', 'C:\\repo\\node.exe']
  const isFile = (candidate: string): boolean => files.some((file) => file.toLowerCase() === candidate.toLowerCase())
  const options = { cwd: 'C:\\repo', path: 'C:\\bin;"C:\\tools"', pathext: '.COM;.EXE;.BAT;.CMD' }
  assert.equal(resolveWindowsProgram('npm', options, isFile), 'C:\\bin\\npm.cmd')
  assert.equal(resolveWindowsProgram('git', options, isFile)?.toLowerCase(), 'c:\\tools\\git.exe')
  assert.equal(resolveWindowsProgram('git.exe', options, isFile)?.toLowerCase(), 'c:\\tools\\git.exe')
  // a bare name is never taken from the working folder
  assert.equal(resolveWindowsProgram('node', options, isFile), undefined)
  assert.equal(resolveWindowsProgram('.\\node', options, isFile), 'C:\\repo\\node.exe')
  assert.equal(resolveWindowsProgram('scripts\\build', options, isFile), 'C:\\repo\\scripts\\build.bat')
  assert.equal(resolveWindowsProgram('missing', options, isFile), undefined)
})
