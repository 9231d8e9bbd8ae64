import type { PolicyDocument } from '../policy.js';

export interface Role {
  name: string;
  id: string;
  arn: string;
  path: string;
  assumeRolePolicy: string;
  description?: string;
  maxSessionDuration: number;
  created: number;
  tags: { Key: string; Value: string }[];
  /** inline policies by name: the text as put, and its parsed form */
  policies: Map<string, { text: string; doc: PolicyDocument }>;
}

export interface InstanceProfile {
  name: string;
  id: string;
  arn: string;
  path: string;
  created: number;
  roleNames: string[];
  /** when it was made or last given a role: IAM propagation is counted from here */
  changed: number;
  tags: { Key: string; Value: string }[];
}

/** Temporary credentials IMDS handed an instance for its profile's role. */
export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  token: string;
  roleName: string;
  instanceId: string;
  issued: number;
  expires: number;
}
