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
    app.use((req, res) => {
      handled++;
      res.json(echoOf(req.sideguard, req.originalUrl));
    });
    const server = createServer(app);
    return { address: await listen(server, host), handled: () => handled, close: () => close(server) };
  },
});
