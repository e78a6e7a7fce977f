import { requireCapability } from '../../auth/access.js';
import { Router } from 'express';
import multer from 'multer';
import { badRequest } from '../problem.js';
import { type AppServices, actorOf, targetTenant } from '../services.js';

const MAX_RESOURCE_BYTES = 2 * 1024 * 1024;
const MAX_RESOURCES = 20;

/** POST /v2/deployments: multipart `resources` (.bpmn, .form, rule-set .json) and optional tenantId. */
export function deploymentRoutes(s: AppServices): Router {
  const router = Router();
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: MAX_RESOURCE_BYTES,
      files: MAX_RESOURCES,
      fields: 5,
      fieldSize: 1024,
      parts: MAX_RESOURCES + 5,
    },
  });
  router.post('/deployments', (req, res, next) => {
    upload.array('resources')(req, res, async (err: unknown) => {
      try {
        if (err) {
          const e = err as { code?: string; message: string; field?: string };
          throw badRequest(`the upload was rejected: ${e.message}`, [
            {
              field: e.field ?? 'resources',
              reason:
                e.code === 'LIMIT_FILE_SIZE'
                  ? `a resource may be at most ${MAX_RESOURCE_BYTES} bytes`
                  : e.message,
            },
          ]);
        }
        requireCapability(req.principal!, 'deploy', 'deploy');
        const files = (req.files as Express.Multer.File[] | undefined) ?? [];
        const tenantId = targetTenant(req, req.body?.tenantId);
        const result = await s.definitions.deploy(
          tenantId,
          files.map((f) => ({ name: f.originalname, content: f.buffer })),
          actorOf(req).username,
        );
        res.json(result);
      } catch (e) {
        next(e);
      }
    });
  });
  return router;
}
