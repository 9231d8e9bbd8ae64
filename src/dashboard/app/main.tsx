import 'uplot/dist/uPlot.min.css';
import './app.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { JobPage } from './job-page.js';
import { ActorsPage, AutoscalerPage, ClusterPage, JobsPage, NodePage } from './pages.js';
import { useLive } from './stream.js';

type Route = { page: 'cluster' | 'autoscaler' | 'jobs' | 'actors' } | { page: 'job' | 'node'; id: string };

/** `#/jobs`, `#/job/<id>`, `#/node/<id>`: the address names the page, so a reload or a link lands on it. */
export function routeOf(hash: string): Route {
  const [page = '', id] = hash.replace(/^#\/?/, '').split('/');
  if ((page === 'job' || page === 'node') && id) return { page, id: decodeURIComponent(id) };
  if (page === 'autoscaler' || page === 'jobs' || page === 'actors') return { page };
  return { page: 'cluster' };
}

function useRoute(): Route {
  const [r, setR] = useState(routeOf(location.hash));
  useEffect(() => {
    const on = () => setR(routeOf(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return r;
}

const TABS = [['cluster', 'Cluster'], ['autoscaler', 'Autoscaler'], ['jobs', 'Jobs'], ['actors', 'Actors']] as const;

function App() {
  const route = useRoute();
  const live = useLive(route.page === 'job' ? route.id : undefined);
  const s = live.state;
  const now = Date.now();
  const tab = route.page === 'job' ? 'jobs' : route.page === 'node' ? 'cluster' : route.page;
  return (
    <>
      <header>
        <h1>raylaunch{s ? ` · ${s.status.clusterName}` : ''}</h1>
        <nav>{TABS.map(([id, label]) => <a key={id} href={`#/${id}`} class={tab === id ? 'active' : ''}>{label}</a>)}</nav>
        <span id="live" class={live.connected ? 'on' : 'off'}>{live.connected ? 'live' : 'reconnecting…'}</span>
      </header>
      <main>
        {!s ? <p>loading…</p>
          : route.page === 'cluster' ? <ClusterPage s={s} />
            : route.page === 'autoscaler' ? <AutoscalerPage s={s} />
              : route.page === 'jobs' ? <JobsPage s={s} now={now} />
                : route.page === 'actors' ? <ActorsPage s={s} />
                  : route.page === 'job' ? <JobPage id={route.id} live={live} now={now} />
                    : route.page === 'node' ? <NodePage s={s} id={route.id} /> : null}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
