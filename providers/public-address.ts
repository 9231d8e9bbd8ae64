/**
 * The address range a cloud cluster's SSH rule admits, for every cloud provider: raylaunch.ssh_ingress_cidr, else
 * this machine's public address (asked of an address service whose URL a variable changes, so a test points it at
 * a loopback fake and no test asks the internet).
 */
import { ProviderConfigError } from './errors.js';

export const PUBLIC_IP_URL_VAR = 'RAYLAUNCH_PUBLIC_IP_URL';
export const DEFAULT_PUBLIC_IP_URL = 'https://checkip.amazonaws.com';

/** The CIDR allowed to reach SSH: the configured one, else this machine's public address as a /32 (/128). */
export async function ingressCidr(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (configured) return configured;
  const url = env[PUBLIC_IP_URL_VAR] || DEFAULT_PUBLIC_IP_URL;
  let text: string;
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    text = (await r.text()).trim();
  } catch (e) {
    throw new ProviderConfigError(`cannot find this machine's public address at ${url}: ${(e as Error).message}`, {
      cause: e, hint: `set raylaunch.ssh_ingress_cidr to the address range SSH may come from, or ${PUBLIC_IP_URL_VAR} to another address service`,
    });
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text) && text.split('.').every((o) => Number(o) <= 255)) return `${text}/32`;
  if (/^[0-9a-f:]+$/i.test(text) && text.includes(':')) return `${text}/128`;
  throw new ProviderConfigError(`the address service ${url} answered "${text.slice(0, 60)}", not an IP address`, {
    hint: `set raylaunch.ssh_ingress_cidr, or ${PUBLIC_IP_URL_VAR} to a service that answers with the address alone`,
  });
}
