import { join } from 'node:path'
import { LockstepError } from '../../lib/errors.js'
import { DemoAgent } from './agents.js'
import { ARGS_JS, DONE_JS, INDEX_WITH_DONE, INDEX_WITH_LIST, LIST_JS, README_MD, STORE_JS_ROUND_1, STORE_JS_ROUND_2 } from './_files.js'
import { commit } from './_repo.js'

/** How many narrated steps the play has: the progress line counts up to it. */
export const STEPS = 24

export interface Stage {
  repo: string
  env: NodeJS.ProcessEnv
  /** Print one narrated step and let the watcher follow it on the dashboard. */
  say: (actor: string, text: string) => Promise<void>
  /** Every agent started, so that an interruption can close them all. */
  agents: DemoAgent[]
}

/** The whole play: a planner and three implementers coordinate one small project from plan to completion. */
export async function play(stage: Stage): Promise<void> {
  const { repo, say } = stage
  const start = async (name: string, cwd = repo) => {
    const agent = await DemoAgent.start(name, { cwd, env: stage.env })
    stage.agents.push(agent)
    return agent
  }

  const planner = await start('planner')
  await planner.call('coordination_init', { role: 'planner', name: 'planner' })
  await say('planner', 'joins the project as the planner (its own lockstep-mcp server over stdio)')

  await planner.call('project_context_set', {
    description: 'todo-cli: a tiny to-do list for the terminal',
    endState: 'todo list and todo done work on a JSON file, and the README shows how',
    techStack: ['Node.js 20', 'ES modules, no dependencies'],
    acceptanceCriteria: ['`todo list` prints the numbered list', '`todo done <n>` marks one to-do done', 'a missing list file reads as an empty list', 'README has a Usage section'],
    implementationPlan: ['argument parsing and storage first', 'then the list and done commands', 'README in parallel, in a worktree'],
  })
  await say('planner', 'writes the plan: goal, 4 acceptance criteria, 3 steps')

  const task = (title: string, complexity: string, files: string[], extra: Record<string, unknown> = {}) => planner.call('task_create', { title, complexity, files, ...extra })
  const args = await task('Parse command-line arguments', 'simple', ['src/args.js'], { priority: 'high' })
  const store = await task('Store to-dos in a JSON file', 'medium', ['src/store.js'], { priority: 'high' })
  const list = await task('Add the list command', 'medium', ['src/commands/list.js', 'src/index.js'], { dependsOn: [args.id, store.id] })
  const done = await task('Add the done command', 'medium', ['src/commands/done.js', 'src/index.js'], { dependsOn: [args.id, store.id] })
  const readme = await task('Document usage in the README', 'simple', ['README.md'], { isolation: 'worktree', owner: 'impl-3' })
  await say('planner', `creates 5 tasks; "list" and "done" depend on the first two, and both edit src/index.js`)

  const launched = await planner.call('launch_implementer', { type: 'claude', name: 'impl-3', isolation: 'worktree', launcher: 'manual' })
  await say('planner', `gives impl-3 its own git worktree: ${launched.worktreePath} on ${launched.branchName}`)

  const [impl1, impl2, impl3] = await Promise.all([start('impl-1'), start('impl-2'), start('impl-3', launched.worktreePath)])
  await Promise.all([
    impl1.call('coordination_init', { role: 'implementer', name: 'impl-1' }),
    impl2.call('coordination_init', { role: 'implementer', name: 'impl-2' }),
    impl3.call('coordination_init', { role: 'implementer', name: 'impl-3' }),
  ])
  await say('impl-*', 'impl-1, impl-2 and impl-3 join as implementers, each with its own server process')

  const first = await impl1.call('task_claim_next')
  const second = await impl2.call('task_claim_next')
  const third = await impl3.call('task_claim_next')
  await say('impl-*', `claim work: impl-1 "${first.task.title}", impl-2 "${second.task.title}", impl-3 "${third.task.title}"; their files are locked`)

  const topic = 'One JSON file, or one line per to-do?'
  const question = await impl2.call('discussion_start', {
    topic,
    message: 'A single JSON array is simplest; JSON lines would make appends cheap. Which one?',
    category: 'architecture',
    priority: 'high',
    waitingOn: 'planner',
  })
  await say('impl-2', `asks the planner: "${topic}"`)

  await planner.call('discussion_reply', { discussionId: question.id, message: 'Lists stay short; keep one file.', recommendation: 'one JSON array' })
  await planner.call('discussion_resolve', {
    discussionId: question.id,
    decision: 'One JSON array in todos.json',
    reasoning: 'Lists are short, and one file is easy to read and to edit by hand.',
    linkedTaskId: store.id,
  })
  await say('planner', 'answers and records the decision: one JSON array in todos.json')

  await impl1.call('file_write', { path: 'src/args.js', content: ARGS_JS })
  await impl1.call('task_submit_for_review', { id: args.id, reviewNotes: 'parseArgs splits argv into a command (default list) and its text.' })
  await impl2.call('file_write', { path: 'src/store.js', content: STORE_JS_ROUND_1 })
  await impl2.call('task_submit_for_review', { id: store.id, reviewNotes: 'load() and save() over todos.json, as decided.' })
  await say('impl-1/2', 'write src/args.js and src/store.js and submit both for review')

  await impl3.call('file_write', { path: 'README.md', content: README_MD })
  await commit(launched.worktreePath, 'README: usage of list and done')
  await impl3.call('task_submit_for_review', { id: readme.id, reviewNotes: 'Usage section with both commands, committed on lockstep/impl-3.' })
  await say('impl-3', `writes the README in its worktree, commits on ${launched.branchName} and submits it`)

  await planner.call('task_approve', { id: args.id, feedback: 'Small and clear.' })
  await say('planner', 'reviews: approves "Parse command-line arguments"')

  await planner.call('task_request_changes', { id: store.id, feedback: 'A missing todos.json must read as an empty list (acceptance criterion 3), not crash.' })
  await say('planner', 'requests changes on the store: a missing todos.json must read as an empty list')

  await impl2.call('file_write', { path: 'src/store.js', content: STORE_JS_ROUND_2 })
  await impl2.call('task_submit_for_review', { id: store.id, reviewNotes: 'load() returns [] when the file is missing; other errors still throw.' })
  await say('impl-2', 'fixes src/store.js and submits again (review round 2)')

  await planner.call('task_approve', { id: store.id })
  await say('planner', 'approves the store: "list" and "done" are now ready')

  await impl1.call('task_claim', { id: list.id })
  await say('impl-1', 'claims "Add the list command" and locks src/commands/list.js and src/index.js')

  const refused = await impl2.call('task_claim', { id: done.id }).then(
    () => null,
    (error: unknown) => error,
  )
  if (!(refused instanceof LockstepError) || refused.code !== 'LOCKED') throw refused instanceof Error ? refused : new Error('the claim of "done" should have met impl-1\'s lock')
  await say('impl-2', `tries "Add the done command": LOCKED, src/index.js is held by impl-1, so it waits for the lock`)

  const waiting = impl2.call('lock_acquire', { path: 'src/index.js', waitMs: 60_000, note: 'waiting to add the done command' })
  await impl1.call('file_write', { path: 'src/commands/list.js', content: LIST_JS, createDirs: true })
  await impl1.call('file_write', { path: 'src/index.js', content: INDEX_WITH_LIST })
  await impl1.call('lock_release', { path: 'src/index.js' })
  await say('impl-1', 'writes list.js and src/index.js, then releases src/index.js early')

  await waiting
  await impl2.call('task_claim', { id: done.id })
  await say('impl-2', 'its wait ends: it holds src/index.js now and claims "Add the done command"')

  await impl2.call('file_write', { path: 'src/commands/done.js', content: DONE_JS })
  await impl2.call('file_write', { path: 'src/index.js', content: INDEX_WITH_DONE })
  await impl2.call('lock_release', { path: 'src/index.js' }).catch(() => undefined)
  await impl2.call('task_submit_for_review', { id: done.id, reviewNotes: 'done <n> marks the n-th to-do; index.js routes both commands.' })
  await impl1.call('task_submit_for_review', { id: list.id, reviewNotes: 'list prints "n. [x] text" lines.' })
  await say('impl-1/2', 'finish "list" and "done" and submit them for review')

  const status = await planner.call('worktree_status', { implementerId: 'impl-3' })
  await say('planner', `checks impl-3's worktree: ${status.worktreeStatus.ahead} commit ahead of ${status.worktreeStatus.baseBranch}`)

  const merged = await planner.call('worktree_merge', { implementerId: 'impl-3' })
  await say('planner', `merges ${merged.branch} into ${merged.targetBranch} (${merged.fastForward ? 'fast-forward' : 'merge commit'}), without switching the checkout`)

  const batch = await planner.call('task_approve_batch', { ids: [readme.id, list.id, done.id], feedback: 'Matches the acceptance criteria.' })
  await say('planner', `approves the last ${batch.approved} tasks: every task is done`)

  await planner.call('project_status_set', { status: 'complete' })
  await say('planner', 'marks the project complete')

  await Promise.all(stage.agents.map((agent) => agent.close()))
  stage.agents.length = 0
  await commit(repo, 'todo-cli: list and done commands, storage and usage')
  await say('demo', `all servers stopped; the work is committed in ${join(repo)}`)
}
