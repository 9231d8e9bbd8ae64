import type { Cloud, Principal } from './cloud.js';
import type { QueryTree } from './wire/query.js';
import type { XmlObject } from './wire/xml.js';

/** One call as a handler sees it: the parameters as a tree, and flat as sent (for ClientToken comparisons). */
export interface Call {
  cloud: Cloud;
  p: QueryTree;
  flat: Record<string, string>;
  who: Principal;
}

/** One API action: reads the call's parameters, changes the cloud, returns the response's fields (none for awsQuery actions without output). */
export type Handler = (call: Call) => XmlObject | undefined;
