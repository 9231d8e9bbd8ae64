/**
 * Choices `prepare()` makes from what EC2 lists: the subnets to launch in, in the order of the configured
 * availability zones, and the default image. Pure; the listings come in, the choice (or an error that says
 * what is missing where) goes out.
 */
import type { Image, Subnet } from '@aws-sdk/client-ec2';
import { ProviderConfigError } from '../errors.js';

/** Zones from provider.availability_zone ("us-west-2a, us-west-2b"), in order; empty: any. */
export function parseZones(availabilityZone: string | undefined): string[] {
  return (availabilityZone ?? '').split(',').map((z) => z.trim()).filter((z) => z !== '');
}

export interface SubnetChoice {
  vpcId: string;
  /** In launch order: by the configured zones' order, then by subnet id. */
  subnets: { id: string; zone: string }[];
}

/**
 * The VPC's subnets a node may launch in: available, in one of the zones (any zone when none is configured),
 * and assigning public IPs unless use_internal_ips. An error names the VPC and what is missing.
 */
export function chooseSubnets(vpcId: string, listed: readonly Subnet[], zones: readonly string[], useInternalIps: boolean): SubnetChoice {
  const inVpc = listed.filter((s) => s.VpcId === vpcId && s.SubnetId && s.AvailabilityZone);
  const available = inVpc.filter((s) => s.State === undefined || s.State === 'available');
  const inZones = zones.length === 0 ? available : available.filter((s) => zones.includes(s.AvailabilityZone ?? ''));
  const usable = useInternalIps ? inZones : inZones.filter((s) => s.MapPublicIpOnLaunch === true);
  if (usable.length === 0) {
    const where = zones.length ? `in availability zone${zones.length > 1 ? 's' : ''} ${zones.join(', ')}` : 'in any availability zone';
    const why = inVpc.length === 0
      ? `VPC ${vpcId} has no subnets`
      : inZones.length === 0
        ? `VPC ${vpcId} has no available subnet ${where} (its subnets are in ${[...new Set(inVpc.map((s) => s.AvailabilityZone))].sort().join(', ')})`
        : `none of VPC ${vpcId}'s subnets ${where} assigns public IP addresses (${inZones.map((s) => s.SubnetId).join(', ')} do not)`;
    throw new ProviderConfigError(`no subnet to launch in: ${why}`, {
      hint: inZones.length > 0 && !useInternalIps
        ? 'turn on "auto-assign public IPv4 address" for a subnet, or set provider.use_internal_ips: true when this machine reaches the VPC privately'
        : 'set provider.availability_zone to zones the VPC has subnets in, or name subnets with node_config.SubnetIds',
    });
  }
  const rank = (z: string) => (zones.includes(z) ? zones.indexOf(z) : zones.length);
  const subnets = usable.map((s) => ({ id: s.SubnetId ?? '', zone: s.AvailabilityZone ?? '' }))
    .sort((a, b) => rank(a.zone) - rank(b.zone) || a.zone.localeCompare(b.zone) || a.id.localeCompare(b.id));
  return { vpcId, subnets };
}

/** Canonical's account, the owner of the official Ubuntu images. */
export const UBUNTU_OWNER = '099720109477';
/** The current Ubuntu LTS server image name pattern for an architecture. */
export const ubuntuImageName = (arch: 'amd64' | 'arm64') => `ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-${arch}-server-*`;

/** The newest available image of the listing (by CreationDate, then name). */
export function newestImage(images: readonly Image[], region: string, arch: string): string {
  const ok = images.filter((i) => i.ImageId && (i.State === undefined || i.State === 'available'));
  ok.sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? '') || (b.Name ?? '').localeCompare(a.Name ?? ''));
  const best = ok[0]?.ImageId;
  if (!best) {
    throw new ProviderConfigError(`no Ubuntu 24.04 LTS image (${arch}, owner ${UBUNTU_OWNER}) is listed in ${region}`, { hint: 'set node_config.ImageId to an image of the region' });
  }
  return best;
}
