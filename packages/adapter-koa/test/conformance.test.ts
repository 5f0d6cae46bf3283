import { createServer } from 'node:http';
import { type SideguardKoaState, sideguard } from '@sideguard/koa';
import Koa from 'koa';
import { describeAdapterConformance, echoOf, parseJson, readText } from '../../../tools/test-utils/conformance';
import { close, listen } from '../../../tools/test-utils/http-client';

describeAdapterConformance({
  name: 'Koa',
  async start(guard, host) {
    let handled = 0;
    const app = new Koa<SideguardKoaState>();
    app.use(sideguard(guard));
    app.use(async (ctx) => {
      handled++;
      // Read from ctx.req the way co-body / raw-body do.
      const body = parseJson(await readText(ctx.req));
      ctx.body = echoOf(ctx.state.sideguard, ctx.url, {
        method: ctx.method,
        query: ctx.query,
        body,
        contentLength: ctx.get('content-length') || undefined,
      });
    });
    const server = createServer(app.callback());
    return { address: await listen(server, host), handled: () => handled, close: () => close(server) };
  },
});
