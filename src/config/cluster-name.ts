/**
 * The cluster_name rule of the schema, for names that do not come through a config (`-c NAME`, the most recent
 * up): a name is a folder under ~/.raylaunch/clusters, so it must never be a path.
 */
import cluster from '../../schemas/cluster.schema.json' with { type: 'json' };

const RULE = cluster.properties.cluster_name;
const PATTERN = new RegExp(RULE.pattern);

export function isClusterName(name: string): boolean {
  return name.length >= RULE.minLength && name.length <= RULE.maxLength && PATTERN.test(name);
}
