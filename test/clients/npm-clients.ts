// Installs pinned releases of the clients whose CLIs come from the npm registry (Gemini CLI, Copilot CLI, opencode)
// into .cache/npm-clients and checks, with a scratch HOME, that each one's own MCP listing shows what
// `lockstep-mcp install --client <name>` wrote: Gemini and opencode start the server and report it connected; Copilot
// CLI lists it enabled (its listing does not connect without a login), and its command then answers tools/list.
// Then Gemini CLI runs headless against a scripted Gemini API stand-in on 127.0.0.1 in a project set up by
// `lockstep-mcp init`: its replace and write_file of a file another agent holds are refused by the guard, its own
// locked file and an unlocked one change.
// Prints SKIP (exit 0) only when the registry cannot be reached and nothing is cached; any other failure exits 1.
import { spawn } from 'node:child_process'
import { removeTree } from '../support/remove-tree.js'
import { existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { ROOT } from '../support/helpers.js'
import { EDITED, ORIGINAL } from './claude-guard.js'
import { runGeminiGuard } from './gemini-guard.js'

/** The versions verified; bump them together with a run of this script. */
export const PINNED = { '@google/gemini-cli': '0.61.0', '@github/copilot': '1.0.102', 'opencode-ai': '1.18.33' } as const

const CACHE = join(ROOT, '.cache', 'npm-clients')
const BIN = join(CACHE, 'node_modules', '.bin')
const CLI = join(ROOT, 'dist', 'cli.js')
const OFFLINE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network|timed out/i
// opencode colours its listing even without a terminal
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

let failures = 0
function expect(condition: unknown, what: string, details?: Run | string): void {
  if (condition) return void console.log(`ok    ${what}`)
  failures += 1
  const text = typeof details === 'string' ? details : details ? `exit ${details.code}\nstdout:\n${details.stdout}\nstderr:\n${details.stderr}` : ''
  console.log(`FAIL  ${what}${text ? `\n${text}` : ''}`)
}

async function main(): Promise<number> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing; run npm run build first`)
  const bins = { gemini: join(BIN, 'gemini'), copilot: join(BIN, 'copilot'), opencode: join(BIN, 'opencode') }
  if (!Object.values(bins).every((bin) => existsSync(bin))) {
    mkdirSync(CACHE, { recursive: true })
    const specs = Object.entries(PINNED).map(([name, version]) => `${name}@${version}`)
    const installed = await run('npm', ['install', '--prefix', CACHE, '--no-audit', '--no-fund', ...specs], CACHE, process.env, 600_000)
    if (installed.code !== 0 && OFFLINE.test(installed.stderr)) {
      console.log('SKIP  the npm registry is unreachable and .cache/npm-clients holds no clients')
      return 0
    }
    expect(installed.code === 0, `npm install ${specs.join(' ')}`, installed)
    if (installed.code !== 0) return 1
  }
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'lockstep-npm-clients-')))
  try {
    const home = join(scratch, 'home')
    const project = join(scratch, 'project')
    mkdirSync(project, { recursive: true })
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, USERPROFILE: home, LOCKSTEP_HOME: join(home, '.lockstep-mcp'), NO_COLOR: '1' }
    for (const [name, bin] of Object.entries(bins)) {
      const version = await run(bin, ['--version'], project, env)
      expect(version.code === 0, `${name} --version: ${version.stdout.trim().split('\n')[0]}`, version)
    }
    const install = await run(process.execPath, [CLI, 'install', '--client', 'gemini', '--client', 'copilot', '--client', 'opencode'], project, env)
    expect(install.code === 0, 'lockstep-mcp install --client gemini --client copilot --client opencode', install)

    // Gemini CLI suppresses every server in a folder it has not been told to trust
    writeFileSync(join(home, '.gemini', 'trustedFolders.json'), `${JSON.stringify({ [project]: 'TRUST_FOLDER' })}\n`)
    const gemini = await run(bins.gemini, ['mcp', 'list'], project, env)
    expect(/lockstep-mcp: .*dist\/cli\.js server .*Connected/.test(plain(gemini.stdout + gemini.stderr)), 'gemini mcp list: lockstep-mcp Connected', gemini)

    // the edit guard, in the real Gemini CLI with the BeforeTool hook `lockstep-mcp init` installs and the server above
    const guarded = join(scratch, 'guarded')
    mkdirSync(guarded)
    const init = await run(process.execPath, [CLI, 'init'], guarded, env)
    expect(init.code === 0, 'lockstep-mcp init installs the guards (Gemini project)', init)
    const guard = await runGeminiGuard(bins.gemini, guarded, env)
    const shown = `exit ${guard.exit}\nfiles ${JSON.stringify(guard.files)}\nresults ${JSON.stringify(guard.results, null, 1)}\n${guard.output}`
    const refused = (tool: string) => guard.results.some(([isError, text]) => isError && text.startsWith(`${tool} `) && text.includes('impl-1') && text.includes('src/theirs.ts'))
    expect(guard.exit === 0, 'gemini -p runs the scripted session to its end', shown)
    const answered = (tool: string) => guard.results.some(([isError, text]) => !isError && text.startsWith(`mcp_lockstep-mcp_${tool} `))
    expect(answered('coordination_init') && answered('lock_acquire'), 'Gemini: the session registers and locks src/mine.ts through mcp_lockstep-mcp_* tools', shown)
    expect(guard.files.theirs === ORIGINAL, 'Gemini: replace and write_file of the file another agent holds are refused: the file is unchanged', shown)
    expect(refused('replace') && refused('write_file'), "Gemini: each refusal, naming the path and the holder, reaches the model as that call's result", shown)
    expect(guard.files.mine === EDITED, 'Gemini: the replace of the file the session locked itself goes through', shown)
    expect(guard.files.free === EDITED, 'Gemini: the write_file of an unlocked file goes through', shown)

    const opencode = await run(bins.opencode, ['mcp', 'list'], project, env)
    expect(/lockstep-mcp\s+connected/.test(plain(opencode.stdout + opencode.stderr)), 'opencode mcp list: lockstep-mcp connected', opencode)

    const copilot = await run(bins.copilot, ['mcp', 'get', 'lockstep-mcp', '--json'], project, env)
    const entry = copilot.code === 0 ? (JSON.parse(copilot.stdout) as Record<string, { command: string; args: string[]; enabled: boolean; tools: string[] }>)['lockstep-mcp'] : undefined
    expect(entry?.enabled === true && entry.tools.includes('*'), 'copilot mcp get lockstep-mcp: enabled, all tools', copilot)
    if (entry) expect(await answersToolsList(entry.command, entry.args, env, project), "copilot's entry starts the server and answers tools/list")

    const uninstall = await run(process.execPath, [CLI, 'uninstall', '--client', 'gemini', '--client', 'copilot', '--client', 'opencode'], project, env)
    expect(uninstall.code === 0, 'lockstep-mcp uninstall', uninstall)
    const after = await run(bins.gemini, ['mcp', 'list'], project, env)
    expect(!/lockstep-mcp/.test(after.stdout + after.stderr), 'gemini mcp list no longer shows lockstep-mcp', after)
    return failures ? 1 : 0
  } finally {
    await removeTree(scratch)
  }
}

async function answersToolsList(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<boolean> {
  const client = new Client({ name: 'npm-clients', version: '1.0.0' })
  await client.connect(new StdioClientTransport({ command, args, env: env as Record<string, string>, cwd, stderr: 'ignore' }))
  try {
    return (await client.listTools()).tools.some((tool) => tool.name === 'coordination_init')
  } finally {
    await client.close()
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error((error as Error)?.stack ?? String(error))
    process.exitCode = 1
  },
)
