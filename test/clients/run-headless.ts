// Run a coding client headless to its end (killed after 2 minutes), with its stdout and stderr as one text.
import { spawn } from 'node:child_process'

export interface HeadlessRun {
  exit: number | null
  output: string
}

export function runHeadless(program: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<HeadlessRun> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('close', (exit) => {
      clearTimeout(timer)
      resolve({ exit, output })
    })
  })
}
