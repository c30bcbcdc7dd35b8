import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import fs from 'node:fs'

/** A time as `20261204T101500Z`, for file names. */
export function stamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
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
  const target = join(dir, `${prefix}${stamp()}.json`)
  await fsp.writeFile(target, text, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error
    await fsp.writeFile(`${target}.${process.pid}`, text, { mode: 0o600 })
  })
  return target
}

const RESTORE_POINT = /^restore-(\d{8}T\d{6}Z)$/

/** The restore points in `backups`, oldest first, by their stamp. */
export function restorePoints(backups: string): string[] {
  let names: string[]
  try {
    names = fs.readdirSync(backups)
  } catch {
    return []
  }
  return names
    .map((name) => RESTORE_POINT.exec(name)?.[1])
    .filter((item): item is string => Boolean(item))
    .sort()
}
