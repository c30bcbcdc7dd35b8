// The real Gemini CLI, headless (`gemini -p --yolo`), against the Gemini API stand-in: a trusted project set up by
// `lockstep-mcp init` (its .gemini/settings.json BeforeTool hook), the lockstep server from the user settings that
// `lockstep-mcp install --client gemini` wrote, and another agent (test/support/lock-holder.mjs) holding src/theirs.ts.
// The scripted model registers, locks src/mine.ts, then edits with replace and write_file. The guard must refuse both
// tools on the file the other agent holds, and the refusal must reach the model as those calls' results.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { runHeadless } from './run-headless.js'
import { EDITED, ORIGINAL, type GuardRun } from './claude-guard.js'
import { startGeminiStandIn } from './gemini-stand-in.js'

export async function runGeminiGuard(gemini: string, project: string, env: Record<string, string>): Promise<GuardRun> {
  mkdirSync(join(project, 'src'), { recursive: true })
  for (const name of ['theirs', 'mine', 'free']) writeFileSync(join(project, 'src', `${name}.ts`), ORIGINAL)
  // Gemini CLI runs a project's hooks and servers only in a folder it trusts
  const trusted = join(env.HOME!, '.gemini', 'trustedFolders.json')
  writeFileSync(trusted, `${JSON.stringify({ ...JSON.parse(readFileSync(trusted, 'utf8')), [project]: 'TRUST_FOLDER' })}\n`)
  // the API key's auth, pointed at the stand-in by GOOGLE_GEMINI_BASE_URL (without a selected type that variable
  // alone picks a gateway auth this version's headless check refuses)
  const settings = join(env.HOME!, '.gemini', 'settings.json')
  const user = JSON.parse(readFileSync(settings, 'utf8')) as Record<string, unknown>
  writeFileSync(settings, `${JSON.stringify({ ...user, security: { auth: { selectedType: 'gemini-api-key' } }, privacy: { usageStatisticsEnabled: false } })}\n`)
  const file = (name: string) => join(project, 'src', `${name}.ts`)
  const replace = (name: string) => ({ tool: 'replace', input: { file_path: file(name), instruction: 'Set the value to 2.', old_string: 'value = 1', new_string: 'value = 2' } })
  const standIn = await startGeminiStandIn([
    { tool: '_coordination_init', input: { role: 'implementer', name: 'gemini-1' } },
    { tool: '_lock_acquire', input: { path: 'src/mine.ts' } },
    replace('theirs'),
    { tool: 'write_file', input: { file_path: file('theirs'), content: EDITED } },
    replace('mine'),
    { tool: 'write_file', input: { file_path: file('free'), content: EDITED } },
    { text: 'Done.' },
  ])
  const holder = spawn(process.execPath, [join(import.meta.dirname, '..', 'support', 'lock-holder.mjs'), 'impl-1', 'src/theirs.ts'], { cwd: project, env, stdio: ['pipe', 'pipe', 'inherit'] })
  try {
    const ready = await createInterface({ input: holder.stdout! })[Symbol.asyncIterator]().next()
    if (!String(ready.value).startsWith('ready')) throw new Error('the lock holder did not start')
    const run = await runHeadless(gemini, ['-p', 'Edit the three files.', '--yolo', '--output-format', 'json', '--model', 'gemini-2.5-flash'], {
      cwd: project,
      env: { ...env, GOOGLE_GEMINI_BASE_URL: standIn.url, GEMINI_API_KEY: 'stand-in' },
    })
    const results: [boolean, string][] = []
    for (const content of standIn.turns.at(-1)?.contents ?? []) {
      for (const part of content.parts ?? []) {
        const { name, response } = part.functionResponse ?? {}
        if (response) results.push([response.error !== undefined, `${name} ${JSON.stringify(response)}`])
      }
    }
    const files = Object.fromEntries(['theirs', 'mine', 'free'].map((name) => [name, readFileSync(file(name), 'utf8')])) as GuardRun['files']
    return { files, results, ...run }
  } finally {
    holder.kill()
    await standIn.close()
  }
}
