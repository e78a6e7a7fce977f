import { whereVariableEquals } from '../../persistence/variable-filters.js';
import { type Request, Router } from 'express';
import { requireCapability, restrictToReadableInstances } from '../../auth/access.js';
import { badRequest, conflict, notFound } from '../problem.js';
import { type FieldSpec, search } from '../search.js';
import { type AppServices, BodyReader, pathKey, targetTenant } from '../services.js';

const CODE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;
const BIM_GUID =
  /^[0-9A-Za-z_$-]{22}$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TEXT_FIELDS = ['name', 'project', 'building', 'system', 'equipment'] as const;

const view = (r: any) => ({
  assetKey: String(r.asset_key),
  tenantId: r.tenant_id as string,
  code: r.code as string,
  name: r.name as string,
  project: r.project as string,
  building: (r.building as string | null) ?? null,
  system: (r.system as string | null) ?? null,
  equipment: (r.equipment as string | null) ?? null,
  bimGuid: (r.bim_guid as string | null) ?? null,
  createdAt: new Date(r.created_at).toISOString(),
});

const FIELDS: Record<string, FieldSpec> = {
  assetKey: { column: 'asset_key', type: 'key' },
  tenantId: { column: 'tenant_id' },
  code: { column: 'code' },
  name: { column: 'name' },
  project: { column: 'project' },
  building: { column: 'building' },
  system: { column: 'system' },
  equipment: { column: 'equipment' },
  bimGuid: { column: 'bim_guid' },
};

/** Reads and checks the fields of an asset (all required on create, any on update). */
function readAsset(body: unknown, creating: boolean) {
  const b = new BodyReader((body ?? {}) as Record<string, unknown>);
  const row: Record<string, string | null> = {};
  const code = b.string('code', { required: creating });
  if (code !== undefined) {
    if (!CODE.test(code))
      b.errors.push({ field: 'code', reason: 'must be 1-100 letters, digits or . _ / - (a location code)' });
    row.code = code;
  }
  for (const f of TEXT_FIELDS) {
    const required = creating && (f === 'name' || f === 'project');
    const v = b.body[f];
    if (v === null && !required) {
      row[f] = null;
      continue;
    }
    const s = b.string(f, { required });
    if (s === undefined) continue;
    if (s.length > 200) b.errors.push({ field: f, reason: 'must be at most 200 characters' });
    row[f] = s;
  }
  if (b.body.bimGuid === null) row.bim_guid = null;
  else {
    const g = b.string('bimGuid');
    if (g !== undefined) {
      if (!BIM_GUID.test(g))
        b.errors.push({ field: 'bimGuid', reason: 'must be an IFC GlobalId (22 characters) or a UUID' });
      row.bim_guid = g;
    }
  }
  const tenantId = b.body.tenantId;
  const known = new Set(['code', 'bimGuid', 'tenantId', ...TEXT_FIELDS]);
  for (const k of Object.keys(b.body))
    if (!known.has(k)) b.errors.push({ field: k, reason: 'is not a field of an asset' });
  b.done();
  return { row, tenantId };
}

/**
 * Lifeflow: assets (项目 › 楼栋 › 系统 › 设备 with a location code and optional BIM GUID). Everyone
 * of the tenant reads them; administrators and process owners change them. The overview brings an
 * asset's whole story together: the instances that name it (variable `asset` = its code), its open
 * problems, the handover documents and the KPI results of its project.
 */
export function assetRoutes(s: AppServices): Router {
  const router = Router();
  const find = async (req: Request) => {
    const key = pathKey(req.params.key, 'assetKey');
    const row = await s
      .knex('assets')
      .where({ asset_key: key })
      .whereIn('tenant_id', req.principal!.tenantIds)
      .first();
    if (!row) throw notFound(`expected to find asset with key <${key}>, but none was found`);
    return row;
  };
  const unique = async <T>(run: () => Promise<T>, code: string | null | undefined): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw conflict(`an asset with code <${code}> exists in the tenant already`);
      throw err;
    }
  };

  router.post('/assets', async (req, res) => {
    requireCapability(req.principal!, 'deploy', 'create assets');
    const { row, tenantId: named } = readAsset(req.body, true);
    const tenantId = targetTenant(req, named);
    const assetKey = s.nextKey();
    await unique(
      () => s.knex('assets').insert({ asset_key: assetKey, tenant_id: tenantId, ...row }),
      row.code,
    );
    res.status(201).json(view(await s.knex('assets').where({ asset_key: assetKey }).first()));
  });

  router.post('/assets/search', async (req, res) => {
    res.json(
      await search(s.knex('assets').whereIn('tenant_id', req.principal!.tenantIds), FIELDS, req.body, view, [
        { column: 'project', order: 'asc' },
        { column: 'code', order: 'asc' },
      ]),
    );
  });

  router.get('/assets/:key', async (req, res) => {
    res.json(view(await find(req)));
  });

  router.patch('/assets/:key', async (req, res) => {
    requireCapability(req.principal!, 'deploy', 'change assets');
    const current = await find(req);
    const { row, tenantId } = readAsset(req.body, false);
    if (tenantId !== undefined)
      throw badRequest('an asset cannot move to another tenant', [
        { field: 'tenantId', reason: 'cannot be changed' },
      ]);
    for (const f of ['name', 'project'])
      if (row[f] === null) throw badRequest(`${f} is required`, [{ field: f, reason: 'cannot be removed' }]);
    if (Object.keys(row).length)
      await unique(() => s.knex('assets').where({ asset_key: current.asset_key }).update(row), row.code);
    res.json(view(await s.knex('assets').where({ asset_key: current.asset_key }).first()));
  });

  router.delete('/assets/:key', async (req, res) => {
    requireCapability(req.principal!, 'deploy', 'delete assets');
    const current = await find(req);
    await s.knex('assets').where({ asset_key: current.asset_key }).delete();
    res.status(204).end();
  });

  router.get('/assets/:key/overview', async (req, res) => {
    const asset = await find(req);
    const subject = req.principal!;
    // The instances whose own variable `asset` is this code, as far as the caller may read them.
    const instances = await restrictToReadableInstances(
      whereVariableEquals(
        s.knex('process_instances as pi').where({ 'pi.tenant_id': asset.tenant_id }),
        'pi.process_instance_key',
        'asset',
        asset.code,
      )
        .orderBy('pi.start_date', 'desc')
        .limit(200)
        .select(
          'pi.process_instance_key',
          'pi.process_definition_id',
          'pi.process_definition_version',
          'pi.state',
          'pi.business_key',
          'pi.start_date',
          'pi.end_date',
        ),
      subject,
      'pi.process_instance_key',
    );
    const keys = instances.map((i: any) => i.process_instance_key);
    const ids: string[] = [...new Set<string>(instances.map((i: any) => i.process_definition_id))];
    // The newest version's name of each process (older rows first, so the newest wins).
    const definitions: any[] = await s
      .knex('process_definitions')
      .where({ tenant_id: asset.tenant_id })
      .whereIn('process_definition_id', ids)
      .orderBy('version', 'asc')
      .select('process_definition_id', 'name');
    const names = new Map<string, string | null>(definitions.map((d) => [d.process_definition_id, d.name]));
    const vars = keys.length
      ? await s
          .knex('variables')
          .whereIn('process_instance_key', keys)
          .whereRaw('scope_key = process_instance_key')
          .whereIn('name', ['description', 'severity', 'category', 'kpiResult'])
          .select('process_instance_key', 'name', 'value')
      : [];
    const varsOf = (key: unknown) =>
      Object.fromEntries(
        vars
          .filter((v: any) => String(v.process_instance_key) === String(key))
          .map((v: any) => [v.name, v.value]), // jsonb: both drivers parse it
      );
    const instanceView = (i: any) => ({
      processInstanceKey: String(i.process_instance_key),
      processDefinitionId: i.process_definition_id as string,
      processDefinitionName: names.get(i.process_definition_id) ?? null,
      processDefinitionVersion: Number(i.process_definition_version),
      state: i.state as string,
      businessKey: (i.business_key as string | null) ?? null,
      startDate: new Date(i.start_date).toISOString(),
      endDate: i.end_date ? new Date(i.end_date).toISOString() : null,
    });
    const openProblems = instances
      .filter((i: any) => i.process_definition_id === 'feedback-loop' && i.state === 'ACTIVE')
      .map((i: any) => {
        const v = varsOf(i.process_instance_key);
        return {
          ...instanceView(i),
          description: v.description ?? null,
          severity: v.severity ?? null,
          category: v.category ?? null,
        };
      });
    const handoverKeys = instances
      .filter((i: any) => i.process_definition_id === 'handover-signoff')
      .map((i: any) => i.process_instance_key);
    const documents = handoverKeys.length
      ? await s
          .knex('documents')
          .where({ tenant_id: asset.tenant_id })
          .whereIn('process_instance_key', handoverKeys)
          .whereNull('expires_at')
          .orderBy('created_at', 'desc')
          .limit(200)
          .select(
            'document_id',
            'file_name',
            'content_type',
            'size',
            'uploaded_by',
            'created_at',
            'process_instance_key',
          )
      : [];
    // KPI results of the asset's project (the reviews are per project), newest first.
    const kpis = await restrictToReadableInstances(
      s
        .knex('process_instances as pi')
        .join('variables as v', function () {
          this.on('v.process_instance_key', 'pi.process_instance_key').andOn(
            'v.scope_key',
            'pi.process_instance_key',
          );
        })
        .where({
          'pi.tenant_id': asset.tenant_id,
          'pi.process_definition_id': 'kpi-review',
          'pi.state': 'COMPLETED',
          'v.name': 'kpiResult',
        })
        .whereRaw("v.value->>'project' = ?", [asset.project])
        .orderBy('pi.end_date', 'desc')
        .limit(20)
        .select('pi.process_instance_key', 'pi.end_date', 'v.value'),
      subject,
      'pi.process_instance_key',
    );
    res.json({
      asset: view(asset),
      instances: instances.map(instanceView),
      openProblems,
      handoverDocuments: documents.map((d: any) => ({
        documentId: d.document_id,
        fileName: d.file_name,
        contentType: d.content_type,
        size: Number(d.size),
        uploadedBy: d.uploaded_by,
        createdAt: new Date(d.created_at).toISOString(),
        processInstanceKey: String(d.process_instance_key),
      })),
      kpis: kpis.map((k: any) => ({
        processInstanceKey: String(k.process_instance_key),
        endDate: new Date(k.end_date).toISOString(),
        result: k.value,
      })),
    });
  });

  return router;
}
