import type * as v from 'valibot'
import type { Ctx } from '../context.js'
import * as agents from '../agents.js'
import * as artifacts from '../artifacts.js'
import * as claimNext from '../claim-next.js'
import * as commandTools from '../command-tools.js'
import * as dashboard from '../dashboard/open.js'
import * as discussions from '../discussions.js'
import * as fileTools from '../file-tools.js'
import * as implementers from '../implementers.js'
import * as launch from '../launch.js'
import * as locks from '../locks.js'
import * as notes from '../notes.js'
import * as context from '../project-context.js'
import * as reviews from '../reviews.js'
import * as reset from '../session-reset.js'
import * as status from '../status.js'
import * as queries from '../task-queries.js'
import * as updates from '../task-updates.js'
import * as tasks from '../tasks.js'
import * as worktrees from '../worktrees.js'
import type { ToolProfile } from '../settings.js'

export interface ToolDef {
  name: string
  description: string
  input: v.GenericSchema
  readOnly?: boolean
  destructive?: boolean
  handler: (ctx: Ctx, args: unknown) => Promise<unknown>
}

const tool = (name: string, description: string, input: v.GenericSchema, handler: ToolDef['handler'], flags: Partial<ToolDef> = {}): ToolDef => ({
  name,
  description,
  input,
  handler,
  ...flags,
})
const read = { readOnly: true }

/** The tool table: schema, name, description and one call into lib per tool. No MCP SDK types here. */
export const TOOLS: ToolDef[] = [
  tool('coordination_init', 'Register this session as planner or implementer of the project and get guidance for the current phase. Call it first, and again to re-orient.', agents.CoordinationInitInput, agents.coordinationInit),
  tool('project_context_set', "Create or update the project's context: description, end state, acceptance criteria, constraints and plan (upsert).", context.SetContextInput, context.setProjectContext),
  tool('project_context_get', "Read the project's context: goal, constraints and plan.", context.GetContextInput, context.getProjectContext, read),
  tool('project_status_set', 'Set the project status (planning, ready, in_progress, complete, stopped). Planner only.', context.SetStatusInput, context.setProjectStatusTool),
  tool('status_get', 'Show the server settings, the project, this session and counts of tasks, locks, notes, discussions and implementers.', status.StatusInput, status.getStatus, read),
  tool('session_reset', "Clear this project's tasks, locks and notes, stop implementers and archive open discussions, after a backup. Planner only; needs confirm: true.", reset.SessionResetInput, reset.resetSession, { destructive: true }),
  tool('implementer_list', "List the project's implementers with their liveness (alive, starting, gone) and worktrees.", implementers.ListImplementersInput, implementers.listImplementers, read),
  tool('launch_implementer', 'Start a claude or codex implementer in tmux, Terminal.app or by hand, optionally in its own git worktree and branch. Planner only.', launch.LaunchImplementerInput, launch.launchImplementer),
  tool('implementer_reset', 'Stop every active implementer: their tasks return to todo and their locks are released. Planner only.', implementers.ResetImplementersInput, implementers.resetImplementers, { destructive: true }),
  tool('worktree_status', "Show an implementer's worktree against its base branch: commits ahead and behind, uncommitted files and the diff.", worktrees.WorktreeStatusInput, worktrees.getWorktreeStatus, read),
  tool('worktree_merge', "Merge an implementer's branch into its base branch (fast-forward or merge commit) without switching the main checkout. Planner only.", worktrees.MergeWorktreeInput, worktrees.mergeWorktree),
  tool('worktree_list', "List the project's lockstep worktrees with their branches and implementers.", worktrees.ListWorktreesInput, worktrees.listWorktrees, read),
  tool('worktree_cleanup', 'Remove the worktrees of stopped or gone implementers, skipping uncommitted or unmerged work unless forced (planner only).', worktrees.CleanupWorktreesInput, worktrees.cleanupWorktrees, { destructive: true }),
  tool('task_create', 'Create a task with a complexity, optional files to lock, dependencies, priority and assignee.', tasks.CreateTaskInput, tasks.createTask),
  tool('task_claim', 'Claim a todo task by id; its files are locked in the same step, all or nothing.', tasks.ClaimTaskInput, tasks.claimTask),
  tool('task_claim_next', 'Atomically claim the best ready task you can start now, or learn why there is none.', claimNext.ClaimNextTaskInput, claimNext.claimNextTask),
  tool('task_update', "Update a task's content, files, dependencies, owner or status along the task state machine.", updates.UpdateTaskInput, updates.updateTask),
  tool('task_list', 'List tasks in creation order, filtered by status, owner, tag or readiness, with paging.', queries.ListTasksInput, queries.listTasks, read),
  tool('task_summary', 'Count tasks per status, with the ready count and completion percentage.', queries.TaskSummaryInput, queries.taskSummary, read),
  tool('task_submit_for_review', 'Submit your in_progress task for review with notes on what changed and how it was checked.', reviews.SubmitForReviewInput, reviews.submitForReview),
  tool('task_approve', 'Approve a task in review: it becomes done and its locks are released. Planner only; not your own task.', reviews.ApproveTaskInput, reviews.approveTask),
  tool('task_approve_batch', 'Approve several tasks in review in one step, each judged on its own. Planner only.', reviews.ApproveBatchInput, reviews.approveBatch),
  tool('task_request_changes', 'Send a task in review back to its owner with feedback. Planner only.', reviews.RequestChangesInput, reviews.requestChanges),
  tool('lock_acquire', 'Lock a file, directory or glob before editing it; optionally wait up to waitMs for a conflicting lock to clear.', locks.AcquireLockInput, locks.acquireLock),
  tool('lock_release', 'Release your lock by path or id; a planner may force-release another holder\'s lock.', locks.ReleaseLockInput, locks.releaseLock),
  tool('lock_list', 'List active locks (or the recent history), optionally those overlapping a path.', locks.ListLocksInput, locks.listLocks, read),
  tool('note_append', "Post a note to the project's shared feed.", notes.AppendNoteInput, notes.appendNote),
  tool('note_list', 'Read notes, oldest first: the latest ones, or those after a seq.', notes.ListNotesInput, notes.listNotes, read),
  tool('events_wait', "Wait for the project's events after a cursor (long poll) instead of polling; filter by type or by what concerns you.", notes.WaitEventsInput, notes.waitEvents, read),
  tool('log_append', 'Append a custom event (custom.<event>) with a small JSON payload to the event log.', notes.AppendLogInput, notes.appendLog),
  tool('discussion_start', 'Open a discussion with a first message, optionally waiting on an agent for the answer.', discussions.StartDiscussionInput, discussions.startDiscussion),
  tool('discussion_reply', 'Reply to a discussion; by default the question goes back to whoever asked it.', discussions.ReplyDiscussionInput, discussions.replyDiscussion),
  tool('discussion_resolve', 'Record the decision of a discussion with its reasoning.', discussions.ResolveDiscussionInput, discussions.resolveDiscussion),
  tool('discussion_get', 'Read a discussion with all its messages.', discussions.GetDiscussionInput, discussions.getDiscussion, read),
  tool('discussion_list', 'List discussions by priority, filtered by status, category, priority or who is waited on.', discussions.ListDiscussionsInput, discussions.listDiscussions, read),
  tool('discussion_inbox', 'List the discussions waiting on you.', discussions.DiscussionInboxInput, discussions.discussionInbox, read),
  tool('discussion_archive', 'Archive a discussion.', discussions.ArchiveDiscussionInput, discussions.archiveDiscussion),
  tool('discussion_cleanup', 'Archive old resolved discussions and delete long-archived ones.', discussions.CleanupDiscussionsInput, discussions.cleanupDiscussions, { destructive: true }),
  tool('file_read', 'Read a file (relative to the work root, or absolute) under the access policy, up to maxBytes; binary content comes back as base64.', fileTools.FileReadInput, fileTools.readFileTool, read),
  tool('file_write', "Write a file atomically, or append to it; refused when another agent's lock covers the path.", fileTools.FileWriteInput, fileTools.writeFileTool),
  tool('artifact_read', 'Read a named artifact shared through the project store, with its version and author.', artifacts.ArtifactReadInput, artifacts.readArtifact, read),
  tool('artifact_write', 'Write or append to a named artifact that every agent of the project can read; each write adds 1 to its version.', artifacts.ArtifactWriteInput, artifacts.writeArtifact),
  tool('command_run', 'Run a command without a shell, with a timeout and capped output; a non-zero exit is a result, not an error.', commandTools.CommandRunInput, commandTools.runCommandTool),
  tool('tool_install', 'Run a package manager (npm, pip, cargo, …) with an argv array and no shell.', commandTools.ToolInstallInput, commandTools.installToolTool),
  tool('dashboard_open', 'Start or reuse the live dashboard of this store and return its URL (with the action token); open: false only returns the URL.', dashboard.OpenDashboardInput, dashboard.openDashboard),
]

const CORE = [
  'coordination_init', 'status_get', 'project_context_get', 'task_list', 'task_summary', 'task_claim', 'task_claim_next', 'task_update',
  'task_submit_for_review', 'lock_acquire', 'lock_release', 'lock_list', 'note_append', 'note_list', 'events_wait', 'discussion_start',
  'discussion_reply', 'discussion_get', 'discussion_inbox',
]

export const PROFILES: Record<Exclude<ToolProfile, 'all'>, string[]> = {
  core: CORE,
  implementer: [...CORE, 'task_create', 'discussion_resolve', 'discussion_list', 'file_read', 'file_write', 'artifact_read', 'artifact_write', 'command_run', 'tool_install', 'log_append', 'worktree_status'],
  planner: [
    ...CORE, 'task_create', 'task_approve', 'task_request_changes', 'task_approve_batch', 'project_context_set', 'project_status_set', 'launch_implementer',
    'implementer_list', 'implementer_reset', 'session_reset', 'dashboard_open', 'discussion_resolve', 'discussion_list', 'discussion_archive',
    'discussion_cleanup', 'worktree_status', 'worktree_merge', 'worktree_list', 'worktree_cleanup', 'artifact_read', 'artifact_write', 'log_append',
  ],
}

export function toolsFor(profile: ToolProfile): ToolDef[] {
  return profile === 'all' ? TOOLS : TOOLS.filter((item) => PROFILES[profile].includes(item.name))
}
