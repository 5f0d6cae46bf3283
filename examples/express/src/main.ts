import { buildApp } from './app';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);

const server = buildApp(undefined, {
  onAudit: (event) =>
    console.log(
      `audit: ${event.method} ${event.path} → ${event.status} (${event.api}, ${event.latencyMs.toFixed(2)} ms)`,
    ),
}).listen(port, host, () => {
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  console.log(`Sideguard demo (Express) listening on ${base}
Try:
  curl -i ${base}/health                            # public API (Anonymous profile): passes
  curl -i ${base}/api/orders                        # Basic profile, no credentials: 401 with a challenge
  curl -i -u demo:sideguard ${base}/api/orders      # right credentials: passes, the handler sees req.sideguard
  curl -i ${base}/admin                             # no API serves it: Sideguard answers 404
  curl -i --path-as-is ${base}/health/../admin      # a path trick: Sideguard answers 400
Stop with Ctrl+C.`);
});

server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(error.code === 'EADDRINUSE' ? `Port ${port} is taken; try PORT=3001 npm run demo` : error.message);
  process.exitCode = 1;
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close());
