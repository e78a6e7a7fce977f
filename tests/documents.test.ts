import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defs, flow } from './support/bpmn.js';
import { docx, pdf, png } from './support/sample-files.js';
import { addOtherTenant, startTestRuntime, type TestRuntime } from './support/test-runtime.js';

const MAX_BYTES = 256 * 1024;
let t: TestRuntime;
let documentsDir: string;

const as = (user: string, password?: string) => ({ user, password });

const SITE_FORM = JSON.stringify({
  id: 'site-photos',
  type: 'default',
  components: [
    { type: 'filepicker', key: 'photos', label: '现场照片', multiple: true, validate: { required: true } },
    { type: 'filepicker', key: 'report', label: '整改报告' },
    { type: 'textfield', key: 'note', label: '备注' },
  ],
});
const SITE = defs(
  'site-check',
  `<bpmn:startEvent id="s"/>
   <bpmn:userTask id="inspect" name="现场检查">
     <bpmn:extensionElements>
       <zeebe:userTask/>
       <zeebe:assignmentDefinition candidateGroups="field"/>
       <zeebe:formDefinition formId="site-photos"/>
     </bpmn:extensionElements>
   </bpmn:userTask>
   <bpmn:userTask id="review" name="复核"/>
   <bpmn:endEvent id="e"/>
   ${flow('f1', 's', 'inspect')}${flow('f2', 'inspect', 'review')}${flow('f3', 'review', 'e')}`,
);

/** Uploads bytes as a multipart `file` part, with optional extra fields. */
function upload(
  bytes: Uint8Array,
  fileName: string,
  opts: { user?: string; password?: string; type?: string; fields?: Record<string, string> } = {},
) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: opts.type ?? 'application/octet-stream' }), fileName);
  for (const [k, v] of Object.entries(opts.fields ?? {})) form.append(k, v);
  return t.upload('/v2/documents', form, { user: opts.user, password: opts.password });
}

async function download(documentId: string, user = 'admin', password?: string) {
  const res = await fetch(`${t.baseUrl}/v2/documents/${documentId}`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${password ?? (user === 'admin' ? 'admin' : 'demo')}`).toString('base64')}`,
    },
  });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** A new site-check instance and its open inspection task (for group `field`). */
async function siteTask() {
  const key = await t.start('site-check');
  const [task] = await t.openTasks(key);
  return { key, taskKey: task.userTaskKey as string, task };
}

async function storedFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(documentsDir)) {
    if (d === '.tmp') continue;
    out.push(...(await readdir(path.join(documentsDir, d))));
  }
  return out;
}

beforeAll(async () => {
  documentsDir = await mkdtemp(path.join(tmpdir(), 'lifeflow-documents-test-'));
  t = await startTestRuntime({ runtime: { documents: { dir: documentsDir, maxBytes: MAX_BYTES } } });
  // Another tenant with its own user, bob.
  await addOtherTenant(t, { username: 'bob', password: 'bob-pass-1', name: '乙-管理员', roles: ['admin'] });
  const res = await t.deploy([
    { name: 'site-check.bpmn', content: SITE },
    { name: 'site-photos.form', content: SITE_FORM },
  ]);
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
  await rm(documentsDir, { recursive: true, force: true });
});

describe('uploading and downloading documents', () => {
  it('stores a photo for a task and hands it back byte for byte, as an attachment that is never sniffed', async () => {
    const { key, taskKey } = await siteTask();
    const bytes = png();
    const res = await upload(bytes, '现场照片 "1".png', { user: 'field1', fields: { userTaskKey: taskKey } });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({
      'camunda.document.type': 'camunda',
      storeId: 'local',
      documentId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      contentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      metadata: {
        contentType: 'image/png',
        fileName: '现场照片 "1".png',
        size: bytes.length,
        expiresAt: null,
        processDefinitionId: 'site-check',
        processInstanceKey: key,
        userTaskKey: taskKey,
        customProperties: {},
      },
    });

    const got = await download(res.body.documentId, 'field1');
    expect(got.status).toBe(200);
    expect(got.bytes.equals(bytes)).toBe(true);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-disposition')).toBe(
      `attachment; filename="____ _1_.png"; filename*=UTF-8''${encodeURIComponent('现场照片 "1".png')}`,
    );

    // on disk the file is named by its id, never by the user's name
    expect(await storedFiles()).toContain(res.body.documentId);
    expect((await storedFiles()).some((f) => f.includes('现场'))).toBe(false);

    // who may read the instance may read the document; the rest are told it does not exist
    expect((await download(res.body.documentId, 'admin')).status).toBe(200);
    expect((await download(res.body.documentId, 'audit1')).status).toBe(200);
    const stranger = await download(res.body.documentId, 'eng1');
    expect(stranger.status).toBe(404);
    const otherTenant = await download(res.body.documentId, 'bob', 'bob-pass-1');
    expect(otherTenant.status).toBe(404);
    expect(
      (await t.api('DELETE', `/v2/documents/${res.body.documentId}`, undefined, as('bob', 'bob-pass-1')))
        .status,
    ).toBe(404);
  });

  it('keeps a document uploaded without a link to its uploader alone', async () => {
    const bytes = pdf();
    const res = await upload(bytes, '整改报告.pdf', { user: 'field1', type: 'application/pdf' });
    expect(res.status, res.text).toBe(201);
    expect(res.body.metadata).toMatchObject({ contentType: 'application/pdf', processInstanceKey: null });
    const mine = await download(res.body.documentId, 'field1');
    expect(mine.status).toBe(200);
    expect(mine.bytes.equals(bytes)).toBe(true);
    expect((await download(res.body.documentId, 'admin')).status).toBe(404);
    expect((await download(res.body.documentId, 'eng1')).status).toBe(404);
    expect((await download('00000000-0000-4000-8000-000000000000', 'field1')).status).toBe(404);
    expect((await download('not-an-id', 'field1')).status).toBe(404);
  });

  it('takes the type from the content: a .jpg that is really HTML is refused with 415 naming the field', async () => {
    const before = await storedFiles();
    const html = Buffer.from('<!DOCTYPE html><html><script>alert(document.cookie)</script></html>');
    const res = await upload(html, 'photo.jpg', { user: 'field1', type: 'image/jpeg' });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors).toEqual([{ field: 'file', reason: expect.stringContaining('HTML') }]);
    expect(await storedFiles()).toEqual(before);

    const exe = await upload(Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0]), 'report.pdf', {
      user: 'field1',
    });
    expect(exe.status).toBe(415);
    // a real Word document passes whatever it is called
    const word = await upload(docx(), 'minutes.bin', { user: 'field1' });
    expect(word.status, word.text).toBe(201);
    expect(word.body.metadata.contentType).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
  });

  it('refuses files over the size limit with 413, and bad requests with 400 or 415 naming the field', async () => {
    const big = Buffer.concat([png(), Buffer.alloc(MAX_BYTES)]);
    const res = await upload(big, 'huge.png', { user: 'field1' });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors).toEqual([{ field: 'file', reason: `must be at most ${MAX_BYTES} bytes` }]);

    const json = await t.api('POST', '/v2/documents', { file: 'x' }, as('field1'));
    expect(json.status).toBe(415);
    const noFile = new FormData();
    noFile.append('userTaskKey', '1');
    const missing = await t.upload('/v2/documents', noFile, as('field1'));
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toContainEqual({ field: 'file', reason: expect.any(String) });
    const badKey = await upload(png(), 'a.png', { user: 'field1', fields: { userTaskKey: 'abc' } });
    expect(badKey.status).toBe(400);
    expect(badKey.body.errors[0].field).toBe('userTaskKey');
    const empty = await upload(Buffer.alloc(0), 'empty.txt', { user: 'field1' });
    expect(empty.status).toBe(400);
  });

  it('lets only the people a task is meant for upload to it, while it is open', async () => {
    const { taskKey } = await siteTask();
    // eng1 is no candidate (group field): the task does not exist for them
    expect((await upload(png(), 'a.png', { user: 'eng1', fields: { userTaskKey: taskKey } })).status).toBe(
      404,
    );
    expect(
      (
        await upload(png(), 'a.png', {
          user: 'bob',
          password: 'bob-pass-1',
          fields: { userTaskKey: taskKey },
        })
      ).status,
    ).toBe(404);
    // auditors change nothing
    expect((await upload(png(), 'a.png', { user: 'audit1' })).status).toBe(403);
    // an administrator sees the task but is not a candidate
    expect((await upload(png(), 'a.png', { user: 'admin', fields: { userTaskKey: taskKey } })).status).toBe(
      403,
    );
  });
});

describe('filepicker fields', () => {
  it('completes a task with document references, links them, and stores the verified references', async () => {
    const { key, taskKey, task } = await siteTask();
    const photo = await upload(png(), 'pump.png', { user: 'field1', fields: { userTaskKey: taskKey } });
    const report = await upload(pdf(), 'report.pdf', { user: 'field1' }); // unlinked, linked on completion
    expect(photo.status).toBe(201);
    expect(report.status).toBe(201);
    // the client may send back a reference with altered metadata: the stored one wins
    const sentPhoto = { ...photo.body, metadata: { ...photo.body.metadata, contentType: 'text/html' } };
    const done = await t.complete(
      task,
      { photos: [sentPhoto], report: report.body, note: '泵房已整改' },
      as('field1'),
    );
    expect(done.status, done.text).toBe(204);

    const vars = await t.rootVariables(key);
    expect(vars.photos).toEqual([photo.body]);
    expect(vars.report).toEqual({
      ...report.body,
      metadata: {
        ...report.body.metadata,
        processInstanceKey: key,
        processDefinitionId: 'site-check',
        userTaskKey: taskKey,
      },
    });
    const rows = await t.runtime
      .knex('documents')
      .whereIn('document_id', [photo.body.documentId, report.body.documentId]);
    for (const r of rows) {
      expect(String(r.process_instance_key)).toBe(key);
      expect(String(r.user_task_key)).toBe(taskKey);
    }
    // now the instance's readers may download the report too
    expect((await download(report.body.documentId, 'admin')).status).toBe(200);
    // and the uploader can no longer delete what the completed task refers to
    expect(
      (await t.api('DELETE', `/v2/documents/${photo.body.documentId}`, undefined, as('field1'))).status,
    ).toBe(403);
  });

  it('refuses forged, foreign and malformed references with 400 naming the field', async () => {
    const { taskKey, task } = await siteTask();
    const other = await siteTask();
    const foreign = await upload(png(), 'other.png', {
      user: 'field1',
      fields: { userTaskKey: other.taskKey },
    });
    const someoneElses = await upload(png(), 'eng.png', { user: 'eng1' });
    const mine = await upload(png(), 'mine.png', { user: 'field1', fields: { userTaskKey: taskKey } });
    const forged = { ...mine.body, documentId: '3f1c6a52-6f0e-4b8e-9d55-0c2a7f1e9b10' };

    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ photos: [forged] }, 'variables.photos[0]', /does not exist or was not uploaded for this task/],
      [{ photos: [foreign.body] }, 'variables.photos[0]', /was not uploaded for this task/],
      [{ photos: [mine.body], report: someoneElses.body }, 'variables.report', /was not uploaded/],
      [{ photos: [{ ...mine.body, contentHash: '0'.repeat(64) }] }, 'variables.photos[0]', /contentHash/],
      [{ photos: 'files::abc' }, 'variables.photos', /list of document references/],
      [{ photos: [{ fileName: 'x.png' }] }, 'variables.photos[0]', /documentId/],
      [{ photos: [mine.body], report: [mine.body, mine.body] }, 'variables.report', /at most one document/],
      [{ photos: [] }, 'variables.photos', /is required/],
    ];
    for (const [variables, field, reason] of cases) {
      const res = await t.complete(task, variables, as('field1'));
      expect(res.status, JSON.stringify(variables)).toBe(400);
      expect(res.body.errors).toContainEqual({ field, reason: expect.stringMatching(reason) });
      task.assignee = 'field1';
    }
    expect((await t.openTasks(other.key)).length).toBe(1);
    // nothing was linked by the refused attempts
    const row = await t.runtime
      .knex('documents')
      .where({ document_id: someoneElses.body.documentId })
      .first();
    expect(row.process_instance_key).toBeNull();
    // and the task can still be completed properly
    expect((await t.complete(task, { photos: [mine.body] }, as('field1'))).status).toBe(204);
  });
});

describe('deleting documents', () => {
  it('lets the uploader delete while the task is open, and administrators or owners at any time', async () => {
    const { taskKey } = await siteTask();
    const a = await upload(png(), 'a.png', { user: 'field1', fields: { userTaskKey: taskKey } });
    const b = await upload(png(), 'b.png', { user: 'field1', fields: { userTaskKey: taskKey } });
    expect(
      (await t.api('DELETE', `/v2/documents/${a.body.documentId}`, undefined, as('audit1'))).status,
    ).toBe(403);
    expect((await t.api('DELETE', `/v2/documents/${a.body.documentId}`, undefined, as('eng1'))).status).toBe(
      404,
    );
    expect(
      (await t.api('DELETE', `/v2/documents/${a.body.documentId}`, undefined, as('field1'))).status,
    ).toBe(204);
    expect((await download(a.body.documentId, 'field1')).status).toBe(404);
    expect(await storedFiles()).not.toContain(a.body.documentId);
    expect((await t.api('DELETE', `/v2/documents/${b.body.documentId}`, undefined, as('owner'))).status).toBe(
      204,
    );
    expect((await t.api('DELETE', `/v2/documents/${b.body.documentId}`, undefined, as('owner'))).status).toBe(
      404,
    );
  });
});
