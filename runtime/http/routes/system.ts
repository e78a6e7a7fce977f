import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { hashToken } from '../../auth/authenticate.js';
import { notFound } from '../problem.js';
import { type AppServices, BodyReader, pathKey } from '../services.js';

/** Topology (a one-node "cluster", in Camunda's shape) and the caller's own API tokens. */
export function systemRoutes(s: AppServices): Router {
  const router = Router();
  router.get('/topology', (_req, res) => {
    res.json({
      brokers: [
        {
          nodeId: 0,
          host: 'lifeflow',
          port: 0,
          partitions: [{ partitionId: 1, role: 'leader', health: 'healthy' }],
          version: s.version,
        },
      ],
      clusterSize: 1,
      partitionsCount: 1,
      replicationFactor: 1,
      gatewayVersion: s.version,
      lastCompletedChangeId: '-1',
    });
  });

  router.get('/authentication/me', (req, res) => {
    const p = req.principal!;
    res.json({
      username: p.username,
      displayName: p.name,
      tenants: p.tenantIds.map((tenantId) => ({ tenantId })),
      groups: p.groups,
      roles: p.roles,
    });
  });

  router.post('/auth/tokens', async (req, res) => {
    const b = new BodyReader(req.body ?? {});
    const name = b.string('name', { required: true });
    b.done();
    const token = `lf_${randomBytes(32).toString('base64url')}`;
    const tokenKey = s.nextKey();
    await s
      .knex('api_tokens')
      .insert({ token_key: tokenKey, username: req.principal!.username, name, token_hash: hashToken(token) });
    res.status(201).json({ tokenKey, name, token });
  });

  router.get('/auth/tokens', async (req, res) => {
    const rows = await s
      .knex('api_tokens')
      .where({ username: req.principal!.username })
      .whereNull('revoked_at')
      .orderBy('token_key');
    res.json({
      items: rows.map((r: any) => ({
        tokenKey: String(r.token_key),
        name: r.name,
        createdAt: new Date(r.created_at).toISOString(),
      })),
      page: { totalItems: rows.length },
    });
  });

  router.delete('/auth/tokens/:key', async (req, res) => {
    const key = pathKey(req.params.key, 'tokenKey');
    const n = await s
      .knex('api_tokens')
      .where({ token_key: key, username: req.principal!.username })
      .whereNull('revoked_at')
      .update({ revoked_at: new Date() });
    if (!n) throw notFound(`expected to find API token with key <${key}>, but none was found`);
    res.status(204).end();
  });
  return router;
}
