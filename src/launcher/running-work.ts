import type { ClusterStatus } from '../protocol/messages.js';
import { Session } from './session.js';

/** What a restart or `down` of a cluster would end: its running jobs and live actors, as the head reports them. */
export interface RunningWork {
  /** false: the head did not answer, so nothing is known to be running. */
  reachable: boolean;
  jobs: string[];
  actors: string[];
}

export function runningWorkOf(s: ClusterStatus): RunningWork {
  return {
    reachable: true,
    jobs: s.jobs.filter((j) => j.state === 'RUNNING' || j.state === 'PENDING').map((j) => j.jobId),
    actors: s.actors.filter((a) => a.state !== 'DEAD').map((a) => (a.name ? `${a.cls} "${a.name}"` : a.cls)),
  };
}

/** Asks the head; a head that cannot be reached has nothing that could be lost (or that could be known). */
export async function runningWork(clusterName: string): Promise<RunningWork> {
  let session: Session;
  try {
    session = await Session.open(clusterName);
  } catch {
    return { reachable: false, jobs: [], actors: [] };
  }
  try {
    return runningWorkOf(await session.status());
  } catch {
    return { reachable: false, jobs: [], actors: [] };
  } finally {
    await session.close();
  }
}

/** "running jobs job-1a2b, job-3c4d and 2 live actors (Counter "shared", Worker)", or that nothing runs. */
export function describeWork(w: RunningWork): string {
  if (!w.reachable) return 'its head does not answer, so what runs there is unknown';
  const parts: string[] = [];
  if (w.jobs.length > 0) parts.push(`running ${w.jobs.length === 1 ? 'job' : 'jobs'} ${w.jobs.join(', ')}`);
  if (w.actors.length > 0) parts.push(`${w.actors.length} live ${w.actors.length === 1 ? 'actor' : 'actors'} (${w.actors.join(', ')})`);
  return parts.length > 0 ? parts.join(' and ') : 'no running jobs or live actors';
}
