import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import { taskkillTree, type WindowsLaunch } from './windows.js'
import { LockstepError } from '../errors.js'

export interface CommandResult {
  argv: string[]
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  stdout: string
  stderr: string
  stdoutTruncated: boolean
  stderrTruncated: boolean
  durationMs: number
}

export interface SpawnOptions {
  cwd: string
  env: Record<string, string>
  timeoutMs: number
  maxOutputBytes: number
  signal?: AbortSignal | undefined
}

const IS_WINDOWS = process.platform === 'win32'
const KILL_GRACE_MS = 5000
// after the tree was signalled, how long a descendant may keep our pipes open before we stop reading
const LINGER_MS = 500

/**
 * Start `launch`, collect capped output and settle once the child exited and its stdio closed. A timeout or an abort
 * ends the whole tree; the call then settles at most shortly after, even if a descendant keeps the pipes open.
 */
export function spawnAndCollect(argv: string[], launch: WindowsLaunch, options: SpawnOptions): Promise<CommandResult> {
  const { cwd, env, timeoutMs, maxOutputBytes, signal } = options
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(launch.file, launch.args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // POSIX: lead a new process group so that a timeout reaches every descendant
      detached: !IS_WINDOWS,
      windowsHide: true,
      windowsVerbatimArguments: launch.verbatim,
    })
    const stdout = capture(child.stdout, maxOutputBytes)
    const stderr = capture(child.stderr, maxOutputBytes)
    let exit: { code: number | null; signal: string | null } | undefined
    let killed = false
    let timedOut = false
    let settled = false
    const timers: NodeJS.Timeout[] = []

    const settle = (): void => {
      settled = true
      for (const timer of timers) clearTimeout(timer)
      signal?.removeEventListener('abort', terminate)
    }
    const finish = (): void => {
      if (settled) return
      settle()
      child.stdout.destroy()
      child.stderr.destroy()
      // taskkill ends the tree with exit code 1 and no signal; report it as the kill it was
      const byTaskkill = IS_WINDOWS && killed
      resolve({
        argv,
        exitCode: byTaskkill ? null : (exit?.code ?? null),
        signal: byTaskkill ? 'SIGKILL' : (exit?.signal ?? null),
        timedOut,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutTruncated: stdout.truncated(),
        stderrTruncated: stderr.truncated(),
        durationMs: Math.round(performance.now() - started),
      })
    }
    function terminate(): void {
      if (killed || settled || child.pid === undefined) return
      killed = true
      const pid = child.pid
      if (IS_WINDOWS) taskkillTree(pid)
      else {
        signalGroup(pid, 'SIGTERM')
        // not cleared on finish: descendants that outlive the leader still get their SIGKILL
        setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS).unref()
      }
      if (exit) timers.push(setTimeout(finish, LINGER_MS))
      // a process that survives SIGKILL (stuck in the kernel) must not hold the call forever
      timers.push(setTimeout(finish, KILL_GRACE_MS + 2 * LINGER_MS))
    }

    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined || settled) return
      settle()
      reject(spawnError(error, argv[0] ?? ''))
    })
    child.once('exit', (code, exitSignal) => {
      exit = { code, signal: exitSignal }
      if (killed) timers.push(setTimeout(finish, LINGER_MS))
    })
    child.once('close', finish)
    timers.push(
      setTimeout(() => {
        // a leader that exited but left descendants holding our pipes did not time out itself
        timedOut = exit === undefined
        terminate()
      }, timeoutMs),
    )
    if (signal?.aborted) terminate()
    else signal?.addEventListener('abort', terminate, { once: true })
  })
}

function capture(stream: Readable, cap: number): { text: () => string; truncated: () => boolean } {
  const chunks: Buffer[] = []
  let size = 0
  let truncated = false
  // keep reading past the cap: a full pipe would block the child
  stream.on('data', (chunk: Buffer) => {
    const room = cap - size
    if (chunk.length > room) truncated = true
    if (room <= 0) return
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk
    chunks.push(kept)
    size += kept.length
  })
  return { text: () => Buffer.concat(chunks).toString('utf8'), truncated: () => truncated }
}

function signalGroup(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pid, name)
  } catch {
    // ESRCH: the whole group is gone already
  }
}

function spawnError(error: NodeJS.ErrnoException, program: string): Error {
  if (error.code === 'ENOENT') {
    return new LockstepError('NOT_FOUND', `The program ${program} was not found; check the name and PATH, or install it first.`, { program })
  }
  if (error.code === 'EACCES') {
    return new LockstepError('INVALID_INPUT', `${program} is not an executable program; check its path and permissions.`, { program })
  }
  return error
}
