import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { claimStart, dropStart, passStart } from '../../lib/daemon/start-claim.js'
import { currentRuntime, daemonAddress, privateDir, probe, type DaemonAddress } from '../../lib/daemon/address.js'
import { packageVersion } from '../../lib/core/version.js'
import type { Settings, SettingsFlags } from '../../lib/state/settings.js'
import type { Logger } from '../log.js'

/** Seconds a shared server stays up with no session (LOCKSTEP_SHARED_IDLE), so that a restarted agent finds it warm. */
const DEFAULT_IDLE_SEC = 10

export function sharedAddress(settings: Settings): DaemonAddress {
  // the build's own version: --server-version only renames what a session reports
  return daemonAddress(settings.dataDir, currentRuntime(packageVersion()))
}

/**
 * Serve through the shared server of the data folder: relay this process's stdio to it, or, when none answers and no
 * other process is starting one, be it (the first agent starts as fast as one served alone). Resolves with the exit
 * code, or 'unavailable' when no shared server could be reached (the caller then serves in-process).
 */
export async function serveShared(
  settings: Settings,
  flags: SettingsFlags & Record<string, string | undefined>,
  logger: Logger,
  context: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<number | 'unavailable'> {
  const address = sharedAddress(settings)
  if (!privateDir(address.runDir) || !privateDir(address.socketDir)) {
    logger.log('warn', `${address.socketDir} is not this user's alone (mode 0700, owned by this user): no shared server`)
    return 'unavailable'
  }
  // no socket file: nobody serves (a look spares the first agent a connection attempt); else try it
  if (!existsSync(address.socketPath) || (await probe(address.socketPath)) !== 'connected') {
    if (claimStart(address.startingFile)) {
      const { runInProcess } = await import('./_in-process.js')
      return runInProcess(settings, logger, context.cwd, context.env, address)
    }
  }
  const env = Object.fromEntries(Object.entries(context.env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
  // loaded only by a relay: the first agent's start does not wait for it
  const { Relay } = await import('../../lib/daemon/relay.js')
  const relay = new Relay({
    stdin: process.stdin,
    stdout: process.stdout,
    address,
    hello: { version: packageVersion(), pid: process.pid, cwd: context.cwd, flags, env },
    startSharedServer: () => startShared(settings, address, context.env, logger),
    log: (level, message) => logger.log(level, message),
  })
  process.on('SIGINT', () => relay.stop())
  process.on('SIGTERM', () => relay.stop())
  return relay.run()
}

/** Start a detached shared server, unless another process is starting one (undefined: wait for it). */
function startShared(settings: Settings, address: DaemonAddress, env: NodeJS.ProcessEnv, logger: Logger): { failed(): boolean } | undefined {
  // the data folder was removed since this relay connected: there is nothing to serve, and it is not made again
  if (!existsSync(address.runDir)) return { failed: () => true }
  if (!claimStart(address.startingFile)) return undefined
  const idle = Number(env.LOCKSTEP_SHARED_IDLE) > 0 ? String(Number(env.LOCKSTEP_SHARED_IDLE)) : String(DEFAULT_IDLE_SEC)
  const args = [
    ...process.execArgv,
    process.argv[1]!,
    'server',
    '--shared-daemon',
    '--shared-idle',
    idle,
    '--data-dir',
    settings.dataDir,
    '--log-dir',
    settings.logDir,
    '--log-level',
    settings.logLevel,
  ]
  let failed = false
  const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore', env, cwd: address.runDir, windowsHide: true })
  child.once('error', (error) => {
    failed = true
    dropStart(address.startingFile)
    logger.log('warn', `could not start a shared server: ${error.message}`)
  })
  child.once('exit', (code) => {
    if (code) failed = true
  })
  child.unref()
  // the claim is the server's now: it drops it once it listens, and its death frees it
  if (child.pid) passStart(address.startingFile, child.pid)
  logger.log('info', `started a shared server (pid ${child.pid}) for ${settings.dataDir}`)
  return { failed: () => failed }
}
