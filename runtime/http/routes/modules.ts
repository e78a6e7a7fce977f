import { Router } from 'express';
import { requireCapability } from '../../auth/access.js';
import { DEFAULT_TENANT_ID } from '../../persistence/seed.js';
import { badRequest, forbidden } from '../problem.js';
import { type AppServices, actorOf, BodyReader, targetTenant } from '../services.js';

const MODULE_ID = /^[a-z][a-z0-9-]{1,62}$/;
const VERSION = /^\d{1,6}\.\d{1,6}\.\d{1,6}$/;

function moduleIdOf(raw: unknown): string {
  const id = String(raw);
  if (!MODULE_ID.test(id))
    throw badRequest(`expected a module id, got <${id}>`, [
      { field: 'moduleId', reason: 'must be a module id' },
    ]);
  return id;
}

function versionOf(raw: unknown, field = 'version', required = false): string | undefined {
  if (raw === undefined || raw === null || raw === '') {
    if (required) throw badRequest(`${field} is required`, [{ field, reason: 'is required' }]);
    return undefined;
  }
  if (typeof raw !== 'string' || !VERSION.test(raw))
    throw badRequest(`${field} must be a version like 1.0.0`, [
      { field, reason: 'must be a version like 1.0.0' },
    ]);
  return raw;
}

/**
 * Modules (Lifeflow): the group standard's versioned bundles, and each tenant's use of them.
 *
 * - `POST /v2/modules` imports a module file (the group standard: administrators of the group
 *   tenant `<default>` only); `GET /v2/modules/{id}/versions/{version}/file` exports one.
 * - `POST /v2/modules/search`, `GET /v2/modules/{id}`: what exists and what the tenant uses.
 * - `POST /v2/modules/{id}/enablement` enables (or upgrades to) a version in a tenant, deploying
 *   it; `DELETE` disables it. `POST …/upgrade-preview` lists what a version would change first.
 * - `GET/PUT/DELETE /v2/modules/{id}/resources/{name}[/override]`: the tenant's own version of a
 *   process, form or rule set, with the standard it differs from.
 */
export function moduleRoutes(s: AppServices): Router {
  const router = Router();

  router.post('/modules', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'import modules');
    if (!req.principal!.tenantIds.includes(DEFAULT_TENANT_ID))
      throw forbidden(
        `only administrators of the group tenant <${DEFAULT_TENANT_ID}> may import module standards`,
      );
    const result = await s.modules.import(req.body, actorOf(req).username);
    res.status(result.created ? 201 : 200).json(result);
  });

  router.post('/modules/search', async (req, res) => {
    requireCapability(req.principal!, 'read-all', 'read modules');
    const b = new BodyReader(req.body ?? {});
    const filter = (b.body.filter ?? {}) as Record<string, unknown>;
    const tenantId = targetTenant(req, b.body.tenantId);
    const moduleId = filter.moduleId === undefined ? undefined : moduleIdOf(filter.moduleId);
    const items = await s.modules.search(tenantId, { moduleId });
    res.json({ items, page: { totalItems: items.length } });
  });

  router.get('/modules/:moduleId', async (req, res) => {
    requireCapability(req.principal!, 'read-all', 'read modules');
    const tenantId = targetTenant(req, req.query.tenantId);
    res.json(await s.modules.get(tenantId, moduleIdOf(req.params.moduleId)));
  });

  router.get('/modules/:moduleId/versions/:version/file', async (req, res) => {
    requireCapability(req.principal!, 'deploy', 'export modules');
    const id = moduleIdOf(req.params.moduleId);
    const version = versionOf(req.params.version, 'version', true)!;
    const file = await s.modules.file(id, version);
    res.setHeader('content-disposition', `attachment; filename="${id}-${version}.lfmodule.json"`);
    res.json(file);
  });

  router.post('/modules/:moduleId/enablement', async (req, res) => {
    requireCapability(req.principal!, 'deploy', 'enable modules');
    const b = new BodyReader(req.body ?? {});
    const tenantId = targetTenant(req, b.string('tenantId'));
    const version = versionOf(b.body.version);
    b.done();
    res.json(
      await s.modules.enable(tenantId, moduleIdOf(req.params.moduleId), version, actorOf(req).username),
    );
  });

  router.delete('/modules/:moduleId/enablement', async (req, res) => {
    requireCapability(req.principal!, 'deploy', 'disable modules');
    const tenantId = targetTenant(req, req.query.tenantId);
    await s.modules.disable(tenantId, moduleIdOf(req.params.moduleId), actorOf(req).username);
    res.status(204).end();
  });

  router.post('/modules/:moduleId/upgrade-preview', async (req, res) => {
    requireCapability(req.principal!, 'deploy', 'upgrade modules');
    const b = new BodyReader(req.body ?? {});
    const tenantId = targetTenant(req, b.string('tenantId'));
    const version = versionOf(b.body.version, 'version', true)!;
    b.done();
    res.json(await s.modules.upgradePreview(tenantId, moduleIdOf(req.params.moduleId), version));
  });

  router.get('/modules/:moduleId/resources/:resourceName', async (req, res) => {
    requireCapability(req.principal!, 'read-all', 'read modules');
    const tenantId = targetTenant(req, req.query.tenantId);
    res.json(
      await s.modules.resource(tenantId, moduleIdOf(req.params.moduleId), String(req.params.resourceName)),
    );
  });

  router.put('/modules/:moduleId/resources/:resourceName/override', async (req, res) => {
    requireCapability(req.principal!, 'deploy', 'customise modules');
    const b = new BodyReader(req.body ?? {});
    const tenantId = targetTenant(req, b.string('tenantId'));
    const content = b.string('content', { required: true });
    b.done();
    res.json(
      await s.modules.override(
        tenantId,
        moduleIdOf(req.params.moduleId),
        String(req.params.resourceName),
        content!,
        actorOf(req).username,
      ),
    );
  });

  router.delete('/modules/:moduleId/resources/:resourceName/override', async (req, res) => {
    requireCapability(req.principal!, 'deploy', 'customise modules');
    const tenantId = targetTenant(req, req.query.tenantId);
    res.json(
      await s.modules.removeOverride(
        tenantId,
        moduleIdOf(req.params.moduleId),
        String(req.params.resourceName),
        actorOf(req).username,
      ),
    );
  });

  return router;
}
