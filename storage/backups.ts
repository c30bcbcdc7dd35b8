import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'

const RESTORE_POINTS_KEPT = 7

function compactStamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
}

/** Copy a corrupt document to `backups/<doc>.corrupt-<ts>.json`, unless a copy with the same SHA-256 exists. */
export async function backupCorrupt(projectDir: string, file: string, text: string): Promise<string> {
  const dir = join(projectDir, 'backups')
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 })
  const digest = createHash('sha256').update(text).digest('hex')
  const prefix = `${file.replace(/\.json$/, '')}.json.corrupt-`
  for (const name of await fsp.readdir(dir)) {
    if (!name.startsWith(prefix)) continue
    const existing = await fsp.readFile(join(dir, name)).catch(() => null)
    if (existing && createHash('sha256').update(existing).digest('hex') === digest) return join(dir, name)
  }
  const target = join(dir, `${prefix}${compactStamp()}.json`)
  await fsp.writeFile(target, text, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error
    await fsp.writeFile(`${target}.${process.pid}`, text, { mode: 0o600 })
  })
  return target
}

const restorePointsTaken = new Set<string>()

/** Before the first write of each UTC day, keep the current content as `backups/<doc>.<yyyy-mm-dd>.json`. */
export async function takeRestorePoint(projectDir: string, file: string, now: Date): Promise<void> {
  const day = now.toISOString().slice(0, 10)
  const key = `${projectDir}\0${file}\0${day}`
  if (restorePointsTaken.has(key)) return
  const dir = join(projectDir, 'backups')
  const target = join(dir, `${file.replace(/\.json$/, '')}.${day}.json`)
  try {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 })
    await fsp.copyFile(join(projectDir, file), target, fsp.constants.COPYFILE_EXCL)
    await pruneRestorePoints(dir, file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EEXIST' && code !== 'ENOENT') throw error
  }
  restorePointsTaken.add(key)
}

async function pruneRestorePoints(dir: string, file: string): Promise<void> {
  const stem = file.replace(/\.json$/, '')
  const pattern = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d{4}-\\d{2}-\\d{2}\\.json$`)
  const points = (await fsp.readdir(dir)).filter((name) => pattern.test(name)).sort()
  for (const name of points.slice(0, Math.max(0, points.length - RESTORE_POINTS_KEPT))) {
    await fsp.rm(join(dir, name), { force: true })
  }
}

/** Copy every document of a project to `backups/<label>-<ts>/` and return that folder. */
export async function backupAll(projectDir: string, label: string, files: string[], now = new Date()): Promise<string> {
  const target = join(projectDir, 'backups', `${label}-${compactStamp(now)}`)
  await fsp.mkdir(target, { recursive: true, mode: 0o700 })
  for (const file of files) {
    await fsp.copyFile(join(projectDir, file), join(target, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  }
  return target
}
