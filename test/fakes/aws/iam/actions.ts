// IAM: roles with inline policies, instance profiles holding one role. STS: who signed.
import { authorize } from '../authz.js';
import type { Cloud, Principal } from '../cloud.js';
import { ApiError } from '../errors.js';
import type { Handler } from '../handler.js';
import { parsePolicy } from '../policy.js';
import { num, str, trees, type QueryTree } from '../wire/query.js';
import type { XmlObject } from '../wire/xml.js';
import type { InstanceProfile, Role } from './model.js';

const required = (p: QueryTree, key: string): string => {
  const v = str(p, key);
  if (v === undefined || v === '') throw new ApiError('ValidationError', `1 validation error detected: Value null at '${key.charAt(0).toLowerCase()}${key.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return v;
};
const noRole = (name: string): ApiError => new ApiError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
const noProfile = (name: string): ApiError => new ApiError('NoSuchEntity', `Instance Profile ${name} cannot be found.`, 404);

function role(cloud: Cloud, name: string): Role {
  const r = cloud.roles.get(name);
  if (r === undefined) throw noRole(name);
  return r;
}

function profile(cloud: Cloud, name: string): InstanceProfile {
  const pr = cloud.profiles.get(name);
  if (pr === undefined) throw noProfile(name);
  return pr;
}

function roleXml(r: Role): XmlObject {
  // IAM hands the trust policy back URL-encoded; callers decode it themselves.
  return {
    Path: r.path, RoleName: r.name, RoleId: r.id, Arn: r.arn, CreateDate: new Date(r.created),
    AssumeRolePolicyDocument: encodeURIComponent(r.assumeRolePolicy), Description: r.description, MaxSessionDuration: r.maxSessionDuration,
    Tags: r.tags.length === 0 ? undefined : r.tags,
  };
}

function profileXml(cloud: Cloud, pr: InstanceProfile): XmlObject {
  return {
    Path: pr.path, InstanceProfileName: pr.name, InstanceProfileId: pr.id, Arn: pr.arn, CreateDate: new Date(pr.created),
    Roles: pr.roleNames.map((n) => cloud.roles.get(n)).filter((r): r is Role => r !== undefined).map(roleXml),
    Tags: pr.tags.length === 0 ? undefined : pr.tags,
  };
}

/** Role credentials may call IAM only as far as their policy allows. */
function check(cloud: Cloud, who: Principal, action: string, resource: string): void {
  authorize(cloud, who, 'iam', [{ action: `iam:${action}`, resource, context: {} }]);
}

const roleArn = (cloud: Cloud, path: string, name: string): string => `arn:aws:iam::${cloud.account}:role${path}${name}`;
const profileArn = (cloud: Cloud, path: string, name: string): string => `arn:aws:iam::${cloud.account}:instance-profile${path}${name}`;
const readTags = (p: QueryTree): { Key: string; Value: string }[] => trees(p, 'Tags').map((t) => ({ Key: str(t, 'Key') ?? '', Value: str(t, 'Value') ?? '' }));

export const IAM_ACTIONS: Record<string, Handler> = {
  CreateRole: ({ cloud, p, who }) => {
    const name = required(p, 'RoleName');
    const trust = required(p, 'AssumeRolePolicyDocument');
    const path = str(p, 'Path') ?? '/';
    check(cloud, who, 'CreateRole', roleArn(cloud, path, name));
    if (cloud.roles.has(name)) throw new ApiError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
    try { JSON.parse(trust); } catch { throw new ApiError('MalformedPolicyDocument', 'The trust policy is not valid JSON.'); }
    const r: Role = {
      name, path, id: `AROA${cloud.secret(12).toUpperCase()}`, arn: roleArn(cloud, path, name), assumeRolePolicy: trust, description: str(p, 'Description'),
      maxSessionDuration: num(p, 'MaxSessionDuration') ?? 3600, created: cloud.now(), tags: readTags(p), policies: new Map(),
    };
    cloud.roles.set(name, r);
    return { Role: roleXml(r) };
  },
  GetRole: ({ cloud, p, who }) => {
    const r = role(cloud, required(p, 'RoleName'));
    check(cloud, who, 'GetRole', r.arn);
    return { Role: roleXml(r) };
  },
  DeleteRole: ({ cloud, p, who }) => {
    const r = role(cloud, required(p, 'RoleName'));
    check(cloud, who, 'DeleteRole', r.arn);
    if (r.policies.size > 0) throw new ApiError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
    if ([...cloud.profiles.values()].some((pr) => pr.roleNames.includes(r.name))) throw new ApiError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 409);
    cloud.roles.delete(r.name);
    return undefined;
  },
  PutRolePolicy: ({ cloud, p, who }) => {
    const r = role(cloud, required(p, 'RoleName'));
    const name = required(p, 'PolicyName');
    const text = required(p, 'PolicyDocument');
    check(cloud, who, 'PutRolePolicy', r.arn);
    r.policies.set(name, { text, doc: parsePolicy(text) });
    return undefined;
  },
  GetRolePolicy: ({ cloud, p, who }) => {
    const r = role(cloud, required(p, 'RoleName'));
    const name = required(p, 'PolicyName');
    check(cloud, who, 'GetRolePolicy', r.arn);
    const pol = r.policies.get(name);
    if (pol === undefined) throw new ApiError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
    return { RoleName: r.name, PolicyName: name, PolicyDocument: encodeURIComponent(pol.text) };
  },
  DeleteRolePolicy: ({ cloud, p, who }) => {
    const r = role(cloud, required(p, 'RoleName'));
    const name = required(p, 'PolicyName');
    check(cloud, who, 'DeleteRolePolicy', r.arn);
    if (!r.policies.delete(name)) throw new ApiError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
    return undefined;
  },
  CreateInstanceProfile: ({ cloud, p, who }) => {
    const name = required(p, 'InstanceProfileName');
    const path = str(p, 'Path') ?? '/';
    check(cloud, who, 'CreateInstanceProfile', profileArn(cloud, path, name));
    if (cloud.profiles.has(name)) throw new ApiError('EntityAlreadyExists', `Instance Profile ${name} already exists.`, 409);
    const pr: InstanceProfile = { name, path, id: `AIPA${cloud.secret(12).toUpperCase()}`, arn: profileArn(cloud, path, name), created: cloud.now(), changed: cloud.now(), roleNames: [], tags: readTags(p) };
    cloud.profiles.set(name, pr);
    return { InstanceProfile: profileXml(cloud, pr) };
  },
  GetInstanceProfile: ({ cloud, p, who }) => {
    const pr = profile(cloud, required(p, 'InstanceProfileName'));
    check(cloud, who, 'GetInstanceProfile', pr.arn);
    return { InstanceProfile: profileXml(cloud, pr) };
  },
  DeleteInstanceProfile: ({ cloud, p, who }) => {
    const pr = profile(cloud, required(p, 'InstanceProfileName'));
    check(cloud, who, 'DeleteInstanceProfile', pr.arn);
    if (pr.roleNames.length > 0) throw new ApiError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 409);
    cloud.profiles.delete(pr.name);
    return undefined;
  },
  AddRoleToInstanceProfile: ({ cloud, p, who }) => {
    const pr = profile(cloud, required(p, 'InstanceProfileName'));
    const r = role(cloud, required(p, 'RoleName'));
    check(cloud, who, 'AddRoleToInstanceProfile', pr.arn);
    if (pr.roleNames.length > 0) throw new ApiError('LimitExceeded', 'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1', 409);
    pr.roleNames.push(r.name);
    pr.changed = cloud.now();
    return undefined;
  },
  RemoveRoleFromInstanceProfile: ({ cloud, p, who }) => {
    const pr = profile(cloud, required(p, 'InstanceProfileName'));
    const name = required(p, 'RoleName');
    check(cloud, who, 'RemoveRoleFromInstanceProfile', pr.arn);
    if (!pr.roleNames.includes(name)) throw noRole(name);
    pr.roleNames = pr.roleNames.filter((n) => n !== name);
    return undefined;
  },
};

export const STS_ACTIONS: Record<string, Handler> = {
  // Needs no permission, in AWS as here.
  GetCallerIdentity: ({ cloud, who }) => ({ UserId: who.userId, Account: cloud.account, Arn: who.arn }),
};
