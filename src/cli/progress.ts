import { duration } from './format.ts';
import type { Output } from './io.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\u001b[2K';

/**
 * Waits for `work`, showing a spinner and the elapsed time on a terminal (stderr, so stdout
 * stays clean for pipes). Off a terminal it shows nothing. The line is cleared when done.
 */
export async function withProgress<T>(
  out: Output,
  label: string,
  work: Promise<T>,
  now: () => number = () => performance.now(),
): Promise<T> {
  if (!out.isTTY) return work;
  const started = now();
  let frame = 0;
  const draw = () =>
    void out.write(
      `${CLEAR_LINE}${FRAMES[frame++ % FRAMES.length]} ${label} ${duration((now() - started) / 1000)}`,
    );
  draw();
  const timer = setInterval(draw, 100);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    out.write(CLEAR_LINE);
  }
}

/**
 * A bar for work done in parts (`[#####.....] 5,000/10,000 label`), on a terminal only (stderr);
 * `done()` clears it.
 */
export function progressBar(out: Output, total: number, label: string) {
  const width = 30;
  const draw = (count: number) => {
    if (!out.isTTY) return;
    const filled = total ? Math.round((count / total) * width) : width;
    out.write(
      `${CLEAR_LINE}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count.toLocaleString('en')}/${total.toLocaleString('en')} ${label}`,
    );
  };
  draw(0);
  return {
    update: draw,
    done: () => void (out.isTTY && out.write(CLEAR_LINE)),
  };
}

/** What `rosterctl sync run` shows of a run it follows. */
export interface RunProgressView {
  readonly phase: string;
  readonly callsDone: number;
  readonly callsPlanned: number | null;
  readonly etaSeconds: number | null;
}

/** `[#####.....] 12/52 calls, applying, ETA 40s`: a bar once the calls are known, else the phase. */
export function runProgressLine(p: RunProgressView, elapsedSeconds: number): string {
  const width = 30;
  const eta = p.etaSeconds === null ? '' : `, ETA ${duration(p.etaSeconds)}`;
  if (p.callsPlanned === null || p.callsPlanned === 0)
    return `${p.phase}, ${p.callsDone} calls, ${duration(elapsedSeconds)}`;
  const filled = Math.min(width, Math.round((p.callsDone / p.callsPlanned) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.callsDone}/${p.callsPlanned} calls, ${p.phase}${eta}, ${duration(elapsedSeconds)}`;
}

/** Draws a followed run's progress on a terminal (stderr); `done()` clears the line. */
export function runProgress(out: Output, label: string, now: () => number = () => performance.now()) {
  const started = now();
  return {
    update(p: RunProgressView) {
      if (out.isTTY) out.write(`${CLEAR_LINE}${label} ${runProgressLine(p, (now() - started) / 1000)}`);
    },
    done: () => void (out.isTTY && out.write(CLEAR_LINE)),
  };
}
