import { loadConfig } from './config/config.js';
import { log, setLogLevel } from './logging/logger.js';
import { createRuntime } from './create-runtime.js';
import { createKeyGenerator } from './persistence/keys.js';
import { migrate, openDatabase } from './persistence/db.js';
import { seed } from './persistence/seed.js';
import { attachRealtime } from './realtime/realtime.js';
import { seedDemo } from '../templates/demo.js';
import { templateModuleFile, templateModules } from '../templates/index.js';
import { buildWebApp, DESIGNER_DIST } from './web/web-app.js';

/** The composition root: config -> database -> migrations -> seed -> HTTP server. */
async function main() {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(db.knex);
  const nextKey = createKeyGenerator(config.nodeId);
  const seeded = await seed(db.knex, {
    adminPassword: config.adminPassword,
    demo: config.demo,
    nextKey,
    log: (m) => log.info(m),
  });
  if (seeded.createdAdminPassword) {
    console.log(
      `created user admin with password: ${seeded.createdAdminPassword} (shown once; set ADMIN_PASSWORD to choose it)`,
    );
  }
  // The web app is built once, on the first start of a fresh checkout.
  if (config.webApp) await buildWebApp('missing', (m) => log.info(m));
  // The demo's history is written with the clock moved into the past (see templates/demo.ts).
  let pastTime: Date | null = null;
  const clock = () => pastTime ?? new Date();
  const runtime = createRuntime(db.knex, nextKey, clock, db.listen?.bind(db), {
    httpAllowedHosts: config.httpAllowedHosts,
    trustProxy: config.trustProxy,
    timeZone: config.timeZone,
    mail: { smtpUrl: config.smtpUrl, from: config.smtpFrom },
    documents: { dir: config.documentsDir, maxBytes: config.uploadMaxBytes },
    webRoot: config.webApp ? DESIGNER_DIST : undefined,
  });
  await runtime.ready;
  // The shipped lifecycle modules are the group standard: imported on every start (a version
  // already there is left as it is), enabled in the demo tenant on the first start.
  for (const id of templateModules()) {
    try {
      const imported = await runtime.modules.import(templateModuleFile(id), null);
      if (imported.created) log.info(`modules: imported ${id} ${imported.version}`);
      if (seeded.created && config.demo) {
        const enabled = await runtime.modules.enable('<default>', id, undefined, 'admin');
        log.info(`demo: enabled module ${id} ${enabled.version} (${enabled.deployments.length} resources)`);
      }
    } catch (err) {
      log.error(`modules: could not load the shipped module ${id}`, { err });
    }
  }
  if (seeded.created && config.demo) {
    try {
      await seedDemo(
        runtime,
        (at) => {
          pastTime = at;
        },
        { log: (m) => log.info(m) },
      );
    } catch (err) {
      log.error('demo: could not write the demo history', { err });
    }
  }
  runtime.start();
  const server = runtime.app.listen(config.port, config.host, () => {
    console.log(
      `Lifeflow listening on http://${config.host}:${config.port} (database: ${db.kind}${db.kind === 'pglite' ? ` in ${config.dataDir}` : ''}${config.demo ? ', demo data' : ''})`,
    );
  });
  // Idle keep-alive sockets stay open longer than load balancers keep theirs (60 s is common), so
  // the server is never the one closing a socket a proxy is about to reuse.
  server.keepAliveTimeout = 65_000;
  // Live events on the same server; with REDIS_URL, nodes reach each other's sockets.
  const realtime = await attachRealtime(server, {
    knex: db.knex,
    auth: runtime.auth,
    listen: db.listen?.bind(db),
    engine: runtime.engine,
    redisUrl: config.redisUrl,
    nodeId: config.nodeId === undefined ? `pid ${process.pid}` : `node ${config.nodeId}`,
  });
  const shutdown = async (signal: string) => {
    log.info(`${signal}: shutting down`);
    await runtime.stop();
    await realtime.close(); // also closes the HTTP server
    server.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  // Start-up failures (a locked data directory, a bad setting) are for a person to read.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
