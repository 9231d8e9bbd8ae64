import type { Handler } from '../handler.js';
import { describeImages, describeInstanceTypes } from './catalog-actions.js';
import { createTags, describeInstances, startInstances, stopInstances, terminateInstances } from './instances.js';
import { deleteKeyPair, describeKeyPairs, importKeyPair } from './keys.js';
import {
  authorizeSecurityGroupIngress, createSecurityGroup, deleteSecurityGroup, describeAvailabilityZones, describeSecurityGroups, describeSubnets,
  describeVpcs, revokeSecurityGroupIngress,
} from './network.js';
import { runInstances } from './run.js';

/** The EC2 actions this fake answers; any other is InvalidAction, as for an action EC2 does not have. */
export const EC2_ACTIONS: Record<string, Handler> = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  TerminateInstances: terminateInstances,
  StopInstances: stopInstances,
  StartInstances: startInstances,
  CreateTags: createTags,
  DescribeInstanceTypes: describeInstanceTypes,
  DescribeImages: describeImages,
  DescribeSubnets: describeSubnets,
  DescribeVpcs: describeVpcs,
  DescribeAvailabilityZones: describeAvailabilityZones,
  CreateSecurityGroup: createSecurityGroup,
  DeleteSecurityGroup: deleteSecurityGroup,
  DescribeSecurityGroups: describeSecurityGroups,
  AuthorizeSecurityGroupIngress: authorizeSecurityGroupIngress,
  RevokeSecurityGroupIngress: revokeSecurityGroupIngress,
  ImportKeyPair: importKeyPair,
  DeleteKeyPair: deleteKeyPair,
  DescribeKeyPairs: describeKeyPairs,
};
