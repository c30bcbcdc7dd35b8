import type { Ctx } from '../lib/state/context.js'
import { sweepProject } from '../lib/agents/sessions.js'
import type { Logger } from './log.js'

const SWEEP_MS = 15_000
const EXIT_WITHIN_MS = 900

/** A shutdown that runs once: the cleanup steps, then exit 0; never later than 900 ms after the first trigger. */
export function shutdownOnce(logger: Logger, cleanup: () => Promise<void>): (why: string) => void {
  let closing = false
  return (why) => {
    if (closing) return
    closing = true
    logger.log('info', `shutting down (${why})`)
    setTimeout(() => process.exit(0), EXIT_WITHIN_MS).unref()
    void cleanup()
      .catch((error) => logger.log('warn', `shutdown: ${String(error)}`))
      .finally(() => process.exit(0))
  }
}

/** Sweep the given projects every 15 s with jitter, so leases expire and gone agents are noticed while nobody calls, without keeping the process alive. */
export function sweepEvery(ctx: Ctx, roots: () => Iterable<string>, logger: Logger): void {
  const sweep = () => {
    for (const root of roots()) sweepProject(ctx, root).catch((error) => logger.log('debug', `sweep: ${String(error)}`))
    setTimeout(sweep, SWEEP_MS * (0.8 + Math.random() * 0.4)).unref()
  }
  setTimeout(sweep, SWEEP_MS * Math.random()).unref()
}
