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
