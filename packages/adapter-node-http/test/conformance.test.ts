import { createServer } from 'node:http';
import { protect } from '@sideguard/node-http';
import { describeAdapterConformance, echoOf, parseJson } from '../../../tools/test-utils/conformance';
import { close, listen } from '../../../tools/test-utils/http-client';

describeAdapterConformance({
  name: 'node:http',
  async start(guard, host) {
    let handled = 0;
    const server = createServer(
      protect(guard, async (req, res, exchange) => {
        handled++;
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = parseJson(Buffer.concat(chunks).toString('utf8'));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(echoOf(exchange, req.url, { body, contentLength: req.headers['content-length'] })));
      }),
    );
    return { address: await listen(server, host), handled: () => handled, close: () => close(server) };
  },
});
