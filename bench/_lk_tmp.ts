import fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { acquireFileLock } from '../storage/lockfile.js'
const dir = fs.mkdtempSync(join(tmpdir(), 'lk-'))
const f = join(dir, 'tasks.json')
const N = 6000
const owner = '{"pid":1234,"host":"vm","token":"0123456789abcdef","acquiredAt":1795525959000}'
async function ours() { const h = await acquireFileLock(f, Date.now() + 10000); await h.release() }
function raw() { fs.mkdirSync(f + '.lock', 0o700); const fd = fs.openSync(f + '.lock/owner.json', 'wx', 0o600); fs.writeSync(fd, owner); fs.closeSync(fd); fs.unlinkSync(f + '.lock/owner.json'); fs.rmdirSync(f + '.lock') }
const res: Record<string, number[]> = { ours: [], raw: [] }
for (let round = 0; round < 6; round++) {
  for (const k of ['ours', 'raw']) {
    const c = process.cpuUsage(); const t = performance.now()
    for (let i = 0; i < N; i++) k === 'ours' ? await ours() : raw()
    const u = process.cpuUsage(c)
    res[k].push((performance.now() - t) / N * 1000)
    if (round === 5) console.log(k, 'cpu us/op', ((u.user + u.system) / N).toFixed(1), 'user', (u.user / N).toFixed(1))
  }
}
for (const [k, a] of Object.entries(res)) console.log(k, 'wall us/op med', a.sort((x, y) => x - y)[3].toFixed(1), a.map((x) => x.toFixed(0)).join(' '))
