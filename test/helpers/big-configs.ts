// Generated cluster configs for the size and work limits of `validate`: shared by the tests and bench/validate.ts.

const PROCESS = 'provider:\n  type: process\n';
const lines = (n: number, line: (i: number) => string) => Array.from({ length: n }, (_, i) => `${line(i)}\n`).join('');

/** A base-36 suffix of fixed width, so that generated keys differ but have the same length. */
const suffix = (i: number, width: number) => i.toString(36).padStart(width, '0');

export interface BigConfig {
  name: string;
  text: string;
}

/** `n` top-level keys no schema knows, none near a known key. */
export const unknownTopLevelKeys = (n: number): BigConfig => ({
  name: `${n.toLocaleString('en')} unknown top-level keys`,
  text: PROCESS + lines(n, (i) => `unknown_key_${i}: ${i}`),
});

/** `n` top-level keys that are each a near miss of idle_timeout_minutes: every one earns a "did you mean". */
export const typoTopLevelKeys = (n: number): BigConfig => ({
  name: `${n.toLocaleString('en')} misspelt top-level keys`,
  text: PROCESS + lines(n, (i) => `idle_timeout_minutes${suffix(i, 3)}: 5`),
});

/** A valid config whose metadata map has `n` keys. */
export const metadataKeys = (n: number): BigConfig => ({
  name: `metadata map of ${n.toLocaleString('en')} keys`,
  text: `${PROCESS}metadata:\n${lines(n, (i) => `  k${i}: v`)}`,
});

/** The same key `n` times in one mapping: n - 1 duplicate-key errors. */
export const duplicateKeys = (n: number): BigConfig => ({
  name: `one key ${n.toLocaleString('en')} times`,
  text: `${PROCESS}metadata:\n${lines(n, (i) => `  dup: ${i}`)}`,
});

/** `n` anchors, each used once by an alias, in a metadata list. */
export const anchorsAndAliases = (n: number): BigConfig => ({
  name: `${n.toLocaleString('en')} anchors, one alias each`,
  text: `${PROCESS}metadata:\n  l:\n${lines(n, (i) => `    - &a${i} x\n    - *a${i}`)}`,
});

/** The billion laughs: nine aliases per level, nested `levels` deep. */
export const aliasBomb = (levels = 7): BigConfig => {
  const names = 'abcdefghijklmnop';
  const level = (i: number) => (i === 0
    ? `  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`
    : `  ${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(',')}]`);
  return { name: `alias bomb (${levels} levels of 9)`, text: `${PROCESS}metadata:\n${lines(levels, level)}` };
};

/** 249 anchors that each hold an alias and are used once, beside a list of `values` numbers: 498 aliases in all. */
export const aliasesInAnchors = (values: number): BigConfig => ({
  name: `249 aliased anchors holding an alias, ${values.toLocaleString('en')} other values`,
  text: `${PROCESS}metadata:\n  base: &a x\n  l:\n${lines(249, (i) => `    - &b${i} [*a]\n    - *b${i}`)}`
    + `  filler: [${Array(values).fill('1').join(',')}]\n`,
});

/** A local-provider config with `n` worker hosts, one node type allowed to use them all. */
export const manyWorkerHosts = (n: number): BigConfig => {
  const ips = Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const list = (indent: string) => lines(n, (i) => `${indent}- ${ips[i]}`);
  return {
    name: `local: ${n.toLocaleString('en')} worker hosts in one node type`,
    text: `provider:\n  type: local\n  head_ip: 10.255.255.254\n  worker_ips:\n${list('    ')}auth: {ssh_user: me}\n`
      + `head_node_type: head\navailable_node_types:\n  head: {resources: {CPU: 1}, node_config: {}}\n`
      + `  w:\n    resources: {CPU: 1}\n    min_workers: 0\n    max_workers: ${n}\n    node_config:\n      worker_ips:\n${list('        ')}`
      + `max_workers: ${n}\n`,
  };
};

/** A file of about `bytes` bytes: a metadata map of long values. */
export const bytesOfMetadata = (bytes: number): BigConfig => {
  const line = (i: number) => `  k${suffix(i, 6)}: ${'x'.repeat(90)}`;
  return { name: `${(bytes / 1024 / 1024).toFixed(1)} MiB metadata map`, text: `${PROCESS}metadata:\n${lines(Math.ceil(bytes / 102), line)}` };
};
