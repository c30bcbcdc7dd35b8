// Installs the real Claude Code and Codex CLIs (pinned below) into .cache/clients and checks, with a scratch HOME and
// CODEX_HOME, that they accept the entries `lockstep-mcp install` writes: `claude mcp list` must report the server
// Connected and `codex mcp get` must show the entry, whose command must then answer tools/list. Then Claude Code runs
// headless against a scripted model stand-in on 127.0.0.1 in a project set up by `lockstep-mcp init`: its edit of a
// file another agent holds is refused by the guard, its own locked file and an unlocked one change; then Codex
// (`codex exec`) against a Responses API stand-in, with apply_patch. Prints SKIP
// (exit 0) only when the registry cannot be reached and no cached clients exist; any other failure exits 1.
import { spawn } from 'node:child_process'
import { removeTree } from '../support/remove-tree.js'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { ROOT } from '../support/helpers.js'
import { runClaudeToolLists } from './claude-tool-lists.js'
import { runCodexToolLists } from './codex-tool-lists.js'
import { EDITED, ORIGINAL, runClaudeGuard } from './claude-guard.js'
import { runCodexGuard } from './codex-guard.js'

const CACHE = join(ROOT, '.cache', 'clients')
const BIN = join(CACHE, 'node_modules', '.bin')
const CLI = join(ROOT, 'dist', 'cli.js')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
// the versions whose configuration and hook formats lockstep writes, checked by this script
const CLAUDE_CODE = '@anthropic-ai/claude-code@2.1.332'
const CODEX = '@openai/codex@0.171.0'
const OFFLINE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network|socket hang up|timed out/i

interface Run {
  code: number | null
  stdout: string
  stderr: string
  timedOut: boolean
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, options.timeoutMs ?? 90_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, timedOut })
    })
  })
}

class Failure extends Error {}

function expect(condition: unknown, what: string, details: Run | string = ''): void {
  if (condition) return void console.log(`ok    ${what}`)
  const text = typeof details === 'string' ? details : `exit ${details.code}${details.timedOut ? ' (timed out)' : ''}\nstdout:\n${details.stdout}\nstderr:\n${details.stderr}`
  throw new Failure(`FAIL  ${what}\n${text}`)
}

/** The clients' bins, installed into the cache when missing. Returns null when the registry cannot be reached. */
async function ensureClients(): Promise<{ claude: string; codex: string } | null> {
  const bins = { claude: join(BIN, 'claude'), codex: join(BIN, 'codex') }
  const pinned = (pkg: string) => {
    const [name, version] = [pkg.slice(0, pkg.lastIndexOf('@')), pkg.slice(pkg.lastIndexOf('@') + 1)]
    try {
      return (JSON.parse(readFileSync(join(CACHE, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version === version
    } catch {
      return false
    }
  }
  if (existsSync(bins.claude) && existsSync(bins.codex) && pinned(CLAUDE_CODE) && pinned(CODEX)) return bins
  mkdirSync(CACHE, { recursive: true })
  // one quick request first, so an offline machine skips in seconds rather than after npm's retries
  const probe = await run(NPM, ['view', '@openai/codex', 'version', '--fetch-retries=0', '--fetch-timeout=20000'], { cwd: CACHE, env: process.env, timeoutMs: 60_000 })
  if (probe.code !== 0 && (probe.timedOut || OFFLINE.test(probe.stderr))) return null
  const installed = await run(NPM, ['install', '--prefix', CACHE, '--no-audit', '--no-fund', CLAUDE_CODE, CODEX], {
    cwd: CACHE,
    env: process.env,
    timeoutMs: 300_000,
  })
  if (installed.code !== 0 && (installed.timedOut || OFFLINE.test(installed.stderr))) return null
  expect(installed.code === 0, `npm install ${CLAUDE_CODE} ${CODEX}`, installed)
  return bins
}

async function startsServer(command: string, args: string[], env: Record<string, string>, cwd: string): Promise<boolean> {
  const client = new Client({ name: 'real-clients', version: '1.0.0' })
  await client.connect(new StdioClientTransport({ command, args, env, cwd, stderr: 'ignore' }))
  try {
    return (await client.listTools()).tools.some((tool) => tool.name === 'coordination_init')
  } finally {
    await client.close()
  }
}

async function main(): Promise<number> {
  if (!existsSync(CLI)) throw new Failure(`FAIL  ${CLI} is missing; run npm run build first`)
  const bins = await ensureClients()
  if (!bins) {
    console.log('SKIP  real-client checks: the npm registry is unreachable and .cache/clients holds no clients')
    return 0
  }
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'lockstep-clients-')))
  try {
    const home = join(scratch, 'home')
    const project = join(scratch, 'project')
    mkdirSync(home)
    mkdirSync(project)
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      USERPROFILE: home,
      CODEX_HOME: join(home, '.codex'),
      LOCKSTEP_HOME: join(home, '.lockstep-mcp'),
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    }
    const lockstep = (args: string[]) => run(process.execPath, [CLI, ...args], { cwd: project, env })
    for (const [name, bin] of Object.entries(bins)) {
      const version = await run(bin, ['--version'], { cwd: project, env })
      expect(version.code === 0, `${name} --version: ${version.stdout.trim()}`, version)
    }

    // user scope: the permanent entry (this node + this checkout's dist/cli.js)
    expect((await lockstep(['install'])).code === 0, 'lockstep-mcp install (user scope, both clients)')
    const userList = await run(bins.claude, ['mcp', 'list'], { cwd: project, env })
    expect(/^lockstep-mcp:.*Connected/m.test(userList.stdout), 'claude mcp list: lockstep-mcp (user scope) Connected', userList)
    const userGet = await run(bins.codex, ['mcp', 'get', 'lockstep-mcp', '--json'], { cwd: project, env })
    expect(userGet.code === 0, 'codex mcp get lockstep-mcp (user scope)', userGet)
    const transport = (JSON.parse(userGet.stdout) as { transport: { command: string; args: string[] } }).transport
    expect(transport.command === process.execPath && transport.args.join(' ') === `${CLI} server`, 'codex shows the entry install wrote', userGet)
    expect(await startsServer(transport.command, transport.args, env, project), "codex's entry starts the server and answers tools/list")
    expect((await lockstep(['uninstall'])).code === 0, 'lockstep-mcp uninstall (user scope)')

    // project scope: `npx -y lockstep-mcp@<version> server`, resolved from the project's own install of the tarball
    const packed = await run(NPM, ['pack', '--ignore-scripts', '--pack-destination', scratch], { cwd: ROOT, env: process.env, timeoutMs: 120_000 })
    expect(packed.code === 0, 'npm pack', packed)
    writeFileSync(join(project, 'package.json'), '{"name": "scratch-project", "private": true}\n')
    const tarball = join(scratch, packed.stdout.trim().split('\n').at(-1)!)
    const local = await run(NPM, ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: project, env: process.env, timeoutMs: 300_000 })
    expect(local.code === 0, 'npm install <tarball> into the project', local)
    expect((await lockstep(['install', '--scope', 'project'])).code === 0, 'lockstep-mcp install --scope project')
    const pending = await run(bins.claude, ['mcp', 'list'], { cwd: project, env })
    expect(/^lockstep-mcp:/m.test(pending.stdout) && !/^lockstep-mcp:.*Connected/m.test(pending.stdout), 'claude mcp list: the project server waits for approval', pending)
    mkdirSync(join(home, '.claude'), { recursive: true })
    writeFileSync(join(home, '.claude', 'settings.json'), '{"enableAllProjectMcpServers": true}\n')
    const projectList = await run(bins.claude, ['mcp', 'list'], { cwd: project, env })
    expect(/^lockstep-mcp:.*npx.*Connected/m.test(projectList.stdout), 'claude mcp list: lockstep-mcp (project scope, approved) Connected', projectList)
    // Codex reads a project's .codex/config.toml only when the project is trusted
    appendFileSync(join(home, '.codex', 'config.toml'), `\n[projects.${JSON.stringify(project)}]\ntrust_level = "trusted"\n`)
    const projectGet = await run(bins.codex, ['mcp', 'get', 'lockstep-mcp', '--json'], { cwd: project, env })
    expect(projectGet.code === 0 && (JSON.parse(projectGet.stdout) as { transport: { command: string } }).transport.command === 'npx', 'codex mcp get lockstep-mcp (trusted project scope)', projectGet)

    // role-sized tool lists: `--tools auto` lists the core tools, then the role's after coordination_init
    const lists = join(scratch, 'lists')
    mkdirSync(lists)
    const claude = await runClaudeToolLists(bins.claude, CLI, lists, env)
    const claudeShown = `exit ${claude.exit}\nturns ${JSON.stringify(claude.turns)}\n${claude.output}`
    expect(claude.exit === 0, 'claude -p runs the scripted session against a --tools auto server', claudeShown)
    expect(claude.turns[0]?.length === 19 && !claude.turns[0].includes('file_write'), 'Claude Code offers the 19 core tools before coordination_init', claudeShown)
    expect(claude.turns[1]?.length === 30 && claude.turns[1].includes('file_write'), "the model's next turn offers the implementer's 30 tools: Claude Code follows tools/list_changed", claudeShown)
    const codex = await runCodexToolLists(bins.codex, CLI, lists, env)
    const codexShown = `exit ${codex.exit}\nturns ${JSON.stringify(codex.turns.map((names) => names.length))}\n${codex.output}`
    expect(codex.exit === 0 && codex.turns.length >= 3 && codex.turns[0].length === 19, 'codex exec runs the scripted session against a --tools auto server', codexShown)
    const follows = codex.turns.slice(2).some((names) => names.length === 30)
    console.log(
      `note  Codex ${follows ? 'follows' : 'does not follow'} tools/list_changed (tools per turn: ${codex.turns.map((names) => names.length).join(', ')}), so --tools auto ${follows ? 'can' : 'cannot yet'} be the default`,
    )
    for (const line of new Set([...claude.handshakes, ...codex.handshakes].map((item) => item.replace(/^\S+ \S+ \d+ /, '')))) console.log(`note  ${line}`)
    // the edit guard, in the real Claude Code with the hook `lockstep-mcp init` installs
    const guarded = join(scratch, 'guarded')
    mkdirSync(guarded)
    expect((await run(process.execPath, [CLI, 'init'], { cwd: guarded, env })).code === 0, 'lockstep-mcp init installs the guards')
    const guard = await runClaudeGuard(bins.claude, CLI, guarded, env)
    const shown = `exit ${guard.exit}\nfiles ${JSON.stringify(guard.files)}\nresults ${JSON.stringify(guard.results, null, 1)}\n${guard.output}`
    expect(guard.exit === 0, 'claude -p runs the scripted session to its end', shown)
    expect(guard.files.theirs === ORIGINAL, 'the Edit of the file another agent holds is refused: the file is unchanged', shown)
    expect(
      guard.results.some(([isError, text]) => isError && text.includes('impl-1') && text.includes('src/theirs.ts')),
      'the refusal, naming the path and the holder, reaches the model',
      shown,
    )
    expect(guard.files.mine === EDITED, 'the Edit of the file the session locked itself goes through', shown)
    expect(guard.files.free === EDITED, 'the Edit of an unlocked file goes through', shown)

    // the same with Codex: its hooks run headless in a trusted project once the hook itself is trusted; a new hook
    // needs review first, so `codex exec` gets --dangerously-bypass-hook-trust here
    const codexGuarded = join(scratch, 'codex-guarded')
    mkdirSync(codexGuarded)
    expect((await run(process.execPath, [CLI, 'init'], { cwd: codexGuarded, env })).code === 0, 'lockstep-mcp init installs the guards (Codex project)')
    const cg = await runCodexGuard(bins.codex, codexGuarded, env)
    const cgShown = `exit ${cg.exit}\nfiles ${JSON.stringify(cg.files)}\nresults ${JSON.stringify(cg.results, null, 1)}\n${cg.output}`
    expect(cg.exit === 0, 'codex exec runs the scripted session to its end', cgShown)
    expect(cg.files.theirs === ORIGINAL, 'Codex: the apply_patch of the file another agent holds is refused: the file is unchanged', cgShown)
    expect(
      cg.results.some(([, text]) => text.includes('impl-1') && text.includes('src/theirs.ts')),
      'Codex: the refusal, naming the path and the holder, reaches the model',
      cgShown,
    )
    expect(cg.files.mine === EDITED, "Codex: the apply_patch of codex-1's own locked file goes through", cgShown)
    expect(cg.files.free === EDITED, 'Codex: the apply_patch of an unlocked file goes through', cgShown)
    return 0
  } finally {
    await removeTree(scratch)
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error(error instanceof Failure ? error.message : ((error as Error)?.stack ?? String(error)))
    process.exitCode = 1
  },
)
