import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { DEMO_REPLICAS, forkDemo, send, type DemoProcess } from './demo-helpers.js';

/**
 * The demo's stats page (`GET /`) in a real browser: Debian's headless Chromium driven by
 * playwright-core, against the three replicas of `build/demo/replicas.js` on a private Redis.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../../../artifacts/stats-page.png', import.meta.url));
/** How long the page may take to show what a test waits for: it refreshes every second. */
const PAGE_TIMEOUT_MS = 10_000;

/**
 * The little of the DOM that the functions run in the page use: the project compiles without the
 * "dom" lib, and these declarations emit nothing (in the page, `document` is the real one).
 */
interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  querySelector(selector: 'canvas'): PageCanvas | null;
}
interface PageCanvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray } } | null;
}
declare const document: { querySelectorAll(selector: string): Iterable<PageElement> };

interface ReadyMessage {
  type: 'ready';
  urls: string[];
}

/** What a replica's chart says, read from its `section.replica` element. */
interface ChartState {
  id: string;
  points: number;
  live: boolean;
  requests: number;
  notModified: number;
  l1Hits: number;
  factoryCalls: number;
  /** Whether the chart's canvas has a pixel drawn (true when the chart is not a canvas). */
  drawn: boolean;
}

/** Reads every `section.replica` of the page. Runs in the browser. */
function readCharts(): ChartState[] {
  return [...document.querySelectorAll('section.replica[data-replica]')].map((section) => {
    const canvas = section.querySelector('canvas');
    let drawn = true;
    if (canvas !== null) {
      const context = canvas.getContext('2d');
      const pixels = context?.getImageData(0, 0, canvas.width, canvas.height).data;
      drawn = pixels !== undefined && pixels.some((value, index) => index % 4 === 3 && value !== 0);
    }
    return {
      id: section.dataset['replica'] ?? '',
      live: section.dataset['live'] === 'true',
      points: Number(section.dataset['points']),
      requests: Number(section.dataset['requests']),
      notModified: Number(section.dataset['notModified']),
      l1Hits: Number(section.dataset['l1Hits']),
      factoryCalls: Number(section.dataset['factoryCalls']),
      drawn,
    };
  });
}

/** Resolves once nothing accepts connections on `url`'s port any more. */
function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('demo stats page in headless Chromium (build/demo/replicas.js)', () => {
  let redis: RedisServer | undefined;
  let launcher: DemoProcess | undefined;
  let urls: string[] = [];
  let browser: Browser | undefined;
  let page: Page | undefined;
  const pageErrors: string[] = [];

  before(async function () {
    this.timeout(60_000);
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does, to run the browser tests`);
    }
    redis = await startRedis();
    const started = await forkDemo<ReadyMessage>(DEMO_REPLICAS, 'ready', { env: { DEMO_BASE_PORT: '0', REDIS_URL: redis.url, DEMO_SLOW_MS: '5' }, readyTimeoutMs: 30_000 });
    launcher = started.process;
    urls = started.message.urls;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });

  after(async function () {
    this.timeout(30_000);
    await browser?.close();
    await launcher?.stop('SIGTERM');
    await redis?.stop();
  });

  it('announces three replicas: their URLs on stdout and in the ready message', () => {
    expect(urls).to.have.length(3);
    for (const url of urls) expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const printed = [...launcher!.output.matchAll(/^replica (\S+): (http:\/\/127\.0\.0\.1:\d+)\s*$/gm)].map((match) => match[2]);
    expect(printed).to.have.members(urls);
  });

  it('shows a chart with data for each of the three replicas', async function () {
    this.timeout(30_000);
    await page!.goto(`${urls[0]}/`);
    await page!.waitForFunction(
      () => {
        const sections = [...document.querySelectorAll('section.replica[data-replica]')];
        return sections.length === 3 && sections.every((section) => Number(section.dataset['points']) > 0);
      },
      undefined,
      { timeout: PAGE_TIMEOUT_MS },
    );
    const charts = await page!.evaluate(readCharts);
    expect(new Set(charts.map((chart) => chart.id)).size, JSON.stringify(charts)).to.equal(3);
    const ids = [...launcher!.output.matchAll(/^replica (\S+): http:\/\/127\.0\.0\.1:\d+\s*$/gm)].map((match) => match[1]);
    expect(charts.map((chart) => chart.id)).to.have.members(ids);
    for (const chart of charts) {
      expect(chart.points, chart.id).to.be.greaterThan(0);
      expect(chart.drawn, `${chart.id}: its canvas is blank`).to.equal(true);
    }
  });

  it('updates every replica\'s chart as the replicas serve requests', async function () {
    this.timeout(30_000);
    const before = await page!.evaluate(readCharts);
    for (const [index, url] of urls.entries()) {
      // Ids no other replica asked for, so each replica's factory runs (a miss in L1 and in
      // Redis); then an L1 hit and a 304 for each.
      for (let id = 10 + 10 * index; id < 20 + 10 * index; id++) {
        expect((await send(url, 'GET', `/products/${id}`)).status).to.equal(200);
        const hit = await send(url, 'GET', `/products/${id}`);
        expect(hit.status).to.equal(200);
        expect((await send(url, 'GET', `/products/${id}`, { headers: { 'If-None-Match': hit.headers.etag! } })).status).to.equal(304);
      }
    }
    await page!.waitForFunction(
      (previous: ChartState[]) => {
        const sections = [...document.querySelectorAll('section.replica[data-replica]')];
        return previous.every((old) => {
          const d = sections.find((candidate) => candidate.dataset['replica'] === old.id)?.dataset;
          return (
            d !== undefined &&
            Number(d['requests']) >= old.requests + 30 &&
            Number(d['notModified']) >= old.notModified + 10 &&
            Number(d['l1Hits']) >= old.l1Hits + 10 &&
            Number(d['factoryCalls']) >= old.factoryCalls + 10
          );
        });
      },
      before,
      { timeout: PAGE_TIMEOUT_MS },
    );
    const after = await page!.evaluate(readCharts);
    for (const chart of after) {
      const previous = before.find(({ id }) => id === chart.id)!;
      expect(chart.live, `${chart.id}: live`).to.equal(true);
      expect(chart.points, `${chart.id}: points`).to.be.greaterThan(previous.points);
      expect(chart.drawn, `${chart.id}: its canvas is blank`).to.equal(true);
    }
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page!.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).to.equal(true);
    expect(pageErrors, 'errors on the page').to.deep.equal([]);
  });

  it('stops every replica, with code 0, on SIGTERM', async function () {
    this.timeout(20_000);
    await browser?.close();
    browser = undefined;
    expect(await launcher!.stop('SIGTERM')).to.equal('code 0');
    for (const url of urls) expect(await refused(url), `${url} still accepts connections`).to.equal(true);
  });
});
