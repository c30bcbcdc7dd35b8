import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import type { ChildResult } from './helpers.js'
import { tempDir } from './helpers.js'
import { CLI } from './mcp-helpers.js'

export interface Scratch {
  home: string
  project: string
  codexHome: string
  lockstepHome: string
  env: NodeJS.ProcessEnv
}

/** A scratch home and project, and an environment that points every client and lockstep folder into it. */
export function scratch(t: Parameters<typeof tempDir>[0]): Scratch {
  const dir = tempDir(t, 'lockstep-cli-')
  const home = join(dir, 'home')
  const project = join(dir, 'project')
  mkdirSync(home)
  mkdirSync(project)
  const codexHome = join(home, '.codex')
  const lockstepHome = join(home, '.lockstep-mcp')
  // a clean environment: nothing from the machine running the tests may leak into the configs under test
  // npm offline: install's registry check for npx entries answers at once, without the network
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: home, USERPROFILE: home, CODEX_HOME: codexHome, LOCKSTEP_HOME: lockstepHome, npm_config_offline: 'true' }
  return { home, project, codexHome, lockstepHome, env }
}

/** Run `node dist/cli.js …` as a child process. */
export function cli(s: Scratch, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? s.project, env: { ...s.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Run and parse stdout as the one JSON document it must be. */
export async function cliJson(s: Scratch, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; body: any; stderr: string }> {
  const result = await cli(s, [...args, '--json'], options)
  let body: unknown
  try {
    body = JSON.parse(result.stdout)
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}): ${result.stdout}\nstderr: ${result.stderr}`)
  }
  return { code: result.code, body, stderr: result.stderr }
}

export function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'))
}

/** A TOML file as plain JSON (smol-toml tables have a null prototype). */
export function readToml(file: string): any {
  return JSON.parse(JSON.stringify(parse(readFileSync(file, 'utf8'))))
}

export function claudeUserFile(s: Scratch): string {
  return join(s.home, '.claude.json')
}

export function codexUserFile(s: Scratch): string {
  return join(s.codexHome, 'config.toml')
}
