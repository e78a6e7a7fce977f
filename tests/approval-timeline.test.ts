import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { png } from './support/sample-files.js';
import { addOtherTenant, startTestRuntime, type TestRuntime } from './support/test-runtime.js';

/**
 * `GET /v2/process-instances/{key}/history?view=timeline`: the approval timeline — who did what,
 * with the comment, the field-level changes of each submission against the previous one,
 * attachments, for whom (代理), routing reasons and automatic decisions.
 */
let t: TestRuntime;

const HANDOVER_FORM = JSON.stringify({
  id: 'handover-package',
  type: 'default',
  components: [
    { type: 'number', key: 'drawings', label: '竣工图（份）', validate: { required: true } },
    { type: 'textfield', key: 'manuals', label: '设备手册' },
    { type: 'filepicker', key: 'photos', label: '现场照片', multiple: true },
  ],
});
const PROCESS = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_tl">
  <bpmn:process id="handover-timeline" name="竣工移交" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="submit" name="提交移交资料"><bpmn:extensionElements>
      <zeebe:assignmentDefinition assignee="con1"/><zeebe:formDefinition formId="handover-package"/>
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="review" name="工程部审核"><bpmn:extensionElements>
      <lf:approval assignees="eng1" onReject="return"/>
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="submit"/>
    <bpmn:sequenceFlow id="f2" sourceRef="submit" targetRef="review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

beforeAll(async () => {
  t = await startTestRuntime();
  const res = await t.deploy([
    { name: 'handover.bpmn', content: PROCESS },
    { name: 'handover-package.form', content: HANDOVER_FORM },
  ]);
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const timeline = async (key: string, user = 'admin', password?: string) =>
  t.api('GET', `/v2/process-instances/${key}/history?view=timeline`, undefined, { user, password });

const taskOf = (key: string, user: string) => t.taskOf(key, user);

describe('the approval timeline', () => {
  it('diffs a resubmission against the one before, with comments, attachments and who acted for whom', async () => {
    const key = (
      await t.api(
        'POST',
        '/v2/process-instances',
        { processDefinitionId: 'handover-timeline' },
        { user: 'owner' },
      )
    ).body.processInstanceKey;
    const submit = await taskOf(key, 'con1');
    const form = new FormData();
    form.append('file', new Blob([png()], { type: 'image/png' }), '配电室.png');
    form.append('userTaskKey', submit.userTaskKey);
    const photo = await t.upload('/v2/documents', form, { user: 'con1' });
    expect(photo.status, photo.text).toBe(201);
    const first = await t.complete(
      submit,
      { drawings: 3, manuals: '水泵、风机', photos: [photo.body] },
      { user: 'con1' },
    );
    expect(first.status, first.text).toBe(204);

    const review = await taskOf(key, 'eng1');
    const rejected = await t.api(
      'POST',
      `/v2/user-tasks/${review.userTaskKey}/decision`,
      { decision: 'reject', comment: '竣工图缺两份' },
      { user: 'eng1' },
    );
    expect(rejected.status, rejected.text).toBe(204);

    // eng1 is away: the next review goes to sup1, who acts for eng1.
    const now = Date.now();
    const away = await t.api(
      'POST',
      '/v2/substitutions',
      {
        substitute: 'sup1',
        startsAt: new Date(now - 1000).toISOString(),
        endsAt: new Date(now + 3600_000).toISOString(),
      },
      { user: 'eng1' },
    );
    expect(away.status, away.text).toBe(201);
    const again = await taskOf(key, 'con1');
    expect((await t.complete(again, { drawings: 5, manuals: '水泵、风机' }, { user: 'con1' })).status).toBe(
      204,
    );
    const forEng = await taskOf(key, 'sup1');
    expect(
      (
        await t.api(
          'POST',
          `/v2/user-tasks/${forEng.userTaskKey}/decision`,
          { decision: 'approve', comment: '资料齐全' },
          { user: 'sup1' },
        )
      ).status,
    ).toBe(204);

    const res = await timeline(key);
    expect(res.status, res.text).toBe(200);
    const items = res.body.items as any[];
    expect(items.map((e) => e.action)).toEqual([
      'started',
      'completed',
      'routed',
      'rejected',
      'approval_failed',
      'returned',
      'completed',
      'routed',
      'approved',
      'approval_passed',
      'ended',
    ]);
    const [firstSubmit, resubmit] = items.filter((e) => e.action === 'completed');
    expect(firstSubmit).toMatchObject({
      actor: { username: 'con1' },
      userTaskKey: submit.userTaskKey,
      onBehalfOf: null,
      attachments: [{ documentId: photo.body.documentId, fileName: '配电室.png', contentType: 'image/png' }],
    });
    expect(firstSubmit.changes.map((c: any) => [c.field, c.before, c.after]).slice(0, 2)).toEqual([
      ['drawings', null, 3],
      ['manuals', null, '水泵、风机'],
    ]);
    expect(firstSubmit.changes.some((c: any) => c.field.startsWith('photos[0].'))).toBe(true);
    // Only what changed since the first submission: two more drawings, and no photos this time.
    expect(resubmit.changes.filter((c: any) => !c.field.startsWith('photos'))).toEqual([
      { field: 'drawings', before: 3, after: 5 },
    ]);
    expect(resubmit.attachments).toEqual([]);
    expect(items.find((e) => e.action === 'rejected')).toMatchObject({
      actor: { username: 'eng1' },
      comment: '竣工图缺两份',
    });
    expect(items.find((e) => e.action === 'returned')).toMatchObject({ targetName: '提交移交资料' });
    expect(items.find((e) => e.action === 'approved')).toMatchObject({
      actor: { username: 'sup1' },
      onBehalfOf: { username: 'eng1' },
      comment: '资料齐全',
    });
    expect(items.find((e) => e.action === 'routed')).toMatchObject({
      to: [{ username: 'eng1' }],
      comment: 'listed in the model',
    });
  });

  it('refuses an unknown view, and hides the timeline from other tenants', async () => {
    const key = (
      await t.api(
        'POST',
        '/v2/process-instances',
        { processDefinitionId: 'handover-timeline' },
        { user: 'owner' },
      )
    ).body.processInstanceKey;
    const bad = await t.api('GET', `/v2/process-instances/${key}/history?view=story`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'view', reason: 'must be events or timeline' }]);
    await addOtherTenant(t, {
      username: 'bob',
      password: 'bob-pass-1',
      name: '乙公司管理员',
      roles: ['admin'],
    });
    expect((await timeline(key, 'bob', 'bob-pass-1')).status).toBe(404);
    // The default view is still the event trail.
    const events = await t.api('GET', `/v2/process-instances/${key}/history`);
    expect(events.body.items[0].eventType).toBe('instance.created');
  });
});
