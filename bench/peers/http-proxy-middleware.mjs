// http-proxy-middleware (the user's named library; v3, as v4 needs Node 22) on a bare node:http
// server, with a keep-alive agent so it pools backend connections as the other peers do.
import { Agent, createServer } from 'node:http';
import { createProxyMiddleware } from 'http-proxy-middleware';

const [, , port, upstream] = process.argv;
const proxy = createProxyMiddleware({
  target: upstream,
  agent: new Agent({ keepAlive: true, maxSockets: 256 }),
  xfwd: true,
});
createServer((req, res) =>
  proxy(req, res, () => {
    res.statusCode = 404;
    res.end();
  }),
).listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
