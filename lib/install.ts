import * as v from 'valibot'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { projectIdentity } from '../storage/projects.js'
import {
  assertServerName, buildServerEntry, claudeEntry, codexEntry, installClientConfig, resolveConfigTarget, uninstallClientConfig,
  type Client, type ConfigReport, type ConfigTarget, type Scope, type ServerEntry,
} from './client-configs.js'
import { isLockstepError } from './errors.js'
import { resolveSettings, type SettingsFlags } from './settings.js'
import { parseInput } from './validate.js'
import { packageVersion } from './version.js'

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

/** The flags of CLI §3 that are copied into an entry's args, in the order of the settings table. */
export const COPIED_FLAGS = [
  ['dataDir', '--data-dir'], ['logDir', '--log-dir'], ['mode', '--mode'], ['roots', '--roots'], ['commandMode', '--command-mode'],
  ['commandAllow', '--command-allow'], ['tools', '--tools'], ['leaseTtl', '--lease-ttl'], ['grace', '--grace'],
  ['claudeCmd', '--claude-cmd'], ['codexCmd', '--codex-cmd'],
] as const

const DENIED = new Set(['EACCES', 'EPERM', 'EROFS'])
const flag = () => v.optional(v.boolean(), false)
const Targets = {
  all: flag(),
  claude: flag(),
  codex: flag(),
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

/** Register the server with the selected clients (CLI §3); each target succeeds or fails on its own. Throws INVALID_INPUT, NOT_FOUND. */
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
  const targets = await Promise.all(
    configTargets(input, host, home).map(async (target) => {
      const intended = target.client === 'claude' ? claudeEntry(entry) : codexEntry(entry)
      return settle(target, intended, () => installClientConfig({ target, name: input.name, entry, dryRun: input.dryRun }))
    }),
  )
  return { command: 'install', name: input.name, dryRun: input.dryRun, targets }
}

/** Remove the server from the selected clients (CLI §4). Throws INVALID_INPUT, NOT_FOUND. */
export async function uninstallClients(raw: unknown, host: InstallHost): Promise<InstallResult> {
  const input = parseInput(UninstallInput, raw)
  assertServerName(input.name)
  const home = host.home ?? homedir()
  const targets = await Promise.all(
    configTargets(input, host, home).map((target) =>
      settle(target, null, () => uninstallClientConfig({ target, name: input.name, dryRun: input.dryRun })),
    ),
  )
  return { command: 'uninstall', name: input.name, dryRun: input.dryRun, targets }
}

/** Exit code of install/uninstall: 1 when any target failed (CLI §3, §4). */
export function installExitCode(result: InstallResult): 0 | 1 {
  return result.targets.some((target) => target.action === 'failed') ? 1 : 0
}

/**
 * The absolute path of `dist/cli.js` of this package, whether it runs built (`dist/lib/install.js`) or from source
 * (`lib/install.ts`). From source the file exists only after a build, and install's existence check says so.
 */
export function cliScriptPath(): string {
  for (const up of ['../', '../../']) {
    const dir = fileURLToPath(new URL(up, import.meta.url))
    const manifest = join(dir, 'package.json')
    if (!existsSync(manifest)) continue
    try {
      if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'lockstep-mcp') return join(dir, 'dist', 'cli.js')
    } catch {
      // not our manifest; keep looking
    }
  }
  return fileURLToPath(new URL('../cli.js', import.meta.url))
}

function configTargets(
  input: { all: boolean; claude: boolean; codex: boolean; scope: Scope; dir?: string | undefined; config?: string | undefined },
  host: InstallHost,
  home: string,
): ConfigTarget[] {
  const clients: Client[] = input.all || (!input.claude && !input.codex) ? ['claude', 'codex'] : [
    ...(input.claude ? ['claude' as const] : []),
    ...(input.codex ? ['codex' as const] : []),
  ]
  const projectRoot = input.scope === 'project' && input.config === undefined ? projectIdentity(resolve(host.cwd, input.dir ?? '.')) : undefined
  if (input.config !== undefined) {
    return [resolveConfigTarget({ client: 'claude', scope: input.scope, home, env: host.env, config: resolve(host.cwd, input.config) })]
  }
  return clients.map((client) => resolveConfigTarget({ client, scope: input.scope, home, env: host.env, ...(projectRoot ? { projectRoot } : {}) }))
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
