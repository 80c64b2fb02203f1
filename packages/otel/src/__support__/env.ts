// Test support: every test starts with no OTEL_* variables (the outer environment must not leak in) and
// gets the original environment back afterwards. OpenTelemetry globals are reset after each test.
import { context, diag, propagation, trace } from '@opentelemetry/api';
import { afterEach, beforeEach } from 'vitest';
import { type StartWritTelemetryOptions, startWritTelemetry, type WritTelemetry } from '../index.js';

export function isolateOtel(): {
  /** Shuts the telemetry down after the test. */
  track: (telemetry: WritTelemetry) => WritTelemetry;
  /** `startWritTelemetry`, tracked. */
  start: (options?: StartWritTelemetryOptions) => Promise<WritTelemetry>;
} {
  let saved: Record<string, string | undefined> = {};
  let started: WritTelemetry[] = [];
  beforeEach(() => {
    saved = {};
    for (const key of Object.keys(process.env)) {
      if (key.startsWith('OTEL_')) {
        saved[key] = process.env[key];
        delete process.env[key];
      }
    }
  });
  afterEach(async () => {
    await Promise.all(started.map((telemetry) => telemetry.shutdown()));
    started = [];
    for (const key of Object.keys(process.env)) {
      if (key.startsWith('OTEL_')) delete process.env[key];
    }
    Object.assign(process.env, saved);
    trace.disable();
    context.disable();
    propagation.disable();
    diag.disable();
  });
  const track = (telemetry: WritTelemetry) => {
    started.push(telemetry);
    return telemetry;
  };
  return { track, start: async (options) => track(await startWritTelemetry(options)) };
}
