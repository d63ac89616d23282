// @fastify/http-proxy, as its README sets it up.
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';

const [, , port, upstream] = process.argv;
const app = Fastify({ logger: false });
await app.register(proxy, { upstream, http: { agentOptions: { keepAlive: true } } });
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write('listening\n');
