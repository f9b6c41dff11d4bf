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
