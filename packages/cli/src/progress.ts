import cliProgress from 'cli-progress';
import { isTty } from './io.js';

/**
 * A progress indicator: a `cli-progress` bar on a terminal, nothing otherwise.
 *
 * @example
 * ```ts
 * const progress = createProgress(process.stderr, { label: 'verify', unit: 'records', total: 120_000 });
 * progress.update(10_000);
 * progress.stop();
 * ```
 */
export interface Progress {
  /** Moves the bar to `value` (grows the total when `value` passes it). */
  update(value: number): void;
  /** Removes the bar. Safe to call twice. */
  stop(): void;
}

/**
 * Options of {@link createProgress}.
 *
 * @example
 * ```ts
 * const options: CreateProgressOptions = { label: 'reading', unit: 'records', total: undefined };
 * ```
 */
export interface CreateProgressOptions {
  /** Shown before the bar. */
  label: string;
  /** What is counted. @default 'records' */
  unit?: string;
  /** Expected total, when known (a bar); otherwise a running count. */
  total?: number | undefined;
}

const NONE: Progress = Object.freeze({ update() {}, stop() {} });

/**
 * Starts a progress bar on `out` (stderr) only when it is a terminal, so that redirected output and
 * `--json` consumers never see control characters. The bar is drawn lazily on the first update.
 *
 * @example
 * ```ts
 * const progress = createProgress(process.stderr, { label: 'verify', total: 50_000 });
 * await verifyLog(dir, { onProgress: (n) => progress.update(n) });
 * progress.stop();
 * ```
 */
export function createProgress(out: NodeJS.WritableStream, options: CreateProgressOptions): Progress {
  if (!isTty(out)) return NONE;
  const unit = options.unit ?? 'records';
  let total = options.total !== undefined && options.total > 0 ? options.total : undefined;
  const format =
    total === undefined
      ? `${options.label} {value} ${unit}`
      : `${options.label} [{bar}] {percentage}% {value}/{total} ${unit} | eta {eta_formatted}`;
  const bar = new cliProgress.SingleBar(
    { stream: out, format, hideCursor: true, clearOnComplete: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let stopped = false;
  return {
    update(value: number) {
      if (stopped) return;
      if (!started) {
        bar.start(total ?? value, 0);
        started = true;
      }
      if (total === undefined || value > total) {
        total = value;
        bar.setTotal(value);
      }
      bar.update(value);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (started) bar.stop();
    },
  };
}
