// The scenario with the packages loaded with require().
const { createWrit } = require('@writ/core');
const testing = require('@writ/core/testing');
const { startWritTelemetry } = require('@writ/otel');
const { z } = require('zod');
const scenario = require('./scenario.cjs');

scenario({ createWrit, testing, startWritTelemetry, z }).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
