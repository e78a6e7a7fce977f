import { Router } from 'express';
import type { AppServices } from '../services.js';

/** Topology (a one-node "cluster", in Camunda's shape). */
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

  return router;
}
