import { sideguardPlugin } from '@sideguard/fastify';
import Fastify from 'fastify';
import { describeAdapterConformance, echoOf } from '../../../tools/test-utils/conformance';

describeAdapterConformance({
  name: 'Fastify',
  async start(guard, host) {
    let handled = 0;
    const app = Fastify();
    await app.register(sideguardPlugin, { guard });
    // `request.body` comes from Fastify's built-in JSON parser, which reads `request.raw` after the hook.
    app.all('*', async (request) => {
      handled++;
      return echoOf(request.sideguard, request.url, {
        method: request.method,
        query: request.query,
        body: request.body,
        contentLength: request.headers['content-length'],
      });
    });
    await app.listen({ port: 0, host });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening on a port');
    return {
      address: { host: host === '::' ? '127.0.0.1' : host, port: address.port },
      handled: () => handled,
      close: () => app.close(),
    };
  },
});
