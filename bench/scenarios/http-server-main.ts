/**
 * One server of the HTTP benchmark as a plain process, for tools that must start it themselves
 * (under valgrind, say) rather than through the replica harness: `node http-server-main.js
 * '<HttpServerInit as JSON>'`. It prints `{"port":<port>}` on a line of its own once listening,
 * and closes on SIGTERM.
 */
import { setup, type HttpServerInit } from './http-server.js';

const init = JSON.parse(process.argv[2] ?? '') as HttpServerInit;
const handlers = await setup(init);
process.stdout.write(`${JSON.stringify({ port: await handlers.port!() })}\n`);
process.once('SIGTERM', () => {
  void handlers.close?.().finally(() => process.exit(0));
});
