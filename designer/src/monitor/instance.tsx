import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Empty,
  Input,
  Modal,
  Popconfirm,
  Select,
  Skeleton,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { api } from '../app/api.js';
import { liveSocket } from '../app/live.js';
import { ProblemAlert } from '../app/problem.js';
import { type DiagramOverlay, escapeHtml, type FlowNode, MonitorDiagram } from './diagram.js';
import {
  formatTime,
  type Incident,
  type ProcessInstance,
  StateTag,
  showJson,
  useCanWrite,
} from './shared.js';
import './texts.js';

interface ElementInstance {
  elementInstanceKey: string;
  elementId: string;
  elementName: string | null;
  type: string;
  state: string;
  hasIncident: boolean;
  incidentKey: string | null;
  startDate: string | null;
  endDate: string | null;
}

interface Variable {
  variableKey: string;
  name: string;
  value: string;
  scopeKey: string;
}

interface HistoryEvent {
  eventType: string;
  elementId: string | null;
  actor: string | null;
  data: Record<string, any>;
  createdAt: string;
  commandId: string;
}

interface Data {
  instance: ProcessInstance;
  xml: string | null;
  elements: ElementInstance[];
  variables: Variable[];
  history: HistoryEvent[];
  incidents: Incident[];
}

const all = { page: { limit: 1000 } };

async function loadInstance(key: string): Promise<Data> {
  const instance = await api.get<ProcessInstance>(`/v2/process-instances/${key}`);
  const [xml, elements, variables, history, incidents] = await Promise.all([
    api
      .get<string>(`/v2/process-definitions/${instance.processDefinitionKey}/xml`, { text: true })
      .catch(() => null),
    api.post('/v2/element-instances/search', { filter: { processInstanceKey: key }, ...all }),
    api.post('/v2/variables/search', { filter: { processInstanceKey: key }, ...all }),
    api.get(`/v2/process-instances/${key}/history`),
    api.post('/v2/incidents/search', { filter: { processInstanceKey: key }, ...all }),
  ]);
  return {
    instance,
    xml,
    elements: elements.items ?? [],
    variables: variables.items ?? [],
    history: history.items ?? [],
    incidents: incidents.items ?? [],
  };
}

/** What the diagram shows: tokens on active elements, the completed path, incidents in red. */
function decorations(elements: ElementInstance[], incidents: Incident[]) {
  const active = new Map<string, number>();
  const completed = new Set<string>();
  const failed = new Map<string, number>();
  for (const e of elements) {
    if (e.type === 'PROCESS') continue;
    if (e.state === 'ACTIVE') active.set(e.elementId, (active.get(e.elementId) ?? 0) + 1);
    else if (e.state === 'COMPLETED') completed.add(e.elementId);
  }
  for (const i of incidents)
    if (i.state === 'ACTIVE') failed.set(i.elementId, (failed.get(i.elementId) ?? 0) + 1);
  const markers: Record<string, string[]> = {};
  const mark = (id: string, c: string) => {
    markers[id] = [...(markers[id] ?? []), c];
  };
  for (const id of completed) if (!active.has(id)) mark(id, 'lf-completed');
  for (const id of active.keys()) mark(id, 'lf-active');
  for (const id of failed.keys()) mark(id, 'lf-incident');
  const overlays: DiagramOverlay[] = [
    ...[...active].map(([id, n]) => ({
      elementId: id,
      position: { bottom: 10, left: -10 },
      html: `<div class="lf-badge lf-badge-active" data-testid="monitor-token-${escapeHtml(id)}" data-count="${n}">${n}</div>`,
    })),
    ...[...failed].map(([id, n]) => ({
      elementId: id,
      position: { top: -10, right: 10 },
      html: `<div class="lf-badge lf-badge-incident" data-testid="monitor-incident-marker-${escapeHtml(id)}" data-count="${n}">!${n > 1 ? ` ${n}` : ''}</div>`,
    })),
  ];
  return { markers, overlays, active: [...active.keys()], completed: [...completed] };
}

interface Editing {
  scopeKey: string;
  name: string;
  text: string;
  isNew: boolean;
  error?: string;
}

function VariablesTable({
  data,
  canWrite,
  onSaved,
}: {
  data: Data;
  canWrite: boolean;
  onSaved: () => Promise<void>;
}) {
  const { t } = useTranslation('monitor');
  const { message } = App.useApp();
  const [editing, setEditing] = useState<Editing | null>(null);
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const root = data.instance.processInstanceKey;

  const save = async () => {
    if (!editing) return;
    const name = editing.name.trim();
    if (!name) {
      setEditing({ ...editing, error: t('variables.nameRequired') });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(editing.text);
    } catch (err) {
      setEditing({ ...editing, error: t('variables.invalidJson', { message: (err as Error).message }) });
      return;
    }
    setSaving(true);
    setError(undefined);
    try {
      await api.put(`/v2/element-instances/${editing.scopeKey}/variables`, {
        variables: { [name]: value },
        ...(editing.isNew ? {} : { local: true }),
      });
      message.success(t('actions.saved'));
      setEditing(null);
      await onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const editor = (
    <div data-testid="monitor-variable-editor">
      {editing?.isNew ? (
        <Input
          data-testid="monitor-variable-name"
          placeholder={t('columns.name')}
          value={editing.name}
          onChange={(e) => setEditing({ ...editing, name: e.target.value, error: undefined })}
          style={{ marginBottom: 6 }}
        />
      ) : null}
      <Input.TextArea
        data-testid="monitor-variable-input"
        autoSize={{ minRows: 1, maxRows: 8 }}
        value={editing?.text}
        status={editing?.error ? 'error' : undefined}
        onChange={(e) => editing && setEditing({ ...editing, text: e.target.value, error: undefined })}
        style={{ fontFamily: 'monospace' }}
      />
      {editing?.error ? (
        <Typography.Text type="danger" data-testid="monitor-variable-error" style={{ fontSize: 12 }}>
          {editing.error}
        </Typography.Text>
      ) : (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('variables.hint')}
        </Typography.Text>
      )}
      <div style={{ marginTop: 6 }}>
        <Space>
          <Button
            size="small"
            type="primary"
            loading={saving}
            data-testid="monitor-variable-save"
            onClick={() => void save()}
          >
            {t('actions.save')}
          </Button>
          <Button size="small" onClick={() => setEditing(null)}>
            {t('actions.discard')}
          </Button>
        </Space>
      </div>
    </div>
  );

  const isEditing = (v: Variable) =>
    editing && !editing.isNew && editing.scopeKey === v.scopeKey && editing.name === v.name;
  const rows = [...data.variables].sort((a, b) =>
    a.scopeKey === b.scopeKey ? a.name.localeCompare(b.name) : a.scopeKey === root ? -1 : 1,
  );
  const scopeName = (scopeKey: string) => {
    if (scopeKey === root) return data.instance.processDefinitionId;
    const e = data.elements.find((x) => x.elementInstanceKey === scopeKey);
    return e ? `${e.elementName || e.elementId} (${scopeKey})` : scopeKey;
  };
  return (
    <div data-testid="monitor-variables">
      {error ? <ProblemAlert error={error} onClose={() => setError(undefined)} /> : null}
      <Table<Variable>
        size="small"
        rowKey="variableKey"
        pagination={false}
        dataSource={rows}
        locale={{ emptyText: t('empty') }}
        onRow={(row) =>
          ({ 'data-testid': `monitor-variable-${row.name}`, 'data-scope': row.scopeKey }) as any
        }
        columns={[
          { key: 'name', title: t('columns.name'), render: (_, v) => <code>{v.name}</code>, width: 200 },
          {
            key: 'value',
            title: t('columns.value'),
            render: (_, v) =>
              isEditing(v) ? (
                editor
              ) : (
                <code data-testid="monitor-variable-value" style={{ wordBreak: 'break-all' }}>
                  {v.value}
                </code>
              ),
          },
          { key: 'scope', title: t('columns.scope'), render: (_, v) => scopeName(v.scopeKey), width: 220 },
          ...(canWrite
            ? [
                {
                  key: 'edit',
                  title: '',
                  width: 80,
                  render: (_: unknown, v: Variable) =>
                    isEditing(v) ? null : (
                      <Button
                        size="small"
                        type="link"
                        data-testid="monitor-variable-edit"
                        onClick={() =>
                          setEditing({ scopeKey: v.scopeKey, name: v.name, text: v.value, isNew: false })
                        }
                      >
                        {t('actions.edit')}
                      </Button>
                    ),
                },
              ]
            : []),
        ]}
      />
      {canWrite ? (
        editing?.isNew ? (
          <Card size="small" style={{ marginTop: 8 }}>
            {editor}
          </Card>
        ) : (
          <Button
            size="small"
            style={{ marginTop: 8 }}
            data-testid="monitor-variable-add"
            onClick={() => setEditing({ scopeKey: root, name: '', text: '', isNew: true })}
          >
            {t('actions.add')}
          </Button>
        )
      ) : null}
    </div>
  );
}

function HistoryTable({ history, lang }: { history: HistoryEvent[]; lang: string }) {
  const { t } = useTranslation('monitor');
  const rows = useMemo(
    () => history.map((h, i) => ({ ...h, id: `${h.commandId}:${i}` })).reverse(),
    [history],
  );
  return (
    <Table
      data-testid="monitor-history"
      size="small"
      rowKey="id"
      dataSource={rows}
      pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
      locale={{ emptyText: t('empty') }}
      onRow={(row) => ({ 'data-testid': 'monitor-history-row', 'data-event': row.eventType }) as any}
      columns={[
        {
          key: 'time',
          title: t('columns.time'),
          render: (_, h) => formatTime(h.createdAt, lang),
          width: 180,
        },
        { key: 'actor', title: t('columns.actor'), render: (_, h) => h.actor ?? t('system'), width: 120 },
        { key: 'event', title: t('columns.event'), render: (_, h) => <code>{h.eventType}</code>, width: 220 },
        { key: 'element', title: t('columns.element'), render: (_, h) => h.elementId ?? '', width: 160 },
        {
          key: 'change',
          title: t('columns.change'),
          render: (_, h) =>
            h.eventType === 'variable.set' ? (
              <span data-testid="monitor-history-change" style={{ wordBreak: 'break-all' }}>
                <code>{h.data.name}</code>: <code>{showJson(h.data.previous)}</code> →{' '}
                <code>{showJson(h.data.value)}</code>
              </span>
            ) : null,
        },
      ]}
    />
  );
}

function ModifyDialog({
  data,
  nodes,
  open,
  onClose,
  onDone,
}: {
  data: Data;
  nodes: FlowNode[];
  open: boolean;
  onClose: () => void;
  onDone: () => Promise<void>;
}) {
  const { t } = useTranslation('monitor');
  const { message } = App.useApp();
  const [source, setSource] = useState<string>();
  const [target, setTarget] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [missing, setMissing] = useState(false);
  const [saving, setSaving] = useState(false);
  const active = data.elements.filter((e) => e.state === 'ACTIVE' && e.type !== 'PROCESS');

  useEffect(() => {
    if (open) {
      setSource(active.length === 1 ? active[0].elementInstanceKey : undefined);
      setTarget(undefined);
      setError(undefined);
      setMissing(false);
    }
  }, [open, active.length, active[0]?.elementInstanceKey]);

  const submit = async () => {
    if (!source || !target) {
      setMissing(true);
      return;
    }
    setSaving(true);
    setError(undefined);
    try {
      await api.post(`/v2/process-instances/${data.instance.processInstanceKey}/modification`, {
        activateInstructions: [{ elementId: target }],
        terminateInstructions: [{ elementInstanceKey: source }],
      });
      message.success(t('actions.modified'));
      onClose();
      await onDone();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('modify.title')}
      onCancel={onClose}
      onOk={() => void submit()}
      confirmLoading={saving}
      okText={t('actions.ok')}
      okButtonProps={{ 'data-testid': 'monitor-modify-submit' } as any}
      destroyOnHidden
    >
      <div data-testid="monitor-modify-dialog">
        <Typography.Paragraph type="secondary">{t('modify.help')}</Typography.Paragraph>
        <Typography.Text>{t('modify.source')}</Typography.Text>
        <Select
          data-testid="monitor-modify-source"
          style={{ width: '100%', marginBottom: 12 }}
          value={source}
          onChange={setSource}
          options={active.map((e) => ({
            value: e.elementInstanceKey,
            label: `${e.elementName || e.elementId} (${e.elementId} · ${e.elementInstanceKey})`,
          }))}
        />
        <Typography.Text>{t('modify.target')}</Typography.Text>
        <Select
          data-testid="monitor-modify-target"
          showSearch
          optionFilterProp="label"
          style={{ width: '100%', marginBottom: 12 }}
          value={target}
          onChange={setTarget}
          options={nodes
            .filter((n) => n.type !== 'bpmn:StartEvent' || nodes.length === 1)
            .map((n) => ({ value: n.id, label: n.name ? `${n.name} (${n.id})` : n.id }))}
        />
        {missing && (!source || !target) ? (
          <Alert type="warning" showIcon title={t('modify.required')} style={{ marginBottom: 8 }} />
        ) : null}
        <ProblemAlert error={error} onClose={() => setError(undefined)} />
      </div>
    </Modal>
  );
}

/** One instance: its diagram with tokens, path and incidents; variables, history, incidents; repairs. */
export default function InstancePage() {
  const { key = '' } = useParams();
  const { t, i18n } = useTranslation('monitor');
  const { message } = App.useApp();
  const canWrite = useCanWrite();
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [nodes, setNodes] = useState<FlowNode[]>([]);
  const [modifying, setModifying] = useState(false);
  const [busy, setBusy] = useState<string>();

  // Reloads may overlap (an action's own and a live one): only the newest answer is shown.
  const latest = useRef(0);
  const reload = useCallback(async () => {
    const n = ++latest.current;
    try {
      const loaded = await loadInstance(key);
      if (n !== latest.current) return;
      setData(loaded);
      setError(undefined);
    } catch (err) {
      if (n === latest.current) setError(err);
    }
  }, [key]);
  useEffect(() => {
    setData(null);
    void reload();
  }, [reload]);

  // Live: every commit in this instance (a task done by someone, a timer, an incident) refetches
  // the page, a burst of commits once. Watching is re-asked after a reconnect, which refetches too.
  useEffect(() => {
    if (!/^\d+$/.test(key)) return;
    const socket = liveSocket();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), 150);
    };
    const watch = () => socket.emit('instance:watch', key, () => {});
    const onChanged = (e: { processInstanceKey: string }) => {
      if (e.processInstanceKey === key) soon();
    };
    const onConnect = () => {
      watch();
      soon();
    };
    socket.on('instance:changed', onChanged);
    socket.io.on('reconnect', onConnect);
    if (socket.connected) watch();
    else socket.once('connect', watch);
    return () => {
      clearTimeout(timer);
      socket.off('instance:changed', onChanged);
      socket.off('connect', watch);
      socket.io.off('reconnect', onConnect);
      socket.emit('instance:unwatch', key);
    };
  }, [key, reload]);

  const deco = useMemo(() => (data ? decorations(data.elements, data.incidents) : null), [data]);

  if (error && !data) return <ProblemAlert error={error} />;
  if (!data || !deco) return <Skeleton active />;

  const { instance } = data;
  const lang = i18n.language;
  const act = async (name: string, run: () => Promise<unknown>, done: string) => {
    setBusy(name);
    setActionError(undefined);
    try {
      await run();
      message.success(t(done));
      await reload();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(undefined);
    }
  };
  const openIncidents = data.incidents.filter((i) => i.state === 'ACTIVE');

  return (
    <div data-testid="monitor-instance" data-key={instance.processInstanceKey} data-state={instance.state}>
      <Space style={{ marginBottom: 8 }} wrap>
        <Link to="/monitor">← {t('back')}</Link>
      </Space>
      <Card
        size="small"
        title={
          <Space wrap>
            <span>{instance.processDefinitionName || instance.processDefinitionId}</span>
            <StateTag state={instance.state} t={t} />
            {instance.hasIncident ? <Tag color="red">{t('columns.incident')}</Tag> : null}
          </Space>
        }
        extra={
          <Space wrap>
            <Button
              size="small"
              type="text"
              data-testid="monitor-refresh"
              loading={busy === 'refresh'}
              onClick={() => {
                setBusy('refresh');
                void reload().finally(() => setBusy(undefined));
              }}
            >
              {t('actions.refresh')}
            </Button>
            <Link
              to={`/monitor/processes/${instance.processDefinitionKey}`}
              data-testid="monitor-heatmap-link"
            >
              {t('heatmap')}
            </Link>
            {canWrite && instance.state === 'ACTIVE' ? (
              <>
                <Button
                  size="small"
                  data-testid="monitor-modify"
                  disabled={deco.active.length === 0}
                  onClick={() => setModifying(true)}
                >
                  {t('actions.modify')}
                </Button>
                <Popconfirm
                  title={t('actions.cancelConfirm')}
                  okText={t('actions.ok')}
                  okButtonProps={{ danger: true, 'data-testid': 'monitor-cancel-confirm' } as any}
                  onConfirm={() =>
                    act(
                      'cancel',
                      () => api.post(`/v2/process-instances/${instance.processInstanceKey}/cancellation`, {}),
                      'actions.canceled',
                    )
                  }
                >
                  <Button size="small" danger data-testid="monitor-cancel" loading={busy === 'cancel'}>
                    {t('actions.cancel')}
                  </Button>
                </Popconfirm>
              </>
            ) : null}
          </Space>
        }
        style={{ marginBottom: 12 }}
      >
        <Descriptions size="small" column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label={t('columns.key')}>{instance.processInstanceKey}</Descriptions.Item>
          <Descriptions.Item label={t('columns.process')}>
            {instance.processDefinitionId} v{instance.processDefinitionVersion}
          </Descriptions.Item>
          <Descriptions.Item label={t('columns.businessKey')}>
            {instance.businessKey ?? '–'}
          </Descriptions.Item>
          <Descriptions.Item label={t('columns.initiator')}>{instance.initiator ?? '–'}</Descriptions.Item>
          <Descriptions.Item label={t('columns.startDate')}>
            {formatTime(instance.startDate, lang)}
          </Descriptions.Item>
          <Descriptions.Item label={t('columns.endDate')}>
            {formatTime(instance.endDate, lang) || '–'}
          </Descriptions.Item>
        </Descriptions>
        {actionError ? <ProblemAlert error={actionError} onClose={() => setActionError(undefined)} /> : null}
        {error ? <ProblemAlert error={error} onClose={() => setError(undefined)} /> : null}
      </Card>
      <Card size="small" title={t('sections.diagram')} style={{ marginBottom: 12 }}>
        {data.xml ? (
          <MonitorDiagram
            xml={data.xml}
            markers={deco.markers}
            overlays={deco.overlays}
            onNodes={setNodes}
            data={{ active: deco.active.join(','), completed: deco.completed.join(',') }}
          />
        ) : (
          <Empty />
        )}
        <Space size={4} style={{ marginTop: 4 }}>
          <Tag color="blue">{t('legend.active')}</Tag>
          <Tag color="green">{t('legend.completed')}</Tag>
          <Tag color="red">{t('legend.incident')}</Tag>
        </Space>
      </Card>
      <Card size="small">
        <Tabs
          items={[
            {
              key: 'variables',
              label: `${t('sections.variables')} (${data.variables.length})`,
              children: (
                <VariablesTable
                  data={data}
                  canWrite={canWrite && instance.state === 'ACTIVE'}
                  onSaved={reload}
                />
              ),
            },
            {
              key: 'history',
              label: t('sections.history'),
              children: <HistoryTable history={data.history} lang={lang} />,
            },
            {
              key: 'incidents',
              label: (
                <span data-testid="monitor-incidents-tab">
                  {t('sections.incidents')}{' '}
                  {openIncidents.length ? <Tag color="red">{openIncidents.length}</Tag> : null}
                </span>
              ),
              children: (
                <Table<Incident>
                  size="small"
                  rowKey="incidentKey"
                  pagination={false}
                  dataSource={data.incidents}
                  locale={{ emptyText: t('noIncidents') }}
                  onRow={(row) =>
                    ({ 'data-testid': `monitor-incident-${row.incidentKey}`, 'data-state': row.state }) as any
                  }
                  columns={[
                    { key: 'element', title: t('columns.element'), dataIndex: 'elementId' },
                    { key: 'errorType', title: t('columns.errorType'), dataIndex: 'errorType' },
                    {
                      key: 'errorMessage',
                      title: t('columns.errorMessage'),
                      render: (_, i) => <Typography.Text type="danger">{i.errorMessage}</Typography.Text>,
                    },
                    {
                      key: 'state',
                      title: t('columns.state'),
                      render: (_, i) => t(`incidentStates.${i.state}`, { defaultValue: i.state }),
                    },
                    {
                      key: 'time',
                      title: t('columns.time'),
                      render: (_, i) => formatTime(i.creationTime, lang),
                    },
                    ...(canWrite
                      ? [
                          {
                            key: 'retry',
                            title: '',
                            render: (_: unknown, i: Incident) =>
                              i.state === 'ACTIVE' ? (
                                <Button
                                  size="small"
                                  data-testid="monitor-retry"
                                  loading={busy === `retry:${i.incidentKey}`}
                                  onClick={() =>
                                    act(
                                      `retry:${i.incidentKey}`,
                                      () => api.post(`/v2/incidents/${i.incidentKey}/resolution`, {}),
                                      'actions.retried',
                                    )
                                  }
                                >
                                  {t('actions.retry')}
                                </Button>
                              ) : null,
                          },
                        ]
                      : []),
                  ]}
                />
              ),
            },
          ]}
        />
      </Card>
      <ModifyDialog
        data={data}
        nodes={nodes}
        open={modifying}
        onClose={() => setModifying(false)}
        onDone={reload}
      />
    </div>
  );
}
