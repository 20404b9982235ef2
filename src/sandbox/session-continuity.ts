/**
 * What carries a conversation from one container to the next: its kept files and variables
 * (kept-files.ts, variables-snapshot.ts), and the sentences its next run owes the person about
 * what a new container lost, got back or could not keep. ContainerSession decides when; this
 * class does the keeping and the restoring, and remembers what to say.
 */
import { errorMessage } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { type StorageFault, storageFaultOf } from "../store/storage-fault.ts";
import type { AttachedContainer } from "./container-runtime.ts";
import { type KeptFiles, NOTHING_RESTORED, type RestoreSummary } from "./kept-files.ts";
import {
  containerLostNotice,
  expiredNotice,
  freshStartNotice,
  resumedNotice,
  unkeptFilesNotice,
} from "./notices.ts";
import type { SupervisorClient } from "./supervisor-client.ts";
import type { ResultMessage } from "./supervisor-protocol.ts";
import {
  type RestoreSummaryOfVariables,
  restoreVariables,
  STATE_PATH,
  snapshotVariables,
} from "./variables-snapshot.ts";

/** A copy of a run's files out of the sandbox that failed, and whether the person was told. */
interface UnkeptFiles {
  fault: StorageFault | null;
  detail: string;
  /** The container holding the files is gone, so they are too. */
  lost: boolean;
  said: boolean;
}

/** How long pickling or loading a namespace may take. */
const VARIABLES_TIMEOUT_MS = 60_000;

export class SessionContinuity {
  /** Why the last container was lost, until the next run says so. */
  private loss: string | null = null;
  /** What the current container got back from the kept files, until the next run says so. */
  private restored: RestoreSummary | null = null;
  /** What came back of the variables in the current container, until the next run says so. */
  private variables: (RestoreSummaryOfVariables & { skipped: Array<[string, string]> }) | null = null;
  /** Set when retention removed the kept state: the days it allowed (or null), until said. */
  private expiry: { days: number | null } | null = null;
  /**
   * Why the last copy of a run's files out of the sandbox failed (a full disk, say), until a
   * copy succeeds: the next run says so, and the next copy compares the whole folder, so what
   * was missed is kept once there is room again.
   */
  private unkept: UnkeptFiles | null = null;
  /**
   * The last run's changes were still being copied out when its container was lost: the kept
   * files are the run before's, and the notice about the lost container says so.
   */
  private lastRunUnsaved = false;

  constructor(
    /** Where the conversation's state is kept between containers; null keeps nothing. */
    private readonly kept: KeptFiles | null,
    /** The most a kept file (or the pickled namespace) may weigh: the size of /mnt/data. */
    private readonly maxBytes: number,
    private readonly logger: Logger,
  ) {}

  /** Whether files outlive the container (then a lost container does not lose them). */
  get keepsFiles(): boolean {
    return this.kept !== null;
  }

  noteLoss(reason: string): void {
    this.loss = reason;
  }

  /** Gives a container of the conversation what it should start with. */
  async prepare(attached: AttachedContainer, onRestoring?: () => void): Promise<void> {
    if (!this.kept) return;
    if (attached.adopted) {
      // The live kernel has the variables; a copy kept at shutdown is older.
      await this.kept.clearState();
      return;
    }
    // Changes that never made it out of the lost container are gone with it: the next run says so.
    if (this.unkept) this.unkept = { ...this.unkept, lost: true, said: false };
    const expiredDays = await this.kept.takeExpiry();
    if (expiredDays !== null) this.expiry = { days: expiredDays };
    // Kept state means the conversation had a sandbox before, which is now gone: that is said.
    this.restored = await this.kept.restore((path, data) => attached.client.putFile(path, data), onRestoring);
    if (this.restored === null) {
      await this.kept.ensure();
      return;
    }
    this.logger.info({ files: this.restored.files, bytes: this.restored.bytes }, "restored kept files");
    await this.restoreVariables(attached.client);
  }

  /**
   * The work that copies what a run changed in /mnt/data out of the container, or null when
   * there is nothing to copy. The session queues it behind the run.
   */
  changesToKeep(result: ResultMessage, client: SupervisorClient): (() => Promise<void>) | null {
    const kept = this.kept;
    if (!kept) return null;
    const incomplete = result.moreFiles > 0 || result.moreRemovedFiles > 0 || this.unkept !== null;
    if (result.files.length === 0 && result.removedFiles.length === 0 && !incomplete) return null;
    return async () => {
      try {
        await kept.record(
          { changed: result.files, removed: result.removedFiles, incomplete },
          {
            read: (path) => client.getFile(path, this.maxBytes),
            list: () => client.listFiles(),
            lost: () => client.broken !== null,
          },
        );
        this.unkept = null;
        this.lastRunUnsaved = false;
      } catch (error) {
        // A lost container is said by the next run anyway, with what of this run it lost; only the
        // host's own failure is news of its own.
        if (client.broken === null) this.noteUnkept(error);
        else this.lastRunUnsaved = true;
        throw error;
      }
    };
  }

  /** Pickles the namespace and keeps it beside the files; a failure is logged, not thrown. */
  async keepVariables(client: SupervisorClient): Promise<void> {
    if (!this.kept || client.broken) return;
    try {
      const summary = await snapshotVariables(client, VARIABLES_TIMEOUT_MS);
      const data = await client.getFile(STATE_PATH, this.maxBytes);
      await this.kept.saveState(data, summary.skipped);
      this.logger.info(
        { kept: summary.kept.length, skipped: summary.skipped.length },
        "kept the session's variables",
      );
    } catch (error) {
      this.logger.warn({ err: error }, "could not keep the session's variables");
    }
  }

  /** reset with clearFiles: nothing from before is kept, but the conversation still has a sandbox. */
  async startOver(): Promise<void> {
    await this.kept?.clear();
    await this.kept?.ensure();
  }

  /** close: the conversation is over. */
  async forget(): Promise<void> {
    await this.kept?.clear();
  }

  /** Marks the conversation as used now, for the retention time. */
  async touch(): Promise<void> {
    await this.kept?.touch();
  }

  /** The sentences about what a new container lost and got back, once, for the next run. */
  takeStartNotices(): { notices: string[]; filesLost: boolean } {
    const start = this.takeContainerNotices();
    const unkept = this.unkept;
    if (unkept === null || unkept.said) return start;
    unkept.said = true;
    // Lost with their container: said once, and there is nothing left to catch up on.
    if (unkept.lost) this.unkept = null;
    return {
      notices: [...start.notices, unkeptFilesNotice(unkept.fault, unkept.detail, unkept.lost)],
      filesLost: start.filesLost || unkept.lost,
    };
  }

  private takeContainerNotices(): { notices: string[]; filesLost: boolean } {
    const { loss, restored, expiry, variables, lastRunUnsaved } = this;
    this.lastRunUnsaved = false;
    this.loss = null;
    this.restored = null;
    this.expiry = null;
    this.variables = null;
    if (expiry) return { notices: [expiredNotice(expiry.days)], filesLost: true };
    if (loss) {
      const files = this.kept ? (restored ?? NOTHING_RESTORED) : null;
      return {
        notices: [containerLostNotice(loss, "already", files, lastRunUnsaved)],
        filesLost: files === null || files.missing.length > 0 || lastRunUnsaved,
      };
    }
    if (variables)
      return { notices: [resumedNotice(restored ?? NOTHING_RESTORED, variables)], filesLost: false };
    return { notices: restored ? [freshStartNotice(restored)] : [], filesLost: false };
  }

  private noteUnkept(error: unknown): void {
    const fault = storageFaultOf(error);
    const detail = errorMessage(error);
    // Said once while it lasts; a different failure is news again.
    const said = this.unkept?.fault === fault && (fault !== null || this.unkept.detail === detail);
    this.unkept = { fault, detail, lost: false, said };
  }

  private async restoreVariables(client: SupervisorClient): Promise<void> {
    const state = await this.kept?.loadState();
    if (!state) return;
    try {
      await client.putFile(STATE_PATH, state.data);
      const summary = await restoreVariables(client, VARIABLES_TIMEOUT_MS);
      this.variables = { ...summary, skipped: state.skipped };
    } catch (error) {
      this.logger.warn({ err: error }, "could not restore the session's variables");
      this.variables = {
        restored: [],
        modules: [],
        failed: [["(all)", "the kept copy could not be loaded"]],
        skipped: state.skipped,
      };
    }
    await this.kept?.clearState();
  }
}
