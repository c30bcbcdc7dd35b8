import { rmSync } from 'node:fs'
import { endSession } from '../../lib/agents/sessions.js'
import { newId } from '../../lib/core/ids.js'
import type { DaemonAddress } from '../../lib/daemon/address.js'
import { HAND_OVER_MS, startSharedServer, type SharedServer } from '../../lib/daemon/shared-server.js'
import { isLockstepError } from '../../lib/errors.js'
import { serveSession } from '../../lib/mcp/session.js'
import { LineStdioTransport } from '../../lib/mcp/stdio.js'
import { buildCtx, openStore } from '../../lib/state/open.js'
import type { Settings } from '../../lib/state/settings.js'
import { SnapshotWriter } from '../../lib/state/snapshot.js'
import { shutdownOnce, sweepEvery } from '../lifecycle.js'
import type { Logger } from '../log.js'
import { packageVersion } from '../../lib/core/version.js'

/**
 * The MCP server in this process, over its stdin and stdout. With `address` (no shared server answered and this
 * process is the first to start one) it is also the shared server there for the agents started after it, until its
 * own agent leaves: then their relays move on to a shared server of their own. Resolves only with 'taken', when
 * another process listens at `address` first (the caller relays to it instead).
 */
export async function runInProcess(settings: Settings, logger: Logger, cwd: string, env: NodeJS.ProcessEnv, address?: DaemonAddress): Promise<'taken'> {
  const store = openStore(settings.dataDir)
  const snapshots = new SnapshotWriter({ store, warn: (message) => logger.log('warn', message) })
  const log = (level: 'error' | 'warn' | 'info' | 'debug', message: string) => logger.log(level, message)
  let shared: SharedServer | undefined
  if (address) {
    try {
      shared = await startSharedServer({
        store,
        dataDir: settings.dataDir,
        address,
        version: packageVersion(),
        idleMs: 60_000,
        log,
        ownSession: true,
        onIdle: () => undefined,
        onSessionEnd: () => snapshots.flush(),
      })
    } catch (error) {
      if (isLockstepError(error) && error.code === 'CONFLICT') {
        store.close()
        return 'taken'
      }
      // the socket cannot be had here (permissions, a file system without sockets): this agent is served all the same
      rmSync(address.startingFile, { force: true })
      logger.log('warn', `cannot serve other agents from this process: ${String(error)}`)
    }
  }
  snapshots.attach(store)
  const ctx = buildCtx(store, settings, { sessionId: newId('sess'), transport: 'stdio', pid: process.pid, cwd, env })
  const transport = new LineStdioTransport(process.stdin, process.stdout)
  const shutdown = shutdownOnce(logger, async () => {
    await endSession(ctx).catch((error) => logger.log('warn', `could not mark the session ended: ${String(error)}`))
    await shared?.handOver(HAND_OVER_MS)
    await snapshots.flush()
    store.close()
  })
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.stdin.on('end', () => shutdown('stdin closed'))
  process.stdin.on('close', () => shutdown('stdin closed'))
  transport.onclose = () => shutdown('transport closed')
  await serveSession(ctx, transport, log)
  logger.log('info', `lockstep-mcp ${settings.serverVersion} serving over stdio (data ${settings.dataDir})${shared ? ', and other agents as their shared server' : ''}`)
  sweepEvery(ctx, () => [ctx.caller.binding?.projectRoot ?? settings.roots[0] ?? ctx.caller.cwd, ...(shared?.roots() ?? [])], logger)
  return new Promise<never>(() => undefined)
}
