import { createServer } from 'node:http';
import { type SideguardKoaState, sideguard } from '@sideguard/koa';
import Koa from 'koa';
import { describeAdapterConformance, echoOf } from '../../../tools/test-utils/conformance';
import { close, listen } from '../../../tools/test-utils/http-client';

describeAdapterConformance({
  name: 'Koa',
  async start(guard, host) {
    let handled = 0;
    const app = new Koa<SideguardKoaState>();
    app.use(sideguard(guard));
    app.use((ctx) => {
      handled++;
      ctx.body = echoOf(ctx.state.sideguard, ctx.originalUrl);
    });
    const server = createServer(app.callback());
    return { address: await listen(server, host), handled: () => handled, close: () => close(server) };
  },
});
