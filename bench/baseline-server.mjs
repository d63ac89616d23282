// Baseline for the registry benchmark: plain node:http answering a fixed JSON document of about the
// size of a discovery answer. What one Node process on one core can do with no framework and no work.
import { createServer } from 'node:http';

const body = JSON.stringify({
  serviceType: 'svc',
  instances: Array.from({ length: 10 }, (_, i) => ({
    id: `i${i}`,
    url: `http://10.0.0.${i}:3000`,
    status: 'UP',
  })),
});
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
});
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`baseline listening on ${server.address().port}\n`),
);
