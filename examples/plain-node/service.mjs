// A plain Node service on @waypost/client: WAYPOST_URL=http://127.0.0.1:8081 REGISTRATION_KEY=… node service.mjs
import { createServer } from 'node:http';
import { Waypost } from '@waypost/client';

const server = createServer((req, res) => res.end(JSON.stringify({ hello: 'from plain-node', url: req.url })));
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', async () => {
  const waypost = new Waypost({ url: process.env.WAYPOST_URL, registrationKey: process.env.REGISTRATION_KEY });
  waypost.on('error', (error) => console.error(`waypost: ${error.message}`));
  await waypost.register({ serviceType: 'plain-node', host: '127.0.0.1', port: server.address().port, healthCheck: { type: 'ttl', ttl: '10s' } });
  waypost.shutdownOnSignals({ drainFor: '2s', exit: () => server.close(() => process.exit(0)) });
  console.log(`registered as ${waypost.instance.id}`);
});
