/**
 * The page's status indicator: what a conversation's request is doing right now (queued,
 * working, starting or restoring a sandbox, running code), read off the reply events as they
 * pass to the presenter. Chat platforms show a reaction and typing; a page can say more, and
 * says it live without keeping it in the transcript. Pure.
 */
import type { ReplyEvent } from "../../src/present/reply-events.ts";

export type ActivityState = "idle" | "queued" | "working" | "starting" | "restoring" | "running-code";

export interface Activity {
  state: ActivityState;
  /** What the indicator says. */
  label: string;
}

export const IDLE: Activity = { state: "idle", label: "" };
const WORKING: Activity = { state: "working", label: "Working…" };
const RUNNING: Activity = { state: "running-code", label: "Running code…" };

/** The activity after `event`, or null when the event does not change it. */
export function activityAfter(event: ReplyEvent): Activity | null {
  switch (event.type) {
    case "status":
      switch (event.status) {
        case "queued":
          return { state: "queued", label: "Queued: waiting for the request before this one." };
        case "working":
          return WORKING;
        case "running-code":
          return RUNNING;
        default:
          return IDLE;
      }
    case "sandbox-stage":
      switch (event.stage.stage) {
        case "queued": {
          const ahead = event.stage.ahead;
          const place =
            ahead <= 0 ? "next in line" : `${ahead} ${ahead === 1 ? "request" : "requests"} ahead`;
          return { state: "queued", label: `Queued for a sandbox: ${place}.` };
        }
        case "starting":
          return { state: "starting", label: "Starting a sandbox…" };
        case "restoring":
          return { state: "restoring", label: "Restoring this conversation's files…" };
        case "running":
          return RUNNING;
      }
      return null;
    case "code":
      return RUNNING;
    case "code-result":
      return WORKING;
    default:
      return null;
  }
}

/**
 * One conversation's indicator over all its requests, oldest first: the oldest is the one that
 * runs (the core runs a conversation's requests in order), and the rest wait behind it.
 */
export function summarize(activities: Activity[]): Activity {
  const active = activities.filter((activity) => activity.state !== "idle");
  const [first] = active;
  if (!first) return IDLE;
  const waiting = active.length - 1;
  return waiting > 0 ? { state: first.state, label: `${first.label} (${waiting} more waiting)` } : first;
}
