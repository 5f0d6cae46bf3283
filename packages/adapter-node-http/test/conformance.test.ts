import { createServer } from 'node:http';
import { protect } from '@sideguard/node-http';
import { describeAdapterConformance, echoOf } from '../../../tools/test-utils/conformance';
import { close, listen } from '../../../tools/test-utils/http-client';

describeAdapterConformance({
  name: 'node:http',
  async start(guard, host) {
    let handled = 0;
    const server = createServer(
      protect(guard, (req, res, exchange) => {
        handled++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(echoOf(exchange, req.url)));
      }),
    );
    return { address: await listen(server, host), handled: () => handled, close: () => close(server) };
  },
});
