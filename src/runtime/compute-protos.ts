/**
 * @google-cloud/compute's clients each load the package's protos.json (12 MB: every service of compute v1,
 * v1beta and v1small), though a client looks up its own service only. The runtime bundle carries, per client,
 * the JSON pruned to that service and the messages its methods reach.
 */

/** A protobufjs JSON namespace, message, enum or service, as protos.json writes them. */
export interface ProtoNode {
  nested?: Record<string, ProtoNode>;
  fields?: Record<string, { type: string; keyType?: string }>;
  methods?: Record<string, { requestType: string; responseType: string }>;
  [key: string]: unknown;
}

/** The service a generated client looks up, e.g. `google.cloud.compute.v1.Instances`. */
export function clientService(clientSource: string): string | undefined {
  return /lookupService\(['"]([\w.]+)['"]\)/.exec(clientSource)?.[1];
}

function child(node: ProtoNode, path: readonly string[]): ProtoNode | undefined {
  let n: ProtoNode | undefined = node;
  for (const part of path) n = n?.nested?.[part];
  return n;
}

/**
 * protos.json keeping only `service` and what its methods reach in the service's package; the other packages
 * under the service's parent (sibling API versions) are left out, everything else (google.api, google.protobuf)
 * is kept whole. Pure. Throws when the service is not in the JSON, so a renamed service fails the build.
 */
export function pruneToService(root: ProtoNode, service: string): ProtoNode {
  const parts = service.split('.');
  const pkgPath = parts.slice(0, -1);
  const pkg = child(root, pkgPath);
  const svcName = parts.at(-1) ?? '';
  if (!pkg?.nested?.[svcName]?.methods) throw new Error(`protos.json has no service ${service}`);
  const types = pkg.nested;
  const keep = new Set<string>([svcName]);
  const queue: string[] = [];
  const want = (ref: string): void => {
    // Within one package protos.json names its messages by their short names; anything else is outside it.
    const name = ref.startsWith(`.${pkgPath.join('.')}.`) ? ref.slice(pkgPath.join('.').length + 2) : ref;
    if (types[name] && !keep.has(name)) { keep.add(name); queue.push(name); }
  };
  for (const m of Object.values(types[svcName]?.methods ?? {})) { want(m.requestType); want(m.responseType); }
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    const visit = (n: ProtoNode): void => {
      for (const f of Object.values(n.fields ?? {})) { want(f.type); if (f.keyType) want(f.keyType); }
      for (const inner of Object.values(n.nested ?? {})) visit(inner);
    };
    const t = types[name];
    if (t) visit(t);
  }
  const prunedPkg: ProtoNode = { ...pkg, nested: Object.fromEntries(Object.entries(types).filter(([k]) => keep.has(k))) };
  // Rebuild the path from the root down, dropping the package's siblings (other versions) on the last step.
  const rebuild = (node: ProtoNode, depth: number): ProtoNode => {
    if (depth === pkgPath.length) return prunedPkg;
    const name = pkgPath[depth] ?? '';
    const nested = { ...node.nested };
    const next = nested[name];
    if (!next) return node;
    if (depth === pkgPath.length - 1) {
      for (const [k, v] of Object.entries(nested)) if (k !== name && v.nested) delete nested[k];
    }
    nested[name] = rebuild(next, depth + 1);
    return { ...node, nested };
  };
  return rebuild(root, 0);
}
