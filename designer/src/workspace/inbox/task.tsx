import '@bpmn-io/form-js-viewer/dist/assets/form-js.css';
import '@bpmn-io/form-js-viewer/dist/assets/flatpickr/light.css';
import { ArrowLeftOutlined, CameraOutlined, PaperClipOutlined, UploadOutlined } from '@ant-design/icons';
import { Form } from '@bpmn-io/form-js-viewer';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Grid,
  List,
  message,
  Row,
  Space,
  Spin,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router-dom';
import { ApiError, api } from '../../app/api.js';
import { ProblemAlert } from '../../app/problem.js';
import { useSession } from '../../app/session.js';
import {
  formJsViewerModules,
  formLanguage,
  localizeDatePicker,
  localizeFormDom,
} from '../../form-i18n/index.js';
import { ActionDialog, type DialogAction, type DialogField } from './dialogs.js';
import { TaskDiagram } from './diagram.js';
import { formatTime } from './list.js';
import './texts.js';

const LF_NS = 'http://lifeflow.dev/schema/bpmn/1.0';
const BPMN_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';

interface NodeInfo {
  /** lf:approval mode, when the task is an approval. */
  approvalMode: string | null;
  /** The user tasks one can return to: those on a path before the current one. */
  earlier: Array<{ id: string; name: string }>;
}

/** What the model says of the task's element (read with DOMParser; nothing is evaluated). */
function nodeInfo(xml: string, elementId: string): NodeInfo {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const all = Array.from(doc.getElementsByTagNameNS(BPMN_NS, '*'));
  const byId = new Map(all.filter((e) => e.getAttribute('id')).map((e) => [e.getAttribute('id')!, e]));
  const el = byId.get(elementId);
  const approval = el ? Array.from(el.getElementsByTagNameNS(LF_NS, 'approval'))[0] : undefined;
  const incoming = new Map<string, string[]>();
  for (const f of doc.getElementsByTagNameNS(BPMN_NS, 'sequenceFlow')) {
    const to = f.getAttribute('targetRef') ?? '';
    incoming.set(to, [...(incoming.get(to) ?? []), f.getAttribute('sourceRef') ?? '']);
  }
  const seen = new Set<string>([elementId]);
  const queue = [...(incoming.get(elementId) ?? [])];
  const earlier: NodeInfo['earlier'] = [];
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = byId.get(id);
    if (node?.localName === 'userTask') earlier.push({ id, name: node.getAttribute('name') || id });
    queue.push(...(incoming.get(id) ?? []));
  }
  return { approvalMode: approval ? (approval.getAttribute('mode') ?? 'single') : null, earlier };
}

const parseValue = (v: string) => {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

interface Loaded {
  task: any;
  instance: any;
  form: any | null;
  variables: Record<string, unknown>;
  xml: string | null;
  done: string[];
  timeline: any[];
}

async function loadTask(key: string): Promise<Loaded> {
  const task = await api.get(`/v2/user-tasks/${key}`);
  const pik = task.processInstanceKey;
  const [instance, form, vars, xml, elements, history] = await Promise.all([
    api.get(`/v2/process-instances/${pik}`).catch(() => null),
    api.get(`/v2/user-tasks/${key}/form`),
    api
      .post('/v2/variables/search', { filter: { processInstanceKey: pik }, page: { limit: 1000 } })
      .catch(() => ({ items: [] })),
    api
      .get<string>(`/v2/process-definitions/${task.processDefinitionKey}/xml`, { text: true })
      .catch(() => null),
    api
      .post('/v2/element-instances/search', { filter: { processInstanceKey: pik }, page: { limit: 1000 } })
      .catch(() => ({ items: [] })),
    api.get(`/v2/process-instances/${pik}/history?view=timeline`).catch(() => ({ items: [] })),
  ]);
  // The task's own scope wins over the instance's (local variables of the task's element).
  const variables: Record<string, unknown> = {};
  const items = (vars.items ?? []) as any[];
  for (const v of items.filter((v) => v.scopeKey === pik)) variables[v.name] = parseValue(v.value);
  for (const v of items.filter((v) => v.scopeKey === task.elementInstanceKey))
    variables[v.name] = parseValue(v.value);
  const done = [
    ...new Set(
      ((elements.items ?? []) as any[])
        .filter((e) => e.state === 'COMPLETED')
        .map((e) => e.elementId as string),
    ),
  ];
  return { task, instance, form: form ?? null, variables, xml, done, timeline: history.items ?? [] };
}

/** The form-js viewer of the task's form, prefilled; `submit()` answers what is typed right now. */
function TaskForm({
  schema,
  data,
  readOnly,
  formRef,
}: {
  schema: any;
  data: Record<string, unknown>;
  readOnly: boolean;
  formRef: { current: Form | null };
}) {
  const { i18n } = useTranslation('inbox');
  const lang = formLanguage(i18n.language);
  const container = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string>();
  const [ready, setReady] = useState<string>();
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    localizeDatePicker(lang);
    // No debounce: what is typed is in the form's state at once (nothing lost on a quick click).
    const form = new Form({
      container: el,
      additionalModules: formJsViewerModules(lang),
      debounce: false,
    } as any);
    const stop = localizeFormDom(el, lang);
    formRef.current = form;
    setReady(undefined);
    form
      .importSchema(schema, data)
      .then(() => {
        if (readOnly) form.setProperty('readOnly', true);
        setReady(lang);
      })
      .catch((err: Error) => setError(err.message));
    return () => {
      stop();
      if (formRef.current === form) formRef.current = null;
      form.destroy();
    };
  }, [schema, data, lang, readOnly, formRef]);
  return (
    <div data-testid="task-form" data-lang={ready}>
      {error ? <Alert type="error" showIcon title={error} /> : null}
      <div ref={container} />
    </div>
  );
}

const userName = (u: any) => (u ? (u.name ? `${u.name}` : u.username) : '');

function HistoryTimeline({ items }: { items: any[] }) {
  const { t, i18n } = useTranslation('inbox');
  if (!items.length) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('noHistory')} />;
  return (
    <Timeline
      items={items.map((e, i) => ({
        key: i,
        color:
          e.action === 'rejected' || e.action === 'returned'
            ? 'red'
            : e.action === 'approved'
              ? 'green'
              : 'blue',
        children: (
          <div data-testid="task-history-entry" data-action={e.action}>
            <Space size={4} wrap>
              <Typography.Text strong>{e.actor ? userName(e.actor) : t('history.system')}</Typography.Text>
              <Tag>{t(`history.actions.${e.action}`, { defaultValue: e.action })}</Tag>
              {e.elementName ? <Typography.Text>{e.elementName}</Typography.Text> : null}
              {e.to?.length ? <Typography.Text>→ {e.to.map(userName).join('、')}</Typography.Text> : null}
              {e.targetName ? <Typography.Text>→ {e.targetName}</Typography.Text> : null}
              {e.onBehalfOf ? (
                <Typography.Text type="secondary">
                  ({t('history.onBehalfOf', { name: userName(e.onBehalfOf) })})
                </Typography.Text>
              ) : null}
            </Space>
            <div>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {formatTime(e.at, i18n.language)}
              </Typography.Text>
            </div>
            {e.comment ? (
              <Typography.Paragraph style={{ margin: 0 }}>「{e.comment}」</Typography.Paragraph>
            ) : null}
            {e.changes?.length ? (
              <div style={{ fontSize: 12 }}>
                {t('history.changes')}:{' '}
                {e.changes.map((c: any) => (
                  <div key={c.field}>
                    <code>{c.field}</code>: <del>{JSON.stringify(c.before ?? '')}</del> →{' '}
                    {JSON.stringify(c.after ?? '')}
                  </div>
                ))}
              </div>
            ) : null}
            {e.attachments?.length ? (
              <div>
                {e.attachments.map((a: any) => (
                  <a key={a.documentId} href={`/v2/documents/${a.documentId}`} style={{ marginInlineEnd: 8 }}>
                    <PaperClipOutlined /> {a.fileName}
                  </a>
                ))}
              </div>
            ) : null}
          </div>
        ),
      }))}
    />
  );
}

function Attachments({ task, timeline, canUpload }: { task: any; timeline: any[]; canUpload: boolean }) {
  const { t } = useTranslation('inbox');
  const screens = Grid.useBreakpoint();
  const [uploaded, setUploaded] = useState<any[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const cameraInput = useRef<HTMLInputElement>(null);
  const known = timeline.flatMap((e) => e.attachments ?? []);
  const list = [...uploaded, ...known.filter((a) => !uploaded.some((u) => u.documentId === a.documentId))];

  const upload = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setError(undefined);
    try {
      const body = new FormData();
      body.append('file', file, file.name);
      body.append('userTaskKey', task.userTaskKey);
      body.append('tenantId', task.tenantId);
      const ref = await api.post('/v2/documents', body);
      setUploaded((u) => [
        { documentId: ref.documentId, fileName: ref.metadata?.fileName ?? file.name, size: file.size },
        ...u,
      ]);
      message.success(t('uploaded', { name: file.name }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="task-attachments">
      {error ? <ProblemAlert error={error} onClose={() => setError(undefined)} /> : null}
      {canUpload ? (
        <Space wrap style={{ marginBottom: 8 }}>
          <input
            ref={fileInput}
            type="file"
            data-testid="task-attachment-file"
            style={{ display: 'none' }}
            onChange={(e) => {
              void upload(e.target.files?.[0]);
              e.target.value = '';
            }}
          />
          <input
            ref={cameraInput}
            type="file"
            accept="image/*"
            capture="environment"
            style={{ display: 'none' }}
            onChange={(e) => {
              void upload(e.target.files?.[0]);
              e.target.value = '';
            }}
          />
          <Button icon={<UploadOutlined />} loading={busy} onClick={() => fileInput.current?.click()}>
            {t('upload')}
          </Button>
          {!screens.md ? (
            <Button icon={<CameraOutlined />} loading={busy} onClick={() => cameraInput.current?.click()}>
              {t('camera')}
            </Button>
          ) : null}
        </Space>
      ) : null}
      {list.length ? (
        <List
          size="small"
          dataSource={list}
          renderItem={(a: any) => (
            <List.Item data-testid={`task-attachment-${a.documentId}`}>
              <a href={`/v2/documents/${a.documentId}`}>
                <PaperClipOutlined /> {a.fileName}
              </a>
            </List.Item>
          )}
        />
      ) : (
        <Typography.Text type="secondary">{t('noAttachments')}</Typography.Text>
      )}
    </div>
  );
}

/** The task page: header, form, diagram, history, attachments and the actions the node allows. */
export default function TaskPage() {
  const { userTaskKey = '' } = useParams();
  const { t } = useTranslation('inbox');
  const { me } = useSession();
  const navigate = useNavigate();
  const [data, setData] = useState<Loaded>();
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [dialog, setDialog] = useState<DialogAction>();
  const [busy, setBusy] = useState(false);
  const formRef = useRef<Form | null>(null);
  const pending = useRef<Record<string, unknown>>({});

  const reload = useCallback(() => {
    setError(undefined);
    loadTask(userTaskKey).then(setData, setError);
  }, [userTaskKey]);
  useEffect(reload, [reload]);

  const schema = useMemo(() => (data?.form?.schema ? JSON.parse(data.form.schema) : null), [data?.form]);
  const info = useMemo(
    () => (data?.xml ? nodeInfo(data.xml, data.task.elementId) : { approvalMode: null, earlier: [] }),
    [data?.xml, data?.task.elementId],
  );

  if (error) return <ProblemAlert error={error} />;
  if (!data) return <Spin data-testid="task-loading" />;
  const { task, instance } = data;
  const open = task.state === 'CREATED';
  const mine = open && task.assignee === me?.username;
  const pendingDelegate = mine && task.delegationState === 'PENDING';
  const approval = info.approvalMode;
  const canSigners = mine && !!approval && ['all', 'sequential', 'vote'].includes(approval);
  const finished = () => navigate('/workspace/inbox');

  /** The form's data right now, or undefined (errors shown in the form) when it is not valid. */
  const formData = (): Record<string, unknown> | undefined => {
    const form = formRef.current;
    if (!form) return {};
    const result = form.submit();
    if (Object.values(result.errors ?? {}).some((list: any) => list?.length)) {
      setActionError(new ApiError(400, t('formInvalid'), t('formInvalid')));
      return undefined;
    }
    return result.data ?? {};
  };

  const complete = async () => {
    setActionError(undefined);
    const variables = formData();
    if (!variables) return;
    setBusy(true);
    try {
      if (pendingDelegate) await api.post(`/v2/user-tasks/${userTaskKey}/resolution`, { variables });
      else await api.post(`/v2/user-tasks/${userTaskKey}/completion`, { variables });
      message.success(t('done.complete'));
      finished();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  /** Approve/reject read the form at the moment the dialog opens (and refuse an invalid one). */
  const openDialog = (action: DialogAction) => {
    setActionError(undefined);
    if (action === 'approve' || action === 'reject') {
      const variables = action === 'approve' ? formData() : (formRef.current?.submit().data ?? {});
      if (!variables) return;
      pending.current = variables;
    }
    setDialog(action);
  };

  const post = (path: string, body: unknown) => api.post(path, body);
  const base = `/v2/user-tasks/${userTaskKey}`;
  const returnTargets = [
    { value: 'previous', label: t('targets.previous') },
    { value: 'initiator', label: t('targets.initiator') },
    ...info.earlier.map((e) => ({ value: e.id, label: `${e.name} (${e.id})` })),
  ];
  const DIALOGS: Record<
    DialogAction,
    { fields: DialogField[]; initial?: any; run: (v: any) => Promise<unknown> }
  > = {
    approve: {
      fields: [{ name: 'comment', kind: 'comment' }],
      run: (v) =>
        post(`${base}/decision`, { decision: 'approve', comment: v.comment, variables: pending.current }),
    },
    reject: {
      fields: [{ name: 'comment', kind: 'comment', required: true }],
      run: (v) =>
        post(`${base}/decision`, { decision: 'reject', comment: v.comment, variables: pending.current }),
    },
    return: {
      fields: [
        { name: 'target', kind: 'select', options: returnTargets, required: true },
        { name: 'comment', kind: 'comment', required: true },
      ],
      initial: { target: 'previous' },
      run: (v) => post(`${base}/return`, { target: v.target, comment: v.comment }),
    },
    transfer: {
      fields: [
        { name: 'assignee', kind: 'user', required: true },
        { name: 'comment', kind: 'comment' },
      ],
      run: (v) => post(`${base}/transfer`, { assignee: v.assignee, comment: v.comment }),
    },
    delegate: {
      fields: [
        { name: 'delegate', kind: 'user', required: true },
        { name: 'comment', kind: 'comment' },
      ],
      run: (v) => post(`${base}/delegation`, { delegate: v.delegate, comment: v.comment }),
    },
    signers: {
      fields: [
        { name: 'add', kind: 'users' },
        { name: 'remove', kind: 'users' },
        {
          name: 'position',
          kind: 'select',
          options: ['alongside', 'before', 'after', 'end'].map((p) => ({
            value: p,
            label: t(`positions.${p}`),
          })),
        },
        { name: 'comment', kind: 'comment' },
      ],
      initial: { position: approval === 'sequential' ? 'end' : 'alongside' },
      run: (v) =>
        post(`${base}/signers`, {
          add: v.add ?? [],
          remove: v.remove ?? [],
          position: v.position,
          comment: v.comment,
        }),
    },
    cc: {
      fields: [
        { name: 'users', kind: 'users' },
        { name: 'groups', kind: 'groups' },
        { name: 'comment', kind: 'comment' },
      ],
      run: (v) =>
        post(`/v2/process-instances/${task.processInstanceKey}/cc`, {
          users: v.users ?? [],
          groups: v.groups ?? [],
          comment: v.comment,
        }),
    },
    takeback: {
      fields: [{ name: 'comment', kind: 'comment' }],
      run: (v) => post(`${base}/takeback`, { comment: v.comment }),
    },
  };

  const button = (action: DialogAction | 'complete', primary = false, danger = false) => (
    <Button
      key={action}
      type={primary ? 'primary' : 'default'}
      danger={danger}
      loading={action === 'complete' && busy}
      data-testid={`task-action-${action}`}
      onClick={() => (action === 'complete' ? void complete() : openDialog(action))}
    >
      {t(`actions.${action}`)}
    </Button>
  );
  const actions: React.ReactNode[] = [];
  if (mine) {
    if (approval && !pendingDelegate) actions.push(button('approve', true), button('reject', false, true));
    else actions.push(button('complete', true));
    actions.push(button('return'), button('transfer'));
    if (!pendingDelegate) actions.push(button('delegate'));
    if (canSigners) actions.push(button('signers'));
  }
  if (task.state === 'COMPLETED' && task.assignee === me?.username) actions.push(button('takeback'));
  actions.push(button('cc'));

  const dialogSpec = dialog ? DIALOGS[dialog] : undefined;
  return (
    <div data-testid="task-page" data-state={task.state}>
      <Button type="link" icon={<ArrowLeftOutlined />} onClick={finished} style={{ paddingInline: 0 }}>
        {t('back')}
      </Button>
      <Card size="small" style={{ marginBottom: 12 }}>
        <Typography.Title level={4} style={{ marginTop: 0 }} data-testid="task-name">
          {task.name ?? task.elementId}
        </Typography.Title>
        <Descriptions
          size="small"
          column={{ xs: 1, sm: 2, md: 4 }}
          items={[
            {
              key: 'process',
              label: t('process'),
              children: instance?.processDefinitionName ?? task.processDefinitionId,
            },
            { key: 'started', label: t('started'), children: instance?.initiator ?? '—' },
            { key: 'assignee', label: t('assignee'), children: task.assignee ?? '—' },
            {
              key: 'due',
              label: t('due'),
              children: task.dueDate ? formatTime(task.dueDate, navigator.language) : '—',
            },
          ]}
        />
      </Card>
      {actionError ? <ProblemAlert error={actionError} onClose={() => setActionError(undefined)} /> : null}
      <Row gutter={[12, 12]}>
        <Col xs={24} lg={14}>
          <Card size="small" title={t('sections.form')} style={{ marginBottom: 12 }}>
            {schema ? (
              <TaskForm schema={schema} data={data.variables} readOnly={!mine} formRef={formRef} />
            ) : (
              <div data-testid="task-form">
                <Typography.Text type="secondary">{t('noForm')}</Typography.Text>
              </div>
            )}
          </Card>
          <Space wrap data-testid="task-actions" style={{ marginBottom: 12 }}>
            {actions}
          </Space>
          <Card size="small" title={t('sections.attachments')}>
            <Attachments task={task} timeline={data.timeline} canUpload={mine} />
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <Card size="small" title={t('sections.diagram')} style={{ marginBottom: 12 }}>
            {data.xml ? (
              <TaskDiagram xml={data.xml} current={task.elementId} done={data.done} />
            ) : (
              <div data-testid="task-diagram" />
            )}
          </Card>
          <Card size="small" title={t('sections.history')}>
            <div data-testid="task-history">
              <HistoryTimeline items={data.timeline} />
            </div>
          </Card>
        </Col>
      </Row>
      {dialog && dialogSpec ? (
        <ActionDialog
          action={dialog}
          title={t(`actions.${dialog}`)}
          fields={dialogSpec.fields}
          initial={dialogSpec.initial}
          onSubmit={async (v) => {
            await dialogSpec.run(v);
          }}
          onCancel={() => setDialog(undefined)}
          onDone={() => {
            message.success(t(`done.${dialog}`));
            setDialog(undefined);
            if (dialog === 'cc') reload();
            else finished();
          }}
        />
      ) : null}
    </div>
  );
}
