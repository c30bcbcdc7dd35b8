import * as v from 'valibot'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { projectIdentity } from '../../storage/projects.js'
import { cliScriptPath } from '../core/cli-path.js'
import {
  assertServerName,
  buildServerEntry,
  clientEntry,
  CLIENTS,
  detectClients,
  installClientConfig,
  resolveConfigTarget,
  uninstallClientConfig,
  type Client,
  type ConfigReport,
  type ConfigTarget,
  type Scope,
  type ServerEntry,
} from './client-configs.js'
import { projectConfigFile } from './clients.js'
import { isPublished } from './_npm-published.js'
import { isLockstepError, LockstepError } from '../errors.js'
import { didYouMean } from '../core/suggest.js'
import { resolveSettings, type SettingsFlags } from '../state/settings.js'
import { parseInput } from '../core/validate.js'
import { packageVersion } from '../core/version.js'

export type TargetAction = 'written' | 'unchanged' | 'removed' | 'not found' | 'failed'

export interface TargetResult {
  client: Client
  scope: Scope
  file: string
  action: TargetAction
  entry: Record<string, unknown> | null
  replaced: string[]
  warnings: string[]
  notes: string[]
  error?: { code: string; message: string }
}

export interface InstallResult {
  command: 'install' | 'uninstall'
  name: string
  dryRun: boolean
  /** How the clients were chosen: named with flags, all of them, those found here, or the default two when none was found. */
  selection: 'named' | 'all' | 'found' | 'default'
  targets: TargetResult[]
}

/** Where the CLI runs: its environment and working folder; `home` and `nodePath` default to this process's. */
export interface InstallHost {
  env: NodeJS.ProcessEnv
  cwd: string
  home?: string
  nodePath?: string
  cliPath?: string
  platform?: NodeJS.Platform
}

/** The server flags that install copies into an entry's args, in the order of the settings table (docs/cli.md#settings). */
const COPIED_FLAGS = [
  ['dataDir', '--data-dir'],
  ['logDir', '--log-dir'],
  ['mode', '--mode'],
  ['roots', '--roots'],
  ['commandMode', '--command-mode'],
  ['commandAllow', '--command-allow'],
  ['tools', '--tools'],
  ['leaseTtl', '--lease-ttl'],
  ['grace', '--grace'],
  ['claudeCmd', '--claude-cmd'],
  ['codexCmd', '--codex-cmd'],
] as const

const DENIED = new Set(['EACCES', 'EPERM', 'EROFS'])
const flag = () => v.optional(v.boolean(), false)
const Targets = {
  all: flag(),
  claude: flag(),
  codex: flag(),
  clients: v.optional(v.array(v.string()), []),
  scope: v.optional(v.picklist(['user', 'project'], 'expected --scope user or --scope project'), 'user'),
  name: v.optional(v.string(), 'lockstep-mcp'),
  dir: v.optional(v.string()),
  config: v.optional(v.pipe(v.string(), v.minLength(1, 'expected a file path after --config'))),
  dryRun: flag(),
}
const UninstallInput = v.object(Targets)
const InstallInput = v.object({
  ...Targets,
  npx: flag(),
  url: v.optional(v.string()),
  token: v.optional(v.string()),
  flags: v.optional(v.record(v.string(), v.optional(v.string())), {}),
})

/** Register the server with the selected clients (docs/cli.md#install); each target succeeds or fails on its own. Throws INVALID_INPUT, NOT_FOUND. */
export async function installClients(raw: unknown, host: InstallHost): Promise<InstallResult> {
  const input = parseInput(InstallInput, raw)
  assertServerName(input.name)
  const flags = input.flags as SettingsFlags
  const { settings } = resolveSettings(flags, host.env, host.cwd, packageVersion())
  const given: [string, string][] = []
  for (const [key, name] of COPIED_FLAGS) {
    const value = flags[key]
    if (value === undefined) continue
    // paths are written resolved: the client starts the server in a folder of its own choosing
    if (key === 'dataDir') given.push([name, settings.dataDir])
    else if (key === 'logDir') given.push([name, settings.logDir])
    else if (key === 'roots') given.push([name, settings.roots.join(',')])
    else given.push([name, value])
  }
  const home = host.home ?? homedir()
  const entry: ServerEntry = buildServerEntry({
    scope: input.scope,
    version: packageVersion(),
    platform: host.platform ?? process.platform,
    home,
    nodePath: host.nodePath ?? process.execPath,
    cliPath: host.cliPath ?? cliScriptPath(),
    useNpx: input.npx,
    flags: given,
    lockstepHome: host.env.LOCKSTEP_HOME,
    ...(input.url !== undefined ? { url: input.url } : {}),
    ...(input.token !== undefined ? { token: input.token } : {}),
  })
  const { selection, targets: chosen } = configTargets(input, host, home, 'install')
  const npxWarning = await unpublishedWarning(entry, host, input.scope)
  const targets = await Promise.all(
    chosen.map(async (target) => {
      const intended = clientEntry(target.client, entry)
      return settle(target, intended, () => installClientConfig({ target, name: input.name, entry, dryRun: input.dryRun }))
    }),
  )
  if (npxWarning) for (const target of targets) if (target.action !== 'failed') target.warnings.push(npxWarning)
  return { command: 'install', name: input.name, dryRun: input.dryRun, selection, targets }
}

/** Remove the server from the selected clients (docs/cli.md#uninstall). Throws INVALID_INPUT, NOT_FOUND. */
export async function uninstallClients(raw: unknown, host: InstallHost): Promise<InstallResult> {
  const input = parseInput(UninstallInput, raw)
  assertServerName(input.name)
  const home = host.home ?? homedir()
  const { selection, targets: chosen } = configTargets(input, host, home, 'uninstall')
  const targets = await Promise.all(chosen.map((target) => settle(target, null, () => uninstallClientConfig({ target, name: input.name, dryRun: input.dryRun }))))
  return { command: 'uninstall', name: input.name, dryRun: input.dryRun, selection, targets }
}

/**
 * An npx entry names `lockstep-mcp@<version>`, which cannot start until that version is on the registry (a source
 * checkout is usually ahead of it): say so, and name the entry that works on this machine.
 */
async function unpublishedWarning(entry: ServerEntry, host: InstallHost, scope: Scope): Promise<string | null> {
  if (entry.transport !== 'stdio' || entry.launch !== 'npx') return null
  const version = packageVersion()
  const published = await isPublished(version, host.env)
  if (published === 'yes') return null
  const cli = host.cliPath ?? cliScriptPath()
  const here = `\`${host.nodePath ?? process.execPath} ${cli} server\``
  const instead =
    scope === 'project'
      ? `until it is published, register this checkout per user with 'lockstep-mcp install --scope user', which runs ${here}`
      : `leave out --npx to write the entry that works here: ${here}`
  const state = published === 'no' ? `is not on the npm registry` : `could not be checked on the npm registry (offline?)`
  return `lockstep-mcp@${version} ${state}, so 'npx -y lockstep-mcp@${version}' cannot start the server yet; ${instead}.`
}

/** Exit code of install/uninstall: 1 when any target failed (docs/cli.md#exit-codes). */
export function installExitCode(result: InstallResult): 0 | 1 {
  return result.targets.some((target) => target.action === 'failed') ? 1 : 0
}

const DEFAULT_CLIENTS: Client[] = ['claude', 'codex']

type TargetsInput = { all: boolean; claude: boolean; codex: boolean; clients: string[]; scope: Scope; dir?: string | undefined; config?: string | undefined }

/**
 * The files to edit. Named clients (`--client`, `--claude`, `--codex`) win; `--all` takes every client; otherwise the
 * clients found on this machine (install) or holding a file (uninstall), and Claude Code and Codex when none is.
 */
function configTargets(input: TargetsInput, host: InstallHost, home: string, command: 'install' | 'uninstall'): { selection: InstallResult['selection']; targets: ConfigTarget[] } {
  const platform = host.platform ?? process.platform
  if (input.config !== undefined) {
    return { selection: 'named', targets: [resolveConfigTarget({ client: 'claude', scope: input.scope, home, env: host.env, config: resolve(host.cwd, input.config) })] }
  }
  const projectRoot = input.scope === 'project' ? projectIdentity(resolve(host.cwd, input.dir ?? '.')) : undefined
  const named = [...new Set([...input.clients.map(parseClient), ...(input.claude ? ['claude' as const] : []), ...(input.codex ? ['codex' as const] : [])])]
  const scoped = (clients: readonly Client[]) => (projectRoot ? clients.filter((client) => projectConfigFile(client, projectRoot) !== null) : [...clients])
  let selection: InstallResult['selection']
  let clients: Client[]
  if (named.length > 0) [selection, clients] = ['named', named]
  else if (input.all) [selection, clients] = ['all', scoped(CLIENTS)]
  else {
    const found = scoped(detectClients({ home, env: host.env, platform }))
    const withFile = command === 'uninstall' ? scoped(CLIENTS).filter((client) => existsSync(fileOf(client, input.scope, home, host, projectRoot))) : []
    const chosen = CLIENTS.filter((client) => found.includes(client) || withFile.includes(client))
    ;[selection, clients] = chosen.length > 0 ? ['found', chosen] : ['default', DEFAULT_CLIENTS]
  }
  const targets = clients.map((client) => resolveConfigTarget({ client, scope: input.scope, home, env: host.env, platform, ...(projectRoot ? { projectRoot } : {}) }))
  return { selection, targets }
}

function fileOf(client: Client, scope: Scope, home: string, host: InstallHost, projectRoot: string | undefined): string {
  return resolveConfigTarget({ client, scope, home, env: host.env, platform: host.platform ?? process.platform, ...(projectRoot ? { projectRoot } : {}) }).file
}

/** A client name as given to --client. Throws INVALID_INPUT naming the close ones. */
function parseClient(name: string): Client {
  const client = name.toLowerCase()
  if ((CLIENTS as readonly string[]).includes(client)) return client as Client
  throw new LockstepError('INVALID_INPUT', `unknown client '${name}'${didYouMean(client, CLIENTS)}; the clients are ${CLIENTS.join(', ')}.`, { client: name })
}

async function settle(target: ConfigTarget, intended: Record<string, unknown> | null, run: () => Promise<ConfigReport>): Promise<TargetResult> {
  const { client, scope, file } = target
  try {
    const report = await run()
    return { client, scope, file, action: report.action, entry: report.entry, replaced: report.replaced, warnings: report.warnings, notes: report.notes }
  } catch (error) {
    const failure = isLockstepError(error)
      ? { code: error.code, message: error.message }
      : { code: DENIED.has((error as NodeJS.ErrnoException)?.code ?? '') ? 'FORBIDDEN' : 'INTERNAL', message: `${file}: ${(error as Error)?.message ?? String(error)}; the file was not changed.` }
    return { client, scope, file, action: 'failed', entry: intended, replaced: [], warnings: [], notes: [], error: failure }
  }
}
