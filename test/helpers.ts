import { spawn } from 'node:child_process'
import { mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** A fresh temp folder, removed when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'lockstep-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
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
  return runNode(['--import', 'tsx', join(ROOT, 'test', script), ...args], options)
}

export function runNode(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; input?: string } = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] })
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

import { Store } from '../storage/store.js'
import { DOCUMENTS } from '../lib/schema.js'
import { defaultIsAlive, newCaller, type Ctx, type Binding } from '../lib/context.js'
import { defaultSettings, type Settings } from '../lib/settings.js'
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
    isAlive: defaultIsAlive,
  }
}

/** Another caller on the same store and project as `ctx`. */
export function peerCtx(ctx: Ctx, fields: { binding?: Binding; sessionId?: string } = {}): Ctx {
  return { ...ctx, caller: newCaller({ sessionId: fields.sessionId ?? `sess-${Math.random().toString(36).slice(2, 10)}`, cwd: ctx.caller.cwd, binding: fields.binding, pid: process.pid }) }
}
