import type { AuthorizationRequest } from '@writ/core';
import type { PrincipalRef } from '@writ/core/plugin';

/**
 * Cedar entity type names of the Writ model (namespace `Writ`).
 *
 * @internal
 * @example
 * ```ts
 * const call = toCedarRequest(request);
 * const agents = call.entities.filter((e) => e.uid.type === CEDAR_TYPES.agent).map((e) => e.uid.id);
 * ```
 */
export const CEDAR_TYPES = Object.freeze({
  human: 'Writ::Human',
  agent: 'Writ::Agent',
  tool: 'Writ::Tool',
  resource: 'Writ::Resource',
  action: 'Writ::Action',
});

/**
 * The Cedar action every tool call is.
 *
 * @internal
 * @example
 * ```ts
 * const call = toCedarRequest(request);
 * call.action; // { type: 'Writ::Action', id: CALL_TOOL_ACTION }
 * ```
 */
export const CALL_TOOL_ACTION = 'call_tool';

type Uid = { type: string; id: string };
type CedarValue =
  | string
  | number
  | boolean
  | CedarValue[]
  | { [key: string]: CedarValue }
  | { __entity: Uid };
interface CedarEntity {
  uid: Uid;
  attrs: Record<string, CedarValue>;
  parents: Uid[];
}

/**
 * A Cedar authorization call (principal, action, resource, context, entities) for one request.
 *
 * @example
 * ```ts
 * const call: CedarRequest = toCedarRequest(request);
 * console.log(`${call.principal.id} -> ${call.resource.id}`, call.context.inScope);
 * ```
 */
export interface CedarRequest {
  readonly principal: Uid;
  readonly action: Uid;
  readonly resource: Uid;
  readonly context: Record<string, CedarValue>;
  readonly entities: CedarEntity[];
}

/**
 * Extra context entries for your own schema extensions. Values must be Cedar JSON.
 *
 * @example
 * ```ts
 * // with `tenant: String` added to the context of `call_tool` in your schema
 * const extendContext: CedarContextExtension = (request) => ({
 *   tenant: request.subject.properties.requester?.id.split('@')[1] ?? 'internal',
 * });
 * const policy = await createCedarEngine({ policies: './policies', schema: './writ.cedarschema', extendContext });
 * ```
 */
export type CedarContextExtension = (request: AuthorizationRequest) => Record<string, unknown>;

const agentEntity = (p: Pick<PrincipalRef, 'id' | 'name' | 'assurance'>): CedarEntity => ({
  uid: { type: CEDAR_TYPES.agent, id: p.id },
  attrs: { name: p.name ?? p.id, assurance: p.assurance ?? 'asserted' },
  parents: [],
});

/**
 * The id of the `Writ::Resource` entity for a call's target: `<type>::<id>`, with `%` and `:` in the type
 * percent-encoded (`%25`, `%3A`) so the first `::` always ends the type. Distinct resources never share an
 * entity (`Order` + `Line::7` is `Order::Line::7`; `Order::Line` + `7` is `Order%3A%3ALine::7`); a type
 * without `:` or `%` (the usual case) reads as written. The id is never altered.
 *
 * @example
 * ```ts
 * resourceEntityId('Order', 'o-1'); // 'Order::o-1'
 * resourceEntityId('crm:Account', '42'); // 'crm%3AAccount::42'
 * ```
 */
export function resourceEntityId(type: string, id: string): string {
  const safeType = type.includes(':') || type.includes('%') ? type.replace(/[%:]/g, escapeTypeChar) : type;
  return `${safeType}::${id}`;
}

const escapeTypeChar = (c: string): string => (c === '%' ? '%25' : '%3A');

/**
 * Maps Writ's AuthZEN-shaped request onto the Cedar model in `policies/writ.cedarschema`:
 * principal `Writ::Agent::"<spiffe id>"`, action `Writ::Action::"call_tool"`, resource
 * `Writ::Tool::"<tool name>"` (risk and annotations as attributes), and a context with intent, scope,
 * inScope, risk, environment, data classification, chain depth, requester, chain and the target resource.
 * Only keys the schema declares are passed (Cedar refuses unknown request fields); add your own with
 * `extendContext` and a matching schema.
 *
 * @example
 * ```ts
 * const call = toCedarRequest(request);
 * call.principal; // { type: 'Writ::Agent', id: 'spiffe://writ.local/agent/support' }
 * ```
 */
export function toCedarRequest(
  request: AuthorizationRequest,
  extendContext?: CedarContextExtension,
): CedarRequest {
  const { subject, action, resource, context } = request;
  const subjectProps = subject.properties;
  const principal: Uid = { type: CEDAR_TYPES.agent, id: subject.id };
  const tool: Uid = { type: CEDAR_TYPES.tool, id: action.name };
  const target: Uid = { type: CEDAR_TYPES.resource, id: resourceEntityId(resource.type, resource.id) };
  const p = action.properties;
  const toolAttrs: Record<string, CedarValue> = {
    risk: p.risk,
    readOnly: p.readOnly === true,
    destructive: p.destructive !== false,
    idempotent: p.idempotent === true,
    openWorld: p.openWorld !== false,
    permission: p.permission,
    toolType: p.toolType,
  };
  if (typeof p.audience === 'string') toolAttrs.audience = p.audience;

  const entities = new Map<string, CedarEntity>();
  const add = (e: CedarEntity) => entities.set(`${e.uid.type}\u0000${e.uid.id}`, e);
  add(
    agentEntity({ id: subject.id, name: subjectProps.name, assurance: subjectProps.assurance ?? 'asserted' }),
  );
  add({ uid: tool, attrs: toolAttrs, parents: [] });
  add({ uid: target, attrs: { kind: resource.type, id: resource.id }, parents: [] });
  for (const agent of subjectProps.chain) add(agentEntity(agent));

  const cedarContext: Record<string, CedarValue> = {
    taskId: context.taskId,
    correlationId: context.correlationId,
    scope: [...context.scope],
    inScope: context.inScope,
    risk: context.risk,
    environment: context.environment,
    chainDepth: context.chainDepth,
    autonomous: context.autonomous,
    chain: subjectProps.chain.map((a) => ({ __entity: { type: CEDAR_TYPES.agent, id: a.id } })),
    target: { __entity: target },
    argsDigest: context.argsDigest,
  };
  if (context.toolCallId !== undefined) cedarContext.toolCallId = context.toolCallId;
  if (context.intent !== undefined) cedarContext.intent = context.intent;
  if (context.dataClassification !== undefined) cedarContext.dataClassification = context.dataClassification;
  const requester = subjectProps.requester;
  if (requester !== null) {
    const uid = { type: CEDAR_TYPES.human, id: requester.id };
    add({ uid, attrs: { assurance: requester.assurance }, parents: [] });
    cedarContext.requester = { __entity: uid };
  }
  if (extendContext) Object.assign(cedarContext, extendContext(request) as Record<string, CedarValue>);
  return {
    principal,
    action: { type: CEDAR_TYPES.action, id: CALL_TOOL_ACTION },
    resource: tool,
    context: cedarContext,
    entities: [...entities.values()],
  };
}
