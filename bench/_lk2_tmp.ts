import fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { acquireFileLock } from '../storage/lockfile.js'
const dir = fs.mkdtempSync(join(tmpdir(), 'lk-'))
const f = join(dir, 'tasks.json')
for (let i = 0; i < 20000; i++) { const h = await acquireFileLock(f, Date.now() + 10000); await h.release() }
