import type { Platform } from './target.ts';

/** Where a run is: reading the directory and the platform, writing groups, applying memberships, recording. */
export type RunPhase = 'reading' | 'groups' | 'applying' | 'recording';

/** A run in progress as people follow it (`rosterctl sync run`, `sync runs`). */
export interface RunProgress {
  readonly runId: string;
  readonly platform: Platform;
  readonly target: string;
  readonly phase: RunPhase;
  readonly startedAt: string;
  /** Platform calls issued so far by this run. */
  readonly callsDone: number;
  /** Calls the run will have issued once applied; null until its plan is known. */
  readonly callsPlanned: number | null;
  /** Seconds left, from the pace of the apply so far (the platform's rate limit); null until known. */
  readonly etaSeconds: number | null;
}

export interface ProgressTracker {
  phase(phase: RunPhase, callsPlanned?: number): void;
  snapshot(): RunProgress;
}

/**
 * A run's progress: its phase, its calls (read live from the target's counter) and an ETA from the
 * pace of the apply so far, which is the platform's pace (TeamSpeak's flood budget, Discord's
 * member-edit limit). `clock` is in milliseconds (tests pass their own).
 */
export function trackProgress(
  run: {
    readonly runId: string;
    readonly platform: Platform;
    readonly target: string;
    readonly startedAt: Date;
  },
  calls: () => number,
  clock: () => number = () => performance.now(),
): ProgressTracker {
  let phase: RunPhase = 'reading';
  let planned: number | null = null;
  let apply: { at: number; calls: number } | null = null;
  return {
    phase(next, callsPlanned) {
      phase = next;
      if (callsPlanned !== undefined) planned = callsPlanned;
      if (next === 'applying') apply = { at: clock(), calls: calls() };
    },
    snapshot() {
      const done = calls();
      let eta: number | null = null;
      if (phase === 'applying' && apply && planned !== null) {
        const left = Math.max(0, planned - done);
        const elapsed = (clock() - apply.at) / 1000;
        const rate = elapsed > 0 ? (done - apply.calls) / elapsed : 0;
        eta = left === 0 ? 0 : rate > 0 ? Math.round(left / rate) : null;
      }
      return {
        runId: run.runId,
        platform: run.platform,
        target: run.target,
        phase,
        startedAt: run.startedAt.toISOString(),
        callsDone: done,
        callsPlanned: planned === null ? null : Math.max(planned, done),
        etaSeconds: eta,
      };
    },
  };
}
