/**
 * hotwatch's proxy (the built dist/proxy/) in a process of its own, so the measuring clients do not
 * share its event loop. The parent drives it over IPC: {id, op: 'ready'|'restarting'|'reload'|'close',
 * arg}; each call is acknowledged with {ack: id}. The first message is {port}.
 */
import { createLogger } from '../../dist/log/logger.js';
import { createProxy } from '../../dist/proxy/proxy.js';

const log = createLogger({ format: 'json', level: 'warn' });
const proxy = await createProxy({ listen: { port: 0 }, log, holdTimeoutMs: 10_000 });
process.send({ port: proxy.address.port });
process.on('message', async (m) => {
  if (m.op === 'close') {
    await proxy.close();
    process.send({ ack: m.id }, () => process.exit(0));
    return;
  }
  proxy[m.op](m.arg);
  process.send({ ack: m.id });
});
