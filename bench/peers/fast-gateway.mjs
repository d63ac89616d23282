// fast-gateway (restana + fast-proxy-lite), one catch-all route.
import gateway from 'fast-gateway';

const [, , port, upstream] = process.argv;
const server = gateway({ routes: [{ prefix: '', pathRegex: '/*', target: upstream }] });
await server.start(Number(port), '127.0.0.1');
process.stdout.write('listening\n');
