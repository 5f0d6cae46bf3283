import { createServer } from 'node:http';
import { sideguard } from '@sideguard/express';
import express from 'express';
import { describeAdapterConformance, echoOf } from '../../../tools/test-utils/conformance';
import { close, listen } from '../../../tools/test-utils/http-client';

describeAdapterConformance({
  name: 'Express',
  async start(guard, host) {
    let handled = 0;
    const app = express();
    app.use(sideguard(guard));
    // Body parsing after the guard, as apps do: it must still get bodies the guard read or replaced.
    app.use(express.json());
    app.use((req, res) => {
      handled++;
      res.json(
        echoOf(req.sideguard, req.url, {
          method: req.method,
          query: req.query,
          body: req.body,
          contentLength: req.headers['content-length'],
        }),
      );
    });
    const server = createServer(app);
    return { address: await listen(server, host), handled: () => handled, close: () => close(server) };
  },
});
