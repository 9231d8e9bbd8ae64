// The REST paths @google-cloud/compute's HTTP transport calls (its protos' google.api.http rules), each named as
// the call log names it.
import { CATALOG_HANDLERS } from './catalog-actions.js';
import type { Handler } from './handler.js';
import { INSTANCE_HANDLERS } from './instance-actions.js';
import { OPERATION_HANDLERS } from './operations.js';

const P = '/compute/v1/projects/{project}';
const Z = `${P}/zones/{zone}`;

const TABLE: [string, string, string][] = [
  ['GET', `${P}/aggregated/instances`, 'instances.aggregatedList'],
  ['POST', `${Z}/instances/bulkInsert`, 'instances.bulkInsert'],
  ['POST', `${Z}/instances`, 'instances.insert'],
  ['GET', `${Z}/instances`, 'instances.list'],
  ['GET', `${Z}/instances/{instance}`, 'instances.get'],
  ['DELETE', `${Z}/instances/{instance}`, 'instances.delete'],
  ['POST', `${Z}/instances/{instance}/stop`, 'instances.stop'],
  ['POST', `${Z}/instances/{instance}/start`, 'instances.start'],
  ['POST', `${Z}/instances/{instance}/suspend`, 'instances.suspend'],
  ['POST', `${Z}/instances/{instance}/resume`, 'instances.resume'],
  ['GET', `${Z}/instances/{instance}/getGuestAttributes`, 'instances.getGuestAttributes'],
  ['GET', `${Z}/operations/{operation}`, 'zoneOperations.get'],
  ['DELETE', `${Z}/operations/{operation}`, 'zoneOperations.delete'],
  ['POST', `${Z}/operations/{operation}/wait`, 'zoneOperations.wait'],
  ['GET', `${Z}/operations`, 'zoneOperations.list'],
  ['GET', `${P}/global/operations/{operation}`, 'globalOperations.get'],
  ['POST', `${P}/global/operations/{operation}/wait`, 'globalOperations.wait'],
  ['GET', `${P}/global/operations`, 'globalOperations.list'],
  ['GET', `${Z}/machineTypes/{machineType}`, 'machineTypes.get'],
  ['GET', `${Z}/machineTypes`, 'machineTypes.list'],
  ['GET', `${P}/global/images/family/{family}`, 'images.getFromFamily'],
  ['GET', `${P}/global/images/{image}`, 'images.get'],
  ['POST', `${P}/global/firewalls`, 'firewalls.insert'],
  ['GET', `${P}/global/firewalls`, 'firewalls.list'],
  ['GET', `${P}/global/firewalls/{firewall}`, 'firewalls.get'],
  ['DELETE', `${P}/global/firewalls/{firewall}`, 'firewalls.delete'],
  ['GET', `${P}/zones`, 'zones.list'],
  ['GET', `${Z}`, 'zones.get'],
  ['GET', `${P}/regions`, 'regions.list'],
  ['GET', `${P}/regions/{region}`, 'regions.get'],
  ['GET', P, 'projects.get'],
];

const HANDLERS: Record<string, Handler> = { ...INSTANCE_HANDLERS, ...OPERATION_HANDLERS, ...CATALOG_HANDLERS };

interface Route { httpMethod: string; re: RegExp; keys: string[]; method: string; handler: Handler }

const ROUTES: Route[] = TABLE.map(([httpMethod, template, method]) => {
  const keys: string[] = [];
  const re = new RegExp(`^${template.replace(/\{(\w+)\}/g, (_, k: string) => { keys.push(k); return '([^/]+)'; })}$`);
  const handler = HANDLERS[method];
  if (handler === undefined) throw new Error(`fake GCP: no handler for ${method}`);
  return { httpMethod, re, keys, method, handler };
});

export function route(httpMethod: string, path: string): { method: string; handler: Handler; params: Record<string, string> } | undefined {
  for (const r of ROUTES) {
    if (r.httpMethod !== httpMethod) continue;
    const m = r.re.exec(path);
    if (m === null) continue;
    return { method: r.method, handler: r.handler, params: Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1] ?? '')])) };
  }
  return undefined;
}
