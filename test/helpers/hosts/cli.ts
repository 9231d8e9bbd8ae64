// Manual checks: `npx tsx test/helpers/hosts/cli.ts up 3` prints 3 hosts as JSON and keeps them until Ctrl-C or SIGTERM;
// `npx tsx test/helpers/hosts/cli.ts clean` removes what crashed runs left behind.
import { cleanLeftovers, createHosts } from './hosts.js';

const [command, arg] = process.argv.slice(2);

if (command === 'up') {
  const pool = await createHosts(Number(arg ?? '1'));
  const sshOpts = `-i ${pool.keyPath} -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR`;
  const hosts = pool.hosts.map((h) => ({ ...h, ssh: `ssh ${sshOpts} root@${h.ip}` }));
  console.log(JSON.stringify({ keyPath: pool.keyPath, user: pool.user, hosts }, null, 2));
  console.error(`${hosts.length} host(s) up; Ctrl-C removes them`);
  // Signal handlers alone do not keep Node running, and the sshd children are unref'd.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const stop = (): void => {
    clearInterval(keepAlive);
    pool.remove().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} else if (command === 'clean') {
  console.log(JSON.stringify({ removed: await cleanLeftovers() }));
} else {
  console.error('usage: npx tsx test/helpers/hosts/cli.ts up [COUNT] | clean');
  process.exitCode = 2;
}
