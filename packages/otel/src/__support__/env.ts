// Test support: every test starts with no OTEL_* variables (the outer environment must not leak in) and
// gets the original environment back afterwards. OpenTelemetry globals are reset after each test.
import { context, diag, propagation, trace } from '@opentelemetry/api';
import { afterEach, beforeEach } from 'vitest';
import type { WritTelemetry } from '../index.js';

export function isolateOtel(): { track: (telemetry: WritTelemetry) => WritTelemetry } {
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
  return {
    track(telemetry) {
      started.push(telemetry);
      return telemetry;
    },
  };
}
