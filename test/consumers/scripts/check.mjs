// The scenario with the packages loaded as ES modules.
import { createWrit } from '@writ/core';
import * as testing from '@writ/core/testing';
import { startWritTelemetry } from '@writ/otel';
import { z } from 'zod';
import scenario from './scenario.cjs';

await scenario({ createWrit, testing, startWritTelemetry, z });
