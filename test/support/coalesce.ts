/**
 * Level-triggered work asked for by many callers at once (an autogroup rebuild reads the whole
 * directory, so one run serves every change made before it started): at most one run at a time,
 * and every call that arrives during a run shares the one run that starts after it. A burst of N
 * calls costs two runs, not N, and each caller still gets a run that saw its change.
 */
export function coalesced<T>(work: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  let next: Promise<T> | null = null;
  const start = (): Promise<T> => {
    const run = work().finally(() => {
      if (running === run) running = null;
    });
    running = run;
    return run;
  };
  return () => {
    if (!running) return start();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = null;
        return start();
      });
    return next;
  };
}
