import { z } from 'zod';
import { validateOptions } from './options.js';
import { functionSchema, lazySchema } from './schemas.js';
import { isValidScopeItem } from './scope.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { isStandardSchema } from './standard-schema.js';
import type { ToolAnnotations, ToolDescription } from './tool.js';
import type { Resource, Risk, ToolType } from './tool-call.js';

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

const descriptionSchema = lazySchema(() =>
  z.strictObject({
    name: z.string().regex(TOOL_NAME, 'must match [A-Za-z0-9_.-]{1,128}'),
    description: z.string().max(4096).optional(),
    input: z
      .custom(isStandardSchema, { message: 'must be a zod schema (or any Standard Schema)' })
      .optional(),
    resource: functionSchema('must be a function (args) => Resource').optional(),
    risk: z.enum(['low', 'medium', 'high']).optional(),
    audience: z.string().min(1).max(2048).optional(),
    permission: z.string().refine(isValidScopeItem, 'must be a valid scope item').optional(),
    type: z.enum(['function', 'extension', 'datastore']).optional(),
    annotations: z
      .strictObject({
        readOnly: z.boolean().optional(),
        destructive: z.boolean().optional(),
        idempotent: z.boolean().optional(),
        openWorld: z.boolean().optional(),
      })
      .optional(),
    dataClassification: z
      .union([z.string().min(1), functionSchema('must be a string or a function')])
      .optional(),
    execute: functionSchema().optional(),
    writ: z
      .custom((v) => typeof v === 'object' && v !== null, { message: 'must be a Writ instance' })
      .optional(),
  }),
);

/** A tool description, validated and with its defaults filled in: what the pipeline runs. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string | undefined;
  readonly input: StandardSchemaV1 | undefined;
  readonly resource: ((args: unknown) => Resource) | undefined;
  readonly risk: Risk;
  readonly audience: string | undefined;
  readonly permission: string;
  readonly type: ToolType;
  readonly annotations: Readonly<Required<ToolAnnotations>>;
  readonly dataClassification: string | ((args: unknown) => string | undefined) | undefined;
}

/** Validates a tool description and fills in defaults. @internal */
export function defineTool(description: ToolDescription, fn: string): ToolDefinition {
  const d = validateOptions(descriptionSchema, description, fn);
  const readOnly = d.annotations?.readOnly ?? false;
  return Object.freeze({
    name: d.name,
    description: d.description,
    input: description.input,
    resource: description.resource as ToolDefinition['resource'],
    risk: d.risk ?? 'medium',
    audience: d.audience,
    permission: d.permission ?? d.name,
    type: d.type ?? 'function',
    annotations: Object.freeze({
      readOnly,
      destructive: d.annotations?.destructive ?? !readOnly,
      idempotent: d.annotations?.idempotent ?? false,
      openWorld: d.annotations?.openWorld ?? true,
    }),
    dataClassification: description.dataClassification as ToolDefinition['dataClassification'],
  });
}
