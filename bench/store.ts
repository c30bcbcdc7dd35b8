// Store benchmark: locked operations against the disk's own floor, measured in the same run.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Store } from '../storage/store.js'
import { DOCUMENTS, type Task } from '../lib/schema.js'
import { ms, summary, table } from './_stats.js'

const WORKER = fileURLToPath(new URL('./store-worker.ts', import.meta.url))

function makeTask(i: number): Task {
  const now = new Date().toISOString()
  return { id: `task-${String(i).padStart(6, '0')}`, title: `Task ${i}`, status: 'todo', complexity: 'medium', isolation: 'shared', priority: 'normal', tags: ['bench'], metadata: {}, dependsOn: [], files: [`src/f${i}.ts`], reviewRounds: 0, createdBy: 'bench', createdAt: now, updatedAt: now, version: 1 }
}

function floor(dir: string, bytes: string, rounds: number) {
  const mkdirs: number[] = []
  const writes: number[] = []
  for (let i = 0; i < rounds; i++) {
    let started = performance.now()
    mkdirSync(join(dir, 'x.lock'))
    rmdirSync(join(dir, 'x.lock'))
    mkdirs.push(performance.now() - started)
    started = performance.now()
    const temp = join(dir, `doc.${i}.tmp`)
    writeFileSync(temp, bytes)
    const fd = openSync(temp, 'r+')
    fsyncSync(fd)
    closeSync(fd)
    renameSync(temp, join(dir, 'doc.json'))
    writes.push(performance.now() - started)
  }
  return { mkdir: summary(mkdirs).median, write: summary(writes).median }
}

async function runWorkers(dataDir: string, projectDir: string, processes: number, perProcess: number) {
  const startAt = Date.now() + 4000
  const results = await Promise.all(
    Array.from({ length: processes }, () =>
      new Promise<{ latencies: number[]; wallMs: number }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', WORKER, dataDir, projectDir, String(perProcess), String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] })
        let out = ''
        child.stdout.on('data', (chunk) => (out += chunk))
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}`))))
      }),
    ),
  )
  const latencies = results.flatMap((result) => result.latencies)
  const wallMs = Math.max(...results.map((result) => result.wallMs))
  return { ...summary(latencies), opsPerSec: latencies.length / (wallMs / 1000) }
}

export async function benchStore(sizes = [100, 1000, 10_000]): Promise<string> {
  const rows: (string | number)[][] = [['collection', 'processes', 'median', 'p99', 'ops/s', 'floor (mkdir+rmdir + write+fsync+rename)', 'median / floor']]
  for (const size of sizes) {
    const base = mkdtempSync(join(tmpdir(), 'lockstep-bench-'))
    try {
      const projectDir = join(base, 'repo')
      mkdirSync(projectDir)
      const store = new Store({ dataDir: join(base, 'data'), documents: DOCUMENTS })
      const project = store.project(projectDir)
      await store.transact(project, ['tasks'], (docs) => void docs.tasks.tasks.push(...Array.from({ length: size }, (_, i) => makeTask(i))))
      const bytes = JSON.stringify({ tasks: Array.from({ length: size }, (_, i) => makeTask(i)) }, null, 2)
      const disk = floor(base, bytes, size >= 10_000 ? 30 : 200)
      const floorMs = disk.mkdir + disk.write
      const rounds = size >= 10_000 ? 40 : 300
      const single = await runWorkers(store.dataDir, projectDir, 1, rounds)
      rows.push([size, 1, ms(single.median), ms(single.p99), single.opsPerSec.toFixed(0), `${ms(disk.mkdir)} + ${ms(disk.write)} = ${ms(floorMs)}`, (single.median / floorMs).toFixed(2)])
      const eight = await runWorkers(store.dataDir, projectDir, 8, size >= 10_000 ? 10 : 60)
      rows.push([size, 8, ms(eight.median), ms(eight.p99), eight.opsPerSec.toFixed(0), '', ''])
      store.close()
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  }
  return `Store: locked read-modify-write of one task + one event\n${table(rows)}`
}
