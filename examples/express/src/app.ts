import { createGuard, type GuardDeps, type SideguardConfigInput } from '@sideguard/core';
import { sideguard } from '@sideguard/express';
import express, { type Express } from 'express';
import { demoConfig } from './config';

const orders = [
  { id: 1, item: 'keyboard', quantity: 2 },
  { id: 2, item: 'monitor', quantity: 1 },
];

/**
 * Builds the demo app: Sideguard in front, then ordinary Express routes.
 * @param config - Sideguard configuration; the embedded demo one by default
 * @param deps - logger and audit sink for the guard
 */
export function buildApp(config: SideguardConfigInput = demoConfig, deps: GuardDeps = {}): Express {
  const app = express();
  app.use(sideguard(createGuard(config, deps)));
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/api/orders', (req, res) => {
    res.json({
      api: req.sideguard?.api?.name,
      user: req.sideguard?.identity,
      clientIp: req.sideguard?.request.clientIp,
      orders,
    });
  });
  app.get('/api/orders/:id', (req, res) => {
    const order = orders.find((o) => String(o.id) === req.params.id);
    if (order === undefined) res.status(404).json({ error: 'no such order' });
    else res.json(order);
  });
  return app;
}
