// IAM policy evaluation for the calls a role's credentials sign: explicit Deny wins, then any Allow, else denied.
// Only what a launcher's policy uses is understood; a document with anything else is refused when it is put, so a
// policy the fake cannot judge fails loudly instead of being judged wrongly.
import { ApiError } from './errors.js';

type OneOrMany = string | string[];
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: OneOrMany;
  Resource: OneOrMany;
  Condition?: Record<string, Record<string, OneOrMany>>;
}
export interface PolicyDocument {
  Version?: string;
  Statement: Statement[];
}

/** One action on one resource, with the condition keys AWS would put in its request context. */
export interface AuthzRequest {
  action: string;
  resource: string;
  /** condition keys, e.g. `aws:RequestTag/raylaunch-cluster-name`, `ec2:ResourceTag/…`, `ec2:CreateAction` */
  context: Record<string, string>;
}

const OPERATORS = ['StringEquals', 'StringNotEquals', 'StringLike', 'StringNotLike', 'StringEqualsIgnoreCase', 'ArnLike', 'ArnEquals', 'Bool'] as const;
type Operator = (typeof OPERATORS)[number];

const many = (v: OneOrMany): string[] => (Array.isArray(v) ? v : [v]);

/** `*` any run of characters, `?` one character, as IAM matches actions, resources and *Like conditions. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(value);
}

/** Parses and checks a policy document as PutRolePolicy receives it (MalformedPolicyDocument otherwise). */
export function parsePolicy(text: string): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ApiError('MalformedPolicyDocument', 'The policy is not valid JSON.');
  }
  const statements = (doc as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : statements === undefined ? [] : [statements];
  if (list.length === 0) throw new ApiError('MalformedPolicyDocument', 'The policy has no Statement.');
  for (const s of list as Partial<Statement>[]) {
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new ApiError('MalformedPolicyDocument', 'Each statement needs Effect Allow or Deny.');
    if (s.Action === undefined || s.Resource === undefined) throw new ApiError('MalformedPolicyDocument', 'Each statement needs Action and Resource (NotAction and NotResource are not modelled by this fake).');
    for (const op of Object.keys(s.Condition ?? {})) {
      if (!(OPERATORS as readonly string[]).includes(op)) throw new ApiError('MalformedPolicyDocument', `Condition operator ${op} is not modelled by this fake.`);
    }
  }
  return { Version: (doc as { Version?: string }).Version, Statement: list as Statement[] };
}

function conditionHolds(op: Operator, expected: string[], actual: string | undefined): boolean {
  // A negated operator holds when the key is absent, as in IAM; every other one fails.
  if (actual === undefined) return op === 'StringNotEquals' || op === 'StringNotLike';
  switch (op) {
    case 'StringEquals': case 'ArnEquals': return expected.includes(actual);
    case 'StringNotEquals': return !expected.includes(actual);
    case 'StringEqualsIgnoreCase': return expected.some((e) => e.toLowerCase() === actual.toLowerCase());
    case 'StringLike': case 'ArnLike': return expected.some((e) => wildcard(e, actual));
    case 'StringNotLike': return !expected.some((e) => wildcard(e, actual));
    case 'Bool': return expected.includes(actual);
  }
}

function lookup(context: Record<string, string>, key: string): string | undefined {
  // Condition key names are case-insensitive; tag keys after the slash are kept as written.
  const [prefix, ...rest] = key.split('/');
  const want = [prefix?.toLowerCase(), ...rest].join('/');
  for (const [k, v] of Object.entries(context)) {
    const [p, ...r] = k.split('/');
    if ([p?.toLowerCase(), ...r].join('/') === want) return v;
  }
  return undefined;
}

function matches(s: Statement, req: AuthzRequest): boolean {
  if (!many(s.Action).some((a) => wildcard(a, req.action, true))) return false;
  if (!many(s.Resource).some((r) => wildcard(r, req.resource))) return false;
  return Object.entries(s.Condition ?? {}).every(([op, keys]) =>
    Object.entries(keys).every(([key, values]) => conditionHolds(op as Operator, many(values), lookup(req.context, key))));
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export function evaluate(policies: PolicyDocument[], req: AuthzRequest): Decision {
  const statements = policies.flatMap((p) => p.Statement);
  if (statements.some((s) => s.Effect === 'Deny' && matches(s, req))) return 'explicit-deny';
  return statements.some((s) => s.Effect === 'Allow' && matches(s, req)) ? 'allow' : 'implicit-deny';
}
