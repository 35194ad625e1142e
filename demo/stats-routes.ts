import Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { StatsBoard } from './stats-board.js';
import { STATS_PAGE, STATS_PAGE_CSP } from './stats-page.js';
import type { StatsSnapshot } from './stats-snapshot.js';

/**
 * The observability routes: `/stats` (this replica), `/stats/all` (every live replica),
 * `/metrics` (Prometheus) and `/` (the page that charts `/stats/all`). None is cached: they are
 * live numbers, so every response says `no-store`.
 */
export function statsRoutes(snapshot: () => StatsSnapshot, board: StatsBoard, metrics: Registry): Router {
  const router = new Router();

  router.get('/stats', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = snapshot();
  });

  router.get('/stats/all', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { at: Date.now(), replicas: await board.all() };
  });

  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.contentType;
    ctx.body = await metrics.metrics();
  });

  router.get('/', async (ctx) => {
    // The page changes only with a deploy; its data comes from /stats/all. `no-cache` keeps a
    // browser from showing an old build after a restart.
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('Content-Security-Policy', STATS_PAGE_CSP);
    ctx.type = 'html';
    ctx.body = STATS_PAGE;
  });

  return router;
}
