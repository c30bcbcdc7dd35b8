import { namesWithRole } from '../project/project-status.js'
import type { DomainTx, Docs } from '../state/domain-tx.js'
import type { DocName } from '../state/schema.js'

/** Post the all-done note once, when every task is done; re-arm when one is not. */
export function allDoneCheck(docs: Pick<Docs, 'project' | 'tasks' | 'notes'> & Partial<Pick<Docs, 'agents'>>, tx: DomainTx<DocName>): void {
  const tasks = docs.tasks.tasks
  const allDone = tasks.length > 0 && tasks.every((task) => task.status === 'done')
  if (!allDone) {
    docs.project.allDoneAnnounced = false
    return
  }
  if (docs.project.allDoneAnnounced) return
  docs.project.allDoneAnnounced = true
  tx.note(`[SYSTEM] All ${tasks.length} tasks are done. Planner: check the result, then project_status_set complete, or add tasks.`)
  tx.emit({ type: 'project.all_tasks_done', actor: 'system', ids: {}, for: namesWithRole(docs, 'planner'), data: { total: tasks.length } })
}
