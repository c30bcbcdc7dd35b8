import { removeTree } from './remove-tree.js'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** A fresh temp folder, removed when the test ends. */
export function tempDir(t: { after: (fn: () => unknown) => void }, prefix = 'lockstep-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)))
  t.after(() => removeTree(dir))
  return dir
}

export interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Run a TypeScript script of the test folder in a child Node process (through tsx). */
export function runTs(script: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ChildResult> {
  return runNode(['--import', 'tsx', join(ROOT, 'test', 'support', script), ...args], options)
}

export function runNode(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; input?: string } = {}): Promise<ChildResult> {
  return runProcess(process.execPath, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, timeoutMs: options.timeoutMs, input: options.input })
}

/** Run a program to its end, collecting its output; killed after `timeoutMs` (default 60 s). */
export function runProcess(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string; shell?: boolean }): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], shell: options.shell })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Assert that `promise` rejects with a LockstepError of `code`; returns the error's data. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Record<string, any>> {
  let caught: any
  await assert.rejects(promise, (error: { code?: string }) => {
    caught = error
    return error.code === code
  })
  return caught.data
}

/** A process that is gone, or a zombie waiting to be reaped, counts as not alive. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

export async function waitGone(pid: number, ms = 3000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) if (!isProcessAlive(pid)) return true
  return !isProcessAlive(pid)
}

import { Store } from '../../storage/store.js'
import { DOCUMENTS } from '../../lib/state/schema.js'
import { isAliveOnHost } from '../../storage/host.js'
import { newCaller, type Ctx, type Binding } from '../../lib/state/context.js'
import { defaultSettings, type Settings } from '../../lib/state/settings.js'
import { mkdirSync } from 'node:fs'

/** A domain context on a real temp store: one caller in `cwd` (a fresh project folder unless given). */
export function testCtx(
  t: { after: (fn: () => void) => void },
  options: { dataDir?: string; cwd?: string; binding?: Binding; now?: () => Date; settings?: Partial<Settings>; sessionId?: string } = {},
): Ctx {
  const base = options.dataDir ? null : tempDir(t)
  const dataDir = options.dataDir ?? join(base!, 'data')
  let cwd = options.cwd
  if (!cwd) {
    cwd = join(base ?? tempDir(t), 'repo')
    mkdirSync(cwd, { recursive: true })
  }
  const store = new Store({ dataDir, documents: DOCUMENTS, now: options.now })
  t.after(() => store.close())
  return {
    store,
    settings: defaultSettings({ home: dataDir, dataDir, ...options.settings }),
    caller: newCaller({ sessionId: options.sessionId ?? `sess-${Math.random().toString(36).slice(2, 10)}`, cwd, binding: options.binding, pid: process.pid }),
    now: options.now ?? (() => new Date()),
    isAlive: isAliveOnHost,
  }
}

/** The events of one type in the project of `ctx`, oldest first. */
export async function eventsOfType(ctx: Ctx, type: string) {
  const { events } = await ctx.store.eventReader(ctx.store.project(ctx.caller.cwd)).readSince(0, 1000)
  return events.filter((event) => event.type === type)
}

/** Another caller on the same store and project as `ctx`. */
export function peerCtx(ctx: Ctx, fields: { binding?: Binding; sessionId?: string } = {}): Ctx {
  return { ...ctx, caller: newCaller({ sessionId: fields.sessionId ?? `sess-${Math.random().toString(36).slice(2, 10)}`, cwd: ctx.caller.cwd, binding: fields.binding, pid: process.pid }) }
}
