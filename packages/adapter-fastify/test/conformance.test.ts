import { sideguardPlugin } from '@sideguard/fastify';
import Fastify from 'fastify';
import { describeAdapterConformance, echoOf } from '../../../tools/test-utils/conformance';

describeAdapterConformance({
  name: 'Fastify',
  async start(guard, host) {
    let handled = 0;
    const app = Fastify();
    await app.register(sideguardPlugin, { guard });
    app.all('*', async (request) => {
      handled++;
      return echoOf(request.sideguard, request.url);
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
