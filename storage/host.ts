import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { hostname } from 'node:os'

/** This machine's host name, as session, agent and launch records store it. */
export const HOST = hostname()

/** Hash of the host name, boot and pid namespace: a pid means something only within one of each. */
export const MACHINE = createHash('sha256')
  .update(`${HOST}\0${readRuntime() ?? ''}`)
  .digest('hex')
  .slice(0, 10)

/** Whether process `pid` of this machine runs (EPERM: it does, as another user). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether a process recorded on `host` still runs; one of another host cannot be checked and counts as alive. */
export function isAliveOnHost(pid: number, host: string): boolean {
  return host !== HOST || processExists(pid)
}

/** The start time of process `pid` (Linux, in clock ticks since boot), so a reused pid is not taken for another. */
export function processStartTime(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) may hold spaces and parentheses: fields resume after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function readRuntime(): string | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    return `${fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${fs.readlinkSync('/proc/self/ns/pid')}`
  } catch {
    return undefined
  }
}
