/**
 * Source maps are in the runtime so that a node's stack traces name raylaunch's TypeScript files. A chunk made
 * only of dependencies (the cloud SDKs, ssh2) has no such file to name, and its map would be the bulk of what is
 * copied to every node, so it is left out with the chunk's link to it. Pure.
 */

const MAP_LINK = /\n\/\/# sourceMappingURL=[^\n]+\n?$/;

/** Whether every source of this map is a dependency's file. */
export function onlyDependencies(map: { sources?: unknown }): boolean {
  const sources = Array.isArray(map.sources) ? map.sources : [];
  return sources.length > 0 && sources.every((s) => typeof s === 'string' && /(^|[/:])node_modules\//.test(s));
}

/** The runtime's files without the maps of dependency-only chunks, and those chunks without their map link. */
export function withoutDependencyMaps(files: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  const out = new Map(files);
  for (const [name, content] of files) {
    if (!name.endsWith('.js.map')) continue;
    const map = JSON.parse(Buffer.from(content).toString('utf8')) as { sources?: unknown };
    if (!onlyDependencies(map)) continue;
    out.delete(name);
    const js = name.slice(0, -'.map'.length);
    const code = files.get(js);
    if (code) out.set(js, Buffer.from(Buffer.from(code).toString('utf8').replace(MAP_LINK, '\n')));
  }
  return out;
}
