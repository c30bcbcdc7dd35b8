// The real Claude Code CLI, headless, against the model stand-in: a project set up by `lockstep-mcp init`, its own
// lockstep server from the project's .mcp.json, and another agent (test/support/lock-holder.mjs) holding src/theirs.ts. The
// scripted model registers, locks src/mine.ts, then reads and edits three files. The guard must refuse exactly the
// edit of the file the other agent holds, and the refusal must reach the model as the tool's error result.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { runHeadless } from './run-headless.js'
import { startModelStandIn, type Step } from './model-stand-in.js'

export interface GuardRun {
  files: Record<'theirs' | 'mine' | 'free', string>
  /** The tool_result blocks the model saw, in order: [is_error, text]. */
  results: [boolean, string][]
  exit: number | null
  output: string
}

const ORIGINAL = 'export const value = 1\n'

export async function runClaudeGuard(claude: string, cli: string, project: string, env: Record<string, string>): Promise<GuardRun> {
  mkdirSync(join(project, 'src'), { recursive: true })
  for (const name of ['theirs', 'mine', 'free']) writeFileSync(join(project, 'src', `${name}.ts`), ORIGINAL)
  writeFileSync(join(project, '.mcp.json'), JSON.stringify({ mcpServers: { 'lockstep-mcp': { command: process.execPath, args: [cli, 'server'] } } }))
  mkdirSync(join(env.HOME!, '.claude'), { recursive: true })
  writeFileSync(join(env.HOME!, '.claude', 'settings.json'), '{"enableAllProjectMcpServers": true}\n')
  const edit = (name: string): Step[] => [
    { tool: 'Read', input: { file_path: join(project, 'src', `${name}.ts`) } },
    { tool: 'Edit', input: { file_path: join(project, 'src', `${name}.ts`), old_string: 'value = 1', new_string: 'value = 2' } },
  ]
  const standIn = await startModelStandIn([
    { tool: 'mcp__lockstep-mcp__coordination_init', input: { role: 'implementer', name: 'claude-1' } },
    { tool: 'mcp__lockstep-mcp__lock_acquire', input: { path: 'src/mine.ts' } },
    ...edit('theirs'),
    ...edit('mine'),
    ...edit('free'),
    { text: 'Done.' },
  ])
  const holder = spawn(process.execPath, [join(import.meta.dirname, '..', 'support', 'lock-holder.mjs'), 'impl-1', 'src/theirs.ts'], { cwd: project, env, stdio: ['pipe', 'pipe', 'inherit'] })
  try {
    const ready = await createInterface({ input: holder.stdout! })[Symbol.asyncIterator]().next()
    if (!String(ready.value).startsWith('ready')) throw new Error('the lock holder did not start')
    const run = await runHeadless(claude, ['-p', 'Edit the three files.', '--output-format', 'json', '--permission-mode', 'bypassPermissions', '--model', 'claude-sonnet-4-5'], {
      cwd: project,
      env: { ...env, ANTHROPIC_BASE_URL: standIn.url, ANTHROPIC_API_KEY: 'sk-ant-stand-in', IS_SANDBOX: '1' },
    })
    const last = standIn.turns.at(-1)
    const results: [boolean, string][] = []
    for (const message of last?.messages ?? []) {
      for (const block of Array.isArray(message.content) ? message.content : []) {
        if (block.type !== 'tool_result') continue
        const text = typeof block.content === 'string' ? block.content : (block.content ?? []).map((item: { text?: string }) => item.text ?? '').join('')
        results.push([Boolean(block.is_error), text])
      }
    }
    const files = Object.fromEntries(['theirs', 'mine', 'free'].map((name) => [name, readFileSync(join(project, 'src', `${name}.ts`), 'utf8')])) as GuardRun['files']
    return { files, results, ...run }
  } finally {
    holder.kill()
    await standIn.close()
  }
}

export const EDITED = 'export const value = 2\n'
export { ORIGINAL }
