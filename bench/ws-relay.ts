// The baseline: a raw WebSocket relay with raylaunch's process topology (driver → head → worker → back), one
// small frame per message and nothing else. Run as `relay`, `worker` or `driver` (bench/tasks.ts starts all three).
import { deserialize, serialize } from 'node:v8';
import { WebSocket, WebSocketServer } from 'ws';

const [role, portArg] = process.argv.slice(2);

if (role === 'relay') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  let worker: WebSocket | undefined;
  let driver: WebSocket | undefined;
  wss.on('connection', (ws, req) => {
    if (req.url === '/worker') worker = ws;
    else driver = ws;
    ws.on('message', (data: Buffer) => (ws === worker ? driver : worker)?.send(data));
  });
  wss.on('listening', () => {
    const addr = wss.address();
    process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
  });
} else if (role === 'worker') {
  const ws = new WebSocket(`ws://127.0.0.1:${portArg}/worker`, { perMessageDeflate: false });
  ws.on('message', (data: Buffer) => {
    const m = deserialize(data) as { id: number };
    ws.send(serialize({ id: m.id, result: 0 }));
  });
  ws.on('open', () => process.stdout.write('ready\n'));
} else if (role === 'driver') {
  const ws = new WebSocket(`ws://127.0.0.1:${portArg}/driver`, { perMessageDeflate: false });
  let waiting = new Map<number, () => void>();
  ws.on('message', (data: Buffer) => {
    const m = deserialize(data) as { id: number };
    waiting.get(m.id)?.();
    waiting.delete(m.id);
  });
  let seq = 0;
  const call = () => new Promise<void>((resolve) => {
    const id = seq++;
    waiting.set(id, resolve);
    ws.send(serialize({ type: 'submit', id, fn: 'noop', args: [] }));
  });
  ws.on('open', () => {
    void (async () => {
      await Promise.all(Array.from({ length: 2000 }, call));
      let t0 = performance.now();
      for (let b = 0; b < 10; b++) await Promise.all(Array.from({ length: 1000 }, call));
      const async = Math.round(10_000 / ((performance.now() - t0) / 1000));
      t0 = performance.now();
      for (let i = 0; i < 1000; i++) await call();
      const sync = Math.round(1000 / ((performance.now() - t0) / 1000));
      process.stdout.write(`BASELINE ${JSON.stringify({ async, sync })}\n`);
      waiting = new Map();
      ws.close();
    })();
  });
}
