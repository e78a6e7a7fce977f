import { Router } from 'express';
import { badRequest, notFound } from '../problem.js';
import { search } from '../search.js';
import { type AppServices, pathKey } from '../services.js';

const view = (r: any) => ({
  lessonKey: String(r.lesson_key),
  tenantId: r.tenant_id as string,
  processInstanceKey: String(r.process_instance_key),
  project: r.project as string | null,
  asset: r.asset as string | null,
  category: r.category as string | null,
  severity: r.severity as string | null,
  title: r.title as string,
  cause: r.cause as string | null,
  measures: r.measures as string | null,
  lesson: r.lesson as string | null,
  createdAt: new Date(r.created_at).toISOString(),
});

/**
 * The design lessons library (设计经验库, Lifeflow): closed operations problems with their cause
 * and lesson, for the design reviews of the next projects. Everyone of the tenant may read it.
 * `filter.text` finds a word in the title, cause, measures or lesson.
 */
export function designLessonRoutes(s: AppServices): Router {
  const router = Router();

  router.post('/design-lessons/search', async (req, res) => {
    const body = (req.body ?? {}) as { filter?: Record<string, unknown> };
    const { text, ...filter } = body.filter ?? {};
    if (text !== undefined && (typeof text !== 'string' || text.length > 200))
      throw badRequest('filter.text must be a text of at most 200 characters', [
        { field: 'filter.text', reason: 'must be a text of at most 200 characters' },
      ]);
    const base = s.knex('design_lessons').whereIn('tenant_id', req.principal!.tenantIds);
    if (typeof text === 'string' && text.trim()) {
      const like = `%${text.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      base.where((q) =>
        q
          .whereILike('title', like)
          .orWhereILike('cause', like)
          .orWhereILike('measures', like)
          .orWhereILike('lesson', like),
      );
    }
    res.json(
      await search(
        base,
        {
          lessonKey: { column: 'lesson_key', type: 'key' },
          tenantId: { column: 'tenant_id' },
          processInstanceKey: { column: 'process_instance_key', type: 'key' },
          project: { column: 'project' },
          asset: { column: 'asset' },
          category: { column: 'category' },
          severity: { column: 'severity' },
          createdAt: { column: 'created_at', type: 'date' },
        },
        { ...body, filter },
        view,
        [{ column: 'created_at', order: 'desc' }],
      ),
    );
  });

  router.get('/design-lessons/:key', async (req, res) => {
    const key = pathKey(req.params.key, 'key');
    const row = await s
      .knex('design_lessons')
      .where({ lesson_key: key })
      .whereIn('tenant_id', req.principal!.tenantIds)
      .first();
    if (!row) throw notFound(`expected to find design lesson with key <${key}>, but none was found`);
    res.json(view(row));
  });

  return router;
}
