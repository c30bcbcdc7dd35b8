import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Remove a test's folder, first stopping the shared servers serving a data folder inside it: one started by a relay
 * after its serving agent left stays up for seconds after the test, and would write into the folder being removed.
 */
export async function removeTree(dir: string): Promise<void> {
  // a relay of the test may start one while the folder goes: stop those too, and try again
  for (let attempt = 0; ; attempt++) {
    const pids = sharedServersUnder(dir)
    for (const pid of pids) signal(pid, 'SIGTERM')
    for (let waited = 0; waited < 2000 && pids.some(alive); waited += 50) await sleep(50)
    for (const pid of pids) signal(pid, 'SIGKILL')
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
      if (!sharedServersUnder(dir).length || attempt >= 5) return
    } catch (error) {
      if (attempt >= 5) throw error
    }
    await sleep(200)
  }
}

function sharedServersUnder(dir: string): number[] {
  if (process.platform !== 'linux') return []
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      const data = argv[argv.indexOf('--data-dir') + 1] ?? ''
      if (argv.includes('--shared-daemon') && (data === dir || data.startsWith(`${dir}/`))) pids.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}
