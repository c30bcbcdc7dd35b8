import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, join, sep } from 'node:path'
import type { Problem } from './_project.js'

export interface DashboardStatus {
  url: string
  pid: number
  alive: boolean
  startedAt?: string
}

// NFS, SMB/CIFS, AFS and the common FUSE and cluster filesystems: file locks and rename are not reliable on them
const NETWORK_TYPES = /^(nfs\d?|cifs|smb\d?|smbfs|afs|ncpfs|9p|fuse\.sshfs|sshfs|fuse\.rclone|glusterfs|fuse\.glusterfs|ceph|fuse\.ceph|lustre|gpfs|davfs|fuse\.s3fs|webdav)$/i

/** Store folders under `<data>/projects` whose recorded root no longer exists (the repository moved or was deleted). */
export function storesWithMissingRoot(dataDir: string): Problem[] {
  const projects = join(dataDir, 'projects')
  let names: string[]
  try {
    names = readdirSync(projects)
  } catch {
    return []
  }
  const problems: Problem[] = []
  for (const name of names.sort()) {
    let root: unknown
    try {
      root = (JSON.parse(readFileSync(join(projects, name, 'project.json'), 'utf8')) as { root?: unknown }).root
    } catch {
      continue
    }
    if (typeof root === 'string' && !existsSync(root)) {
      const message = `store ${name} belongs to ${root}, which no longer exists; delete ${join(projects, name)} if that project is gone`
      problems.push({ kind: 'root_missing', message, file: join(projects, name) })
    }
  }
  return problems
}

/** The filesystem type of the mount holding `path`, where the platform tells (Linux /proc/mounts); null otherwise. */
function filesystemType(path: string): string | null {
  if (process.platform !== 'linux') return null
  let mounts: string
  try {
    mounts = readFileSync('/proc/mounts', 'utf8')
  } catch {
    return null
  }
  const target = existingRealPath(path)
  let best: { point: string; type: string } | null = null
  for (const line of mounts.split('\n')) {
    const [, rawPoint, type] = line.split(' ')
    if (!rawPoint || !type) continue
    const point = rawPoint.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
    const inside = target === point || target.startsWith(point.endsWith(sep) ? point : point + sep)
    if (inside && (!best || point.length >= best.point.length)) best = { point, type }
  }
  return best?.type ?? null
}

/** A problem when the home or data folder is on a network filesystem, where locks are not reliable. */
export function networkHomeProblems(folders: { label: string; path: string }[]): Problem[] {
  const problems: Problem[] = []
  for (const { label, path } of folders) {
    const type = filesystemType(path)
    if (type && NETWORK_TYPES.test(type)) {
      const message = `the ${label} folder ${path} is on a network filesystem (${type}); locks are not reliable there. Set LOCKSTEP_HOME to a local folder`
      problems.push({ kind: 'network_home', message, file: path })
    }
  }
  return problems
}

/** `<data>/dashboard.json`, with whether its process still runs on this host; null when absent or invalid. */
export function readDashboard(dataDir: string, isAlive: (pid: number) => boolean): DashboardStatus | null {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(join(dataDir, 'dashboard.json'), 'utf8'))
  } catch {
    return null
  }
  const record = raw as { pid?: unknown; url?: unknown; startedAt?: unknown }
  if (typeof raw !== 'object' || raw === null || !Number.isInteger(record.pid) || typeof record.url !== 'string') return null
  const url = record.url.replace(/#.*$/, '')
  const pid = record.pid as number
  return { url, pid, alive: isAlive(pid), ...(typeof record.startedAt === 'string' ? { startedAt: record.startedAt } : {}) }
}

function existingRealPath(path: string): string {
  for (let current = path; ; current = dirname(current)) {
    try {
      return realpathSync.native(current)
    } catch {
      if (dirname(current) === current) return path
    }
  }
}
