import { ArrowLeftOutlined, PlayCircleOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Col,
  Empty,
  Form as AntForm,
  Input,
  Row,
  Select,
  Skeleton,
  Space,
  Typography,
} from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Route, Routes, useNavigate, useParams } from 'react-router-dom';
import { ApiError, api } from '../../app/api.js';
import { ProblemAlert } from '../../app/problem.js';
import { useSession } from '../../app/session.js';
import { StartForm, type StartFormHandle } from './start-form.js';
import './texts.js';

interface Definition {
  processDefinitionKey: string;
  processDefinitionId: string;
  name: string | null;
  version: number;
  versionTag: string | null;
  tenantId: string;
}

/** What the start needs from the model: the start event's form and the 发起人自选 nodes. */
interface StartModel {
  formId?: string;
  picks: Array<{ id: string; name: string; required: boolean }>;
}

/** Reads the process XML (no evaluation: only element ids, names and attributes). */
function readModel(xml: string, processId: string): StartModel {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const all = (root: Element | Document, local: string) =>
    Array.from(root.getElementsByTagNameNS('*', local)) as Element[];
  const process =
    all(doc, 'process').find((p) => p.getAttribute('id') === processId) ?? all(doc, 'process')[0];
  if (!process) return { picks: [] };
  const start = Array.from(process.children).find((c) => c.localName === 'startEvent');
  const formDef = start ? all(start, 'formDefinition')[0] : undefined;
  const formId = formDef?.getAttribute('formId') ?? undefined;
  const picks: StartModel['picks'] = [];
  for (const approval of all(process, 'approval')) {
    if (approval.getAttribute('strategy') !== 'initiatorPicks') continue;
    const task = approval.closest('userTask') ?? approval.parentElement?.parentElement;
    const id = task?.getAttribute('id');
    if (!id) continue;
    const onEmpty = approval.getAttribute('onEmpty');
    picks.push({
      id,
      name: task?.getAttribute('name') || id,
      required: onEmpty !== 'admin' && onEmpty !== 'skip',
    });
  }
  return { formId: formId || undefined, picks };
}

const nameOf = (d: Definition) => d.name || d.processDefinitionId;

function Catalogue() {
  const { t } = useTranslation('start');
  const { tenantId } = useSession();
  const navigate = useNavigate();
  const [items, setItems] = useState<Definition[]>();
  const [error, setError] = useState<unknown>();
  const [query, setQuery] = useState('');

  useEffect(() => {
    setItems(undefined);
    api
      .post<{ items: Definition[] }>('/v2/process-definitions/search', {
        filter: { isLatestVersion: true, startable: true, ...(tenantId ? { tenantId } : {}) },
        sort: [{ field: 'name', order: 'asc' }],
        page: { limit: 100 },
      })
      .then((r) => setItems(r.items))
      .catch(setError);
  }, [tenantId]);

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (items ?? []).filter(
      (d) => !q || nameOf(d).toLowerCase().includes(q) || d.processDefinitionId.toLowerCase().includes(q),
    );
  }, [items, query]);

  return (
    <div data-testid="start-catalogue">
      <Typography.Title level={4}>{t('title')}</Typography.Title>
      <ProblemAlert error={error} />
      <Input.Search
        allowClear
        placeholder={t('search')}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        style={{ marginBottom: 12, maxWidth: 480 }}
        data-testid="start-search"
      />
      {!items && !error ? (
        <Skeleton active />
      ) : shown.length === 0 ? (
        <Empty description={t('empty')} />
      ) : (
        <Row gutter={[12, 12]}>
          {shown.map((d) => (
            <Col key={d.processDefinitionKey} xs={24} sm={12} lg={8} xl={6}>
              <Card
                hoverable
                size="small"
                data-testid={`start-card-${d.processDefinitionId}`}
                onClick={() => navigate(`/workspace/start/${d.processDefinitionKey}`)}
              >
                <Space align="start">
                  <PlayCircleOutlined style={{ fontSize: 22, color: '#1677ff' }} />
                  <div>
                    <Typography.Text strong>{nameOf(d)}</Typography.Text>
                    <br />
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {d.processDefinitionId} · {t('version', { version: d.version })}
                    </Typography.Text>
                  </div>
                </Space>
              </Card>
            </Col>
          ))}
        </Row>
      )}
    </div>
  );
}

interface UserOption {
  username: string;
  name?: string | null;
}

function StartPage() {
  const { t } = useTranslation('start');
  const { processDefinitionKey = '' } = useParams();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [definition, setDefinition] = useState<Definition>();
  const [model, setModel] = useState<StartModel>();
  const [schema, setSchema] = useState<unknown>();
  const [users, setUsers] = useState<UserOption[]>([]);
  const [approvers, setApprovers] = useState<Record<string, string[]>>({});
  const [pickErrors, setPickErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [invalid, setInvalid] = useState(false);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<StartFormHandle>(null);

  useEffect(() => {
    let live = true;
    (async () => {
      const d = await api.get<Definition>(`/v2/process-definitions/${processDefinitionKey}`);
      const xml = await api.get<string>(`/v2/process-definitions/${processDefinitionKey}/xml`, {
        text: true,
      });
      const m = readModel(xml, d.processDefinitionId);
      let s: unknown;
      if (m.formId) {
        const found = await api.post<{ items: Array<{ formKey: string }> }>('/v2/forms/search', {
          filter: { formId: m.formId, isLatestVersion: true, tenantId: d.tenantId },
        });
        const formKey = found.items[0]?.formKey;
        if (formKey) {
          const form = await api.get<{ schema: string }>(`/v2/forms/${formKey}`);
          s = typeof form.schema === 'string' ? JSON.parse(form.schema) : form.schema;
        }
      }
      if (m.picks.length) {
        const u = await api.post<{ items: UserOption[] }>('/v2/users/search', { page: { limit: 100 } });
        if (live) setUsers(u.items);
      }
      if (!live) return;
      setDefinition(d);
      setModel(m);
      setSchema(s);
    })().catch((err) => live && setError(err));
    return () => {
      live = false;
    };
  }, [processDefinitionKey]);

  const submit = async () => {
    if (!definition || !model) return;
    const result = formRef.current?.submit() ?? { data: {}, errors: {} };
    const formInvalid = Object.values(result.errors).some((list) => list?.length);
    const missing: Record<string, string> = {};
    for (const p of model.picks)
      if (p.required && !approvers[p.id]?.length) missing[p.id] = t('pickRequired', { name: p.name });
    setPickErrors(missing);
    setInvalid(formInvalid || Object.keys(missing).length > 0);
    if (formInvalid || Object.keys(missing).length) return;
    setBusy(true);
    setError(undefined);
    try {
      const picked = Object.fromEntries(Object.entries(approvers).filter(([, v]) => v.length));
      await api.post('/v2/process-instances', {
        processDefinitionKey: definition.processDefinitionKey,
        variables: result.data,
        ...(Object.keys(picked).length ? { approvers: picked } : {}),
      });
      message.success(t('started', { name: nameOf(definition) }));
      navigate('/workspace/requests');
    } catch (err) {
      // Field errors on the pickers they name (approvers.<elementId>), the rest in the alert.
      if (err instanceof ApiError) {
        const onPicks: Record<string, string> = {};
        for (const e of err.errors) {
          const m = /^approvers\.(.+)$/.exec(e.field);
          if (m) onPicks[m[1]] = e.reason;
        }
        setPickErrors(onPicks);
      }
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="start-form" style={{ maxWidth: 720 }}>
      <Button
        type="link"
        icon={<ArrowLeftOutlined />}
        onClick={() => navigate('/workspace/start')}
        style={{ paddingLeft: 0 }}
      >
        {t('back')}
      </Button>
      <ProblemAlert error={error} />
      {!definition || !model ? (
        !error && <Skeleton active />
      ) : (
        <Card title={nameOf(definition)} size="small">
          {schema ? (
            <StartForm ref={formRef} schema={schema} onError={(m: string) => setError(new Error(m))} />
          ) : (
            <Typography.Paragraph type="secondary">{t('noForm')}</Typography.Paragraph>
          )}
          {model.picks.length > 0 && (
            <AntForm layout="vertical" component="div" style={{ padding: '0 4px' }}>
              {model.picks.map((p) => (
                <AntForm.Item
                  key={p.id}
                  label={t('pickFor', { name: p.name })}
                  required={p.required}
                  validateStatus={pickErrors[p.id] ? 'error' : undefined}
                  help={pickErrors[p.id]}
                >
                  <Select
                    mode="multiple"
                    data-testid={`start-approvers-${p.id}`}
                    placeholder={t('pickPlaceholder')}
                    value={approvers[p.id] ?? []}
                    onChange={(v: string[]) => {
                      setApprovers({ ...approvers, [p.id]: v });
                      setInvalid(false);
                      setPickErrors(({ [p.id]: _, ...rest }) => rest);
                    }}
                    optionFilterProp="label"
                    options={users.map((u) => ({
                      value: u.username,
                      label: u.name ? `${u.name} (${u.username})` : u.username,
                    }))}
                  />
                </AntForm.Item>
              ))}
            </AntForm>
          )}
          {invalid && (
            <Typography.Paragraph type="danger" data-testid="start-invalid">
              {t('invalid')}
            </Typography.Paragraph>
          )}
          <Button
            type="primary"
            block
            data-testid="start-submit"
            loading={busy}
            onClick={() => void submit()}
          >
            {t('submit')}
          </Button>
        </Card>
      )}
    </div>
  );
}

/** 发起: the catalogue of the processes the user may start, and the start page of one. */
export default function StartArea() {
  return (
    <Routes>
      <Route index element={<Catalogue />} />
      <Route path=":processDefinitionKey" element={<StartPage />} />
    </Routes>
  );
}
