// The real Codex CLI, headless (`codex exec`), against the Responses stand-in: a trusted project set up by
// `lockstep-mcp init` (its .codex/hooks.json), impl-1 holding src/theirs.ts and codex-1 holding src/mine.ts (each a
// lock-holder process). Codex runs as codex-1, named by LOCKSTEP_AGENT_NAME as our launchers name it: the scripted
// model's stand-in offers MCP tools only behind Codex's tool search, so the session does not register itself here.
// Three apply_patch calls follow; the guard must refuse exactly the one on the file impl-1 holds.
import { runHeadless } from './run-headless.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ORIGINAL, type GuardRun } from './claude-guard.js'
import { startResponsesStandIn } from './responses-stand-in.js'

const patch = (name: string) => `*** Begin Patch\n*** Update File: src/${name}.ts\n@@\n-export const value = 1\n+export const value = 2\n*** End Patch\n`

async function holder(project: string, env: Record<string, string>, name: string, path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'support', 'lock-holder.mjs'), name, path], { cwd: project, env, stdio: ['pipe', 'pipe', 'inherit'] })
  const ready = await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()
  if (!String(ready.value).startsWith('ready')) throw new Error(`the lock holder ${name} did not start`)
  return child
}

export async function runCodexGuard(codex: string, project: string, env: Record<string, string>): Promise<GuardRun> {
  mkdirSync(join(project, 'src'), { recursive: true })
  for (const name of ['theirs', 'mine', 'free']) writeFileSync(join(project, 'src', `${name}.ts`), ORIGINAL)
  const standIn = await startResponsesStandIn([
    { tool: 'apply_patch', input: { patch: patch('theirs') } },
    { tool: 'apply_patch', input: { patch: patch('mine') } },
    { tool: 'apply_patch', input: { patch: patch('free') } },
    { text: 'Done.' },
  ])
  const codexHome = env.CODEX_HOME!
  mkdirSync(codexHome, { recursive: true })
  // top-level keys go first: appended after a table header they would belong to that table
  const configFile = join(codexHome, 'config.toml')
  const before = existsSync(configFile) ? readFileSync(configFile, 'utf8') : ''
  const top = ['model = "gpt-5.5"', 'model_provider = "standin"', '']
  const tables = [
    '',
    '[model_providers.standin]',
    'name = "standin"',
    `base_url = "${standIn.url}"`,
    'wire_api = "responses"',
    'env_key = "STANDIN_KEY"',
    `[projects.${JSON.stringify(project)}]`,
    'trust_level = "trusted"',
    '',
  ]
  writeFileSync(configFile, [...top, before, ...tables].join('\n'))
  const holders = [await holder(project, env, 'impl-1', 'src/theirs.ts'), await holder(project, env, 'codex-1', 'src/mine.ts')]
  try {
    const run = await runHeadless(codex, ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', '--dangerously-bypass-hook-trust', 'Edit the three files.'], {
      cwd: project,
      env: { ...env, STANDIN_KEY: 'stand-in', LOCKSTEP_AGENT_NAME: 'codex-1' },
    })
    const results: [boolean, string][] = []
    for (const item of standIn.turns.at(-1)?.input ?? []) {
      if (item.type !== 'custom_tool_call_output' && item.type !== 'function_call_output') continue
      const text = typeof item.output === 'string' ? item.output : JSON.stringify(item.output)
      results.push([/blocked|refused|LOCKED/i.test(text), text])
    }
    const files = Object.fromEntries(['theirs', 'mine', 'free'].map((name) => [name, readFileSync(join(project, 'src', `${name}.ts`), 'utf8')])) as GuardRun['files']
    return { files, results, ...run }
  } finally {
    for (const child of holders) child.kill()
    await standIn.close()
  }
}
