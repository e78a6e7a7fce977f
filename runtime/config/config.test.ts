import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to the embedded database in ./data on 127.0.0.1:3000 with demo data', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      dataDir: './data',
      documentsDir: 'data/documents',
      uploadMaxBytes: 20 * 1024 * 1024,
      webApp: true,
      databaseUrl: undefined,
      adminPassword: undefined,
      demo: true,
      redisUrl: undefined,
      logLevel: 'info',
      nodeId: undefined,
      nodeEnv: undefined,
      httpAllowedHosts: [],
      smtpUrl: undefined,
      smtpFrom: 'Lifeflow <lifeflow@localhost>',
      timeZone: 'Asia/Shanghai',
    });
  });

  it('serves the web app unless WEB_APP turns it off', () => {
    expect(loadConfig({ WEB_APP: 'off' }).webApp).toBe(false);
    expect(loadConfig({ WEB_APP: 'false' }).webApp).toBe(false);
    expect(loadConfig({ WEB_APP: 'on' }).webApp).toBe(true);
  });

  it('refuses a time zone that does not exist', () => {
    expect(() => loadConfig({ TIME_ZONE: 'Mars/Olympus' })).toThrow(/TIME_ZONE/);
    expect(loadConfig({ TIME_ZONE: 'Europe/Berlin' }).timeZone).toBe('Europe/Berlin');
  });

  it('reads which proxies to trust, as express names them or as a hop count', () => {
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({}).trustProxy).toBeUndefined();
  });

  it('reads the allowlist of the http job type', () => {
    expect(loadConfig({ HTTP_ALLOWED_HOSTS: 'api.example.cn, 127.0.0.1:8080,' }).httpAllowedHosts).toEqual([
      'api.example.cn',
      '127.0.0.1:8080',
    ]);
  });

  it('turns demo data off by default when DATABASE_URL is set, and on again with DEMO=1', () => {
    const url = 'postgres://u@db/lifeflow';
    expect(loadConfig({ DATABASE_URL: url })).toMatchObject({ databaseUrl: url, demo: false });
    expect(loadConfig({ DATABASE_URL: url, DEMO: '1' }).demo).toBe(true);
    expect(loadConfig({ DEMO: '0' }).demo).toBe(false);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/lifeflow',
      ADMIN_PASSWORD: ' s3cret ',
      REDIS_URL: 'redis://cache:6379',
      LOG_LEVEL: 'DEBUG',
      NODE_ID: '12',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/lifeflow',
      adminPassword: ' s3cret ',
      redisUrl: 'redis://cache:6379',
      logLevel: 'debug',
      nodeId: 12,
    });
  });

  it('keeps documents under DATA_DIR unless DOCUMENTS_DIR says otherwise, and reads UPLOAD_MAX_BYTES', () => {
    expect(loadConfig({ DATA_DIR: '/var/lib/lifeflow' }).documentsDir).toBe('/var/lib/lifeflow/documents');
    expect(loadConfig({ DOCUMENTS_DIR: '/srv/files', UPLOAD_MAX_BYTES: '1048576' })).toMatchObject({
      documentsDir: '/srv/files',
      uploadMaxBytes: 1048576,
    });
    expect(() => loadConfig({ UPLOAD_MAX_BYTES: '20MB' })).toThrow(/UPLOAD_MAX_BYTES/);
  });

  it('treats empty variables as not set', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '', ADMIN_PASSWORD: '', DEMO: '' })).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      adminPassword: undefined,
      demo: true,
    });
  });

  it('refuses demo data in production, whether explicit or by default', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /refusing to start with demo data in production/,
    );
    expect(() =>
      loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', DEMO: 'true' }),
    ).toThrow(/set DEMO=0/);
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' }).demo).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', DEMO: '0' }).demo).toBe(false);
  });

  it('names the variable and the value it rejects', () => {
    expect(() => loadConfig({ PORT: 'http' })).toThrow(
      'expected PORT to be an integer from 0 to 65535, got <http>',
    );
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ DEMO: 'maybe' })).toThrow(/expected DEMO to be .* got <maybe>/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/expected LOG_LEVEL to be one of .* got <loud>/);
    expect(() => loadConfig({ NODE_ID: '1024' })).toThrow(/NODE_ID/);
  });
});
