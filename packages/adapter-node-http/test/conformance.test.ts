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
        const query = Object.fromEntries(new URL(req.url ?? '/', 'http://app').searchParams);
        const received = { method: req.method, query, body, contentLength: req.headers['content-length'] };
        res.end(JSON.stringify(echoOf(exchange, req.url, received)));
      }),
    );
    return { address: await listen(server, host), handled: () => handled, close: () => close(server) };
  },
});
