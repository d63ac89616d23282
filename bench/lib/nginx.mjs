// nginx from Debian as the benchmark's backend (and as a reverse-proxy peer), in a private prefix.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find(
  (p) => spawnSync('test', ['-x', p]).status === 0,
);

/**
 * role 'backend': answers /small, /post, /16k; role 'proxy': reverse proxy to the backend, and with
 * `tls` ({port, cert, key}) the same over HTTPS, as the TLS scenario's peer.
 */
export function nginxConfig(dir, role, { backendPort, proxyPort, tls }) {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'www'), { recursive: true });
  writeFileSync(join(dir, 'www', '16k'), 'x'.repeat(16 * 1024));
  return `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  keepalive_requests 100000;
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 128; }
  ${
    role === 'backend'
      ? `server {
    listen 127.0.0.1:${backendPort};
    location = /small { return 200 "hello"; }
    location = /post { client_body_buffer_size 16k; return 200 "ok"; }
    location = /16k { root ${dir}/www; try_files /16k =404; }
  }`
      : `server {
    listen 127.0.0.1:${proxyPort};
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }${
    tls
      ? `
  server {
    listen 127.0.0.1:${tls.port} ssl;
    ssl_certificate ${tls.cert}; ssl_certificate_key ${tls.key};
    ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:SSL:1m;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`
      : ''
  }`
  }
}`;
}

/** Starts one single-worker nginx in `dir`, pinned to `core`. */
export function startNginx(dir, role, ports, core) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, role, ports));
  const child = spawn(
    'taskset',
    ['-c', String(core), NGINX, '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'],
    { stdio: 'ignore' },
  );
  return child;
}
