// The domain tests' project: a clock they move, a registered planner and two registered implementers sharing one
// store, and that project's events.
import { coordinationInit } from '../../lib/agents/agents.js'
import type { Ctx } from '../../lib/state/context.js'
import { peerCtx, testCtx } from './helpers.js'

/** A clock that stands still until the test advances it. */
export function clock(start = Date.parse('2026-11-24T10:00:00.000Z')) {
  let now = start
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) }
}

/**
 * A registered planner and implementers impl-1 and impl-2 on one fresh project. `remote`: impl-1 runs on another host,
 * so its leases lapse after the TTL without calls (a live local one keeps them).
 */
export async function team(t: Parameters<typeof testCtx>[0], settings: { leaseTtlSec?: number } = {}, remote = false) {
  const time = clock()
  const planner = testCtx(t, { now: time.now, settings })
  const impl1 = peerCtx(planner)
  if (remote) impl1.caller.host = 'build-box-2'
  const impl2 = peerCtx(planner)
  await coordinationInit(planner, { role: 'planner' })
  await coordinationInit(impl1, { role: 'implementer', name: 'impl-1' })
  await coordinationInit(impl2, { role: 'implementer', name: 'impl-2' })
  return { time, planner, impl1, impl2 }
}

/** The project the context works in. */
export const projectOf = (ctx: Ctx) => ctx.store.project(ctx.caller.cwd)

/** Every event of that project, oldest first. */
export const events = async (ctx: Ctx) => (await ctx.store.eventReader(projectOf(ctx)).readSince(0, 1000)).events
