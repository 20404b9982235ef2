/** The plain sentences a user reads about what happened around their run. */

import { humanSize } from "../files/human-size.ts";
import { type StorageFault, storageFaultWords } from "../store/storage-fault.ts";
import type { RestoreSummary } from "./kept-files.ts";
import type { SandboxLimits } from "./limits.ts";
import type { DataFull, ResultMessage } from "./supervisor-protocol.ts";
import type { RunStage } from "./types.ts";

export function resultNotices(result: ResultMessage, limits: SandboxLimits): string[] {
  const notices: string[] = [];
  const { stdout, stderr } = result.truncated;
  if (stdout + stderr > 0) {
    const parts = [
      stdout > 0 ? `${humanSize(stdout)} of stdout` : "",
      stderr > 0 ? `${humanSize(stderr)} of stderr` : "",
    ];
    notices.push(
      `Output was cut at ${humanSize(limits.outputLimitBytes)}: ${parts.filter(Boolean).join(" and ")} not shown.`,
    );
  }
  for (const dropped of result.dropped) notices.push(`Not shown: ${dropped}.`);
  const kept = "Files in /mnt/data were kept.";
  const timeoutSeconds = Math.round((result.timeoutMs ?? limits.executionTimeoutMs) / 1000);
  switch (result.status) {
    case "timeout":
      notices.push(`The run was stopped after ${timeoutSeconds} s, its time limit.`);
      break;
    case "oom":
      notices.push(
        `The code ran out of memory (the limit is ${limits.memoryMb} MB), so Python was restarted: ` +
          `variables and imports are gone. ${kept}`,
      );
      break;
    case "crashed":
      notices.push(
        result.protocolViolations > 0
          ? `Python was restarted because ${result.reason ?? "it broke the sandbox's protocol"}: ` +
              `variables and imports are gone. ${kept}`
          : `Python crashed (${result.reason ?? "no reason given"}) and was restarted: variables are gone. ${kept}`,
      );
      break;
    default:
      break;
  }
  if (result.restarted && (result.status === "timeout" || result.status === "cancelled")) {
    notices.push(
      `The code did not stop within ${limits.interruptGraceMs / 1000} s of being interrupted, so Python was restarted: ` +
        `variables and imports are gone. ${kept}`,
    );
  }
  if (result.pidsLimitHit) {
    notices.push(
      `The code tried to start more processes than the sandbox allows (${limits.pids}); the extra ones were refused.`,
    );
  }
  if (result.stoppedProcesses > 0) {
    notices.push(
      `${result.stoppedProcesses} background process(es) the code started were stopped: ` +
        "processes do not outlive the run that started them.",
    );
  }
  if (result.dataFull) notices.push(dataFullNotice(result.dataFull));
  if (result.skippedFiles.length > 0) {
    notices.push(
      `Not listed or sent: ${result.skippedFiles.join(", ")}. Only regular files in /mnt/data are.`,
    );
  }
  if (result.moreFiles > 0) notices.push(`${result.moreFiles} more changed files are not listed.`);
  return notices;
}

/**
 * A lost container, in words. `files` says what happened to /mnt/data: what a new container got
 * back from the kept files, "kept" when they will come back with the next run's container, or
 * null when nothing is kept (then the files are gone with the container).
 */
export function containerLostNotice(
  reason: string,
  replaced: "already" | "next-run" = "already",
  files: RestoreSummary | "kept" | null = null,
  /** The last run's changes were still being copied out when the container was lost. */
  lastRunUnsaved = false,
): string {
  // Mid-run, the person must learn first that their code did not finish.
  const start =
    replaced === "already"
      ? `The sandbox stopped unexpectedly (${reason}) and a new one was started: `
      : `The sandbox stopped unexpectedly while this code was running (${reason}), so the run did not finish; a new sandbox starts with the next run: `;
  if (files === null) return `${start}variables, imports and files in /mnt/data from before are gone.`;
  if (files === "kept") {
    return `${start}variables and imports are gone; the files in /mnt/data from finished runs are kept and come back with it; what this run wrote is lost.`;
  }
  return `${start}variables and imports are gone; ${restoredFiles(files, lastRunUnsaved)}`;
}

/** A new container for a conversation whose earlier one was gone (expired, removed, the host restarted). */
export function freshStartNotice(files: RestoreSummary): string {
  return `This conversation's sandbox had stopped, so a new one was started: variables and imports from before are gone; ${restoredFiles(files)}`;
}

function restoredFiles(files: RestoreSummary, lastRunUnsaved = false): string {
  const unsaved = lastRunUnsaved
    ? " What the last run changed in /mnt/data had not been copied out of the sandbox when it stopped, and is lost."
    : "";
  if (files.files === 0 && files.missing.length === 0)
    return `there were no kept files to restore.${unsaved}`;
  const which = lastRunUnsaved ? "as the run before the last left them" : "from the last finished run";
  const restored =
    files.files === 0
      ? "no kept files could be restored"
      : `${files.files} file(s) in /mnt/data (${humanSize(files.bytes)}) ${which} were restored`;
  if (files.missing.length === 0) return `${restored}.${unsaved}`;
  return `${restored}, but ${files.missing.slice(0, 5).join(", ")}${files.missing.length > 5 ? ` and ${files.missing.length - 5} more` : ""} could not be (the kept copy was damaged).${unsaved}`;
}

/**
 * What a run changed in /mnt/data could not be copied out of the sandbox (DATA_DIR is full,
 * say): still in the live container, unless `lost` says that container is gone too.
 */
export function unkeptFilesNotice(fault: StorageFault | null, detail: string, lost: boolean): string {
  const why = fault ? `the bot's storage refused it: ${storageFaultWords(fault)}` : detail;
  const start = `The files the last run changed in /mnt/data could not be saved outside the sandbox (${why})`;
  if (lost) {
    return `${start}, and the sandbox stopped before they could be: those changes are lost; the files restored are from the last run that was saved.`;
  }
  const admin = fault ? ` An admin must ${STORAGE_FIX[fault]} (the bot's DATA_DIR).` : "";
  return `${start}. They are still here, but would be lost if this sandbox stopped; they are saved with the next run once that works again.${admin}`;
}

const STORAGE_FIX: Record<StorageFault, string> = {
  full: "free space on the bot's disk",
  "read-only": "make the bot's data folder writable again",
  "no-permission": "give the bot's user write permission on its data folder again",
};

export function idleRestartNotice(reason: string): string {
  return `Python restarted since the last run (${reason}): variables and imports are gone; files in /mnt/data were kept.`;
}

function dataFullNotice(full: DataFull): string {
  const limit = full.filesFull
    ? `it holds at most ${full.maxFiles.toLocaleString("en-US")} files and folders`
    : `it holds at most ${humanSize(full.maxBytes)}`;
  return `/mnt/data is full (${limit}), so writing more fails with "No space left on device". Delete files you no longer need; the session and its other files are fine.`;
}

/** Retention removed the conversation's kept files while it was not used. */
export function expiredNotice(retentionDays: number | null): string {
  const after = retentionDays ? `after ${retentionDays} day(s) without use` : "after a long time without use";
  return `This conversation's files were removed ${after} (the retention time an admin sets with SESSION_RETENTION_DAYS), so its sandbox starts empty: variables, imports and files from before are gone.`;
}

/** A suspended conversation picked up again: what came back, and what could not. */
export function resumedNotice(
  files: RestoreSummary,
  variables: {
    restored: string[];
    modules: string[];
    failed: Array<[string, string]>;
    skipped: Array<[string, string]>;
  },
): string {
  const shown = variables.restored
    .slice(0, 6)
    .map((name) => `\`${name}\``)
    .join(", ");
  const more = variables.restored.length > 6 ? ` and ${variables.restored.length - 6} more` : "";
  const parts = [
    `This conversation's sandbox was suspended and is back: restored ${variables.restored.length} variable(s)${shown ? ` (${shown}${more})` : ""}, ${variables.modules.length} import(s) and ${files.files} file(s).`,
  ];
  const lost = [
    ...variables.skipped.map(([name, type]) => `\`${name}\` (a ${type})`),
    ...variables.failed.map(([name, why]) => `\`${name}\` (${why})`),
  ];
  if (lost.length > 0) {
    parts.push(
      `${lost.slice(0, 6).join(", ")}${lost.length > 6 ? ` and ${lost.length - 6} more` : ""} could not be kept: run the code that made them again.`,
    );
  }
  if (files.missing.length > 0)
    parts.push(`${files.missing.length} file(s) could not be restored (the kept copy was damaged).`);
  return parts.join(" ");
}

const CANCELLED_WHILE: Record<RunStage["stage"], string> = {
  // Also when it was cancelled before it asked: either way, nothing of it ran.
  queued: "before it started",
  starting: "while its sandbox was starting",
  restoring: "while this conversation's files and variables were being restored",
  running: "as it started",
};

/** A run cancelled before its code reached Python, at the stage it had got to. */
export function cancelledBeforeRunNotice(stage: RunStage["stage"]): string {
  return `The run was cancelled ${CANCELLED_WHILE[stage]}; the code did not run.`;
}
