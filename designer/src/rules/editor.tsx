import {
  ArrowDownOutlined,
  ArrowLeftOutlined,
  ArrowUpOutlined,
  CloudUploadOutlined,
  DeleteOutlined,
  DownloadOutlined,
  PlusOutlined,
} from '@ant-design/icons';
import {
  App,
  AutoComplete,
  Button,
  Card,
  Input,
  InputNumber,
  Segmented,
  Select,
  Space,
  Spin,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { ApiError, api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import { downloadJson } from './list.js';
import {
  type ConditionRow,
  type Draft,
  factsOf,
  formKeys,
  fromDoc,
  newCondition,
  newDraft,
  newId,
  newParam,
  newRule,
  OPERATORS,
  type ParamRow,
  type Problem,
  problemOfField,
  type RuleRow,
  type SimpleCondition,
  toDoc,
  VALUE_TYPES,
  type ValueType,
} from './model.js';
import { TestPanel } from './test-panel.js';

const mono = { fontFamily: 'monospace' };

function ErrorText({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <Typography.Text type="danger" style={{ display: 'block', fontSize: 12 }} data-testid={testId}>
      {children}
    </Typography.Text>
  );
}

/** A typed value: true/false for booleans, text for the others (JSON in monospace). */
function ValueInput({
  type,
  value,
  onChange,
  error,
  label,
}: {
  type: ValueType;
  value: string;
  onChange(v: string): void;
  error: boolean;
  label: string;
}) {
  if (type === 'boolean')
    return (
      <Select
        aria-label={label}
        value={value === 'true' || value === 'false' ? value : undefined}
        onChange={onChange}
        status={error ? 'error' : undefined}
        style={{ width: 130 }}
        options={[
          { value: 'true', label: 'true' },
          { value: 'false', label: 'false' },
        ]}
      />
    );
  return (
    <Input
      aria-label={label}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      status={error ? 'error' : undefined}
      style={{ width: 130, ...(type === 'json' ? mono : {}) }}
      placeholder={type === 'json' ? '["a","b"]' : undefined}
    />
  );
}

interface FormField {
  key: string;
  label?: string;
  formId: string;
}

/**
 * The fields of the tenant's latest forms: the variables processes usually hold, suggested as
 * facts. Only suggestions: when they cannot be read, there are none.
 */
function useFormFields(): FormField[] {
  const { tenantId } = useSession();
  const [fields, setFields] = useState<FormField[]>([]);
  useEffect(() => {
    let live = true;
    (async () => {
      const forms = await api.post<{ items: Array<{ formKey: string; formId: string }> }>(
        '/v2/forms/search',
        {
          filter: { isLatestVersion: true, ...(tenantId ? { tenantId } : {}) },
          page: { limit: 30 },
        },
      );
      const schemas = await Promise.all(
        forms.items.map((f) =>
          api
            .get<{ schema: string }>(`/v2/forms/${f.formKey}`)
            .then((full) => ({ formId: f.formId, schema: JSON.parse(full.schema) }))
            .catch(() => null),
        ),
      );
      const seen = new Set<string>();
      const out: FormField[] = [];
      for (const s of schemas)
        for (const k of s ? formKeys(s.schema) : [])
          if (!seen.has(k.key)) {
            seen.add(k.key);
            out.push({ ...k, formId: s!.formId });
          }
      if (live) setFields(out.sort((a, b) => a.key.localeCompare(b.key)));
    })().catch(() => {});
    return () => {
      live = false;
    };
  }, [tenantId]);
  return fields;
}

/**
 * The document as JSON: what will be deployed. It may be edited and applied back to the table
 * (parsed as JSON only; unknown properties are kept).
 */
function JsonView({ doc, onApply }: { doc: Record<string, unknown>; onApply(doc: unknown): void }) {
  const { t } = useTranslation('rules');
  const original = JSON.stringify(doc, null, 2);
  const [text, setText] = useState(original);
  const [error, setError] = useState<string>();
  const apply = () => {
    try {
      const parsed = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Array.isArray(parsed.rules))
        throw new Error(t('importNotRuleSet'));
      setError(undefined);
      onApply(parsed);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <Card size="small">
      <Typography.Paragraph type="secondary">{t('editor.jsonHint')}</Typography.Paragraph>
      <Input.TextArea
        data-testid="rules-json"
        aria-label="JSON"
        value={text}
        onChange={(e) => setText(e.target.value)}
        autoSize={{ minRows: 8, maxRows: 40 }}
        status={error ? 'error' : undefined}
        spellCheck={false}
        style={{ ...mono, background: '#fafafa' }}
      />
      {error && <ErrorText testId="rules-json-error">{error}</ErrorText>}
      <Space style={{ marginTop: 8 }}>
        <Button
          type="primary"
          ghost
          disabled={text === original}
          onClick={apply}
          data-testid="rules-json-apply"
        >
          {t('editor.apply')}
        </Button>
        <Button disabled={text === original} onClick={() => setText(original)}>
          {t('editor.discard')}
        </Button>
      </Space>
    </Card>
  );
}

/** Opens a deployed version (`/rules/:ruleSetKey`), an imported document or a new one (`/rules/new`). */
export function RuleSetEditor() {
  const { ruleSetKey } = useParams();
  const location = useLocation();
  const { t } = useTranslation('rules');
  const [draft, setDraft] = useState<Draft | null>(() => {
    if (ruleSetKey) return null;
    const imported = (location.state as { doc?: unknown } | null)?.doc;
    return imported ? fromDoc(imported) : newDraft();
  });
  const [version, setVersion] = useState<number>();
  const [loadError, setLoadError] = useState<unknown>();

  useEffect(() => {
    if (!ruleSetKey) return;
    let live = true;
    setDraft(null);
    setLoadError(undefined);
    api
      .get<{ content: unknown; version: number }>(`/v2/rule-sets/${encodeURIComponent(ruleSetKey)}`)
      .then((r) => {
        if (!live) return;
        setDraft(fromDoc(r.content));
        setVersion(r.version);
      })
      .catch((err) => live && setLoadError(err));
    return () => {
      live = false;
    };
  }, [ruleSetKey]);

  if (loadError)
    return (
      <Card title={t('editor.loadFailed')} data-testid="rules">
        <Space orientation="vertical">
          <ProblemAlert error={loadError} />
          <Link to="/rules">
            <ArrowLeftOutlined /> {t('title')}
          </Link>
        </Space>
      </Card>
    );
  if (!draft)
    return (
      <div data-testid="rules" style={{ padding: 48, textAlign: 'center' }}>
        <Spin />
      </div>
    );
  return <Editor key={ruleSetKey ?? 'new'} initial={draft} version={version} />;
}

function Editor({ initial, version }: { initial: Draft; version?: number }) {
  const { t } = useTranslation('rules');
  const { t: ts } = useTranslation();
  const { message } = App.useApp();
  const { tenantId } = useSession();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<Draft>(initial);
  const [view, setView] = useState<'table' | 'json'>('table');
  /** Client checks are shown once the user tried to test or deploy; then they follow the edits. */
  const [checked, setChecked] = useState(false);
  const [serverProblems, setServerProblems] = useState<Problem[]>([]);
  const [deployError, setDeployError] = useState<unknown>();
  const [deploying, setDeploying] = useState(false);
  const location = useLocation();
  const [sample, setSample] = useState<string>(
    () => (location.state as { sample?: string } | null)?.sample ?? '{}',
  );

  const built = useMemo(() => toDoc(draft), [draft]);
  const [initialJson] = useState(() => JSON.stringify(toDoc(initial).doc));
  const dirty = JSON.stringify(built.doc) !== initialJson;
  // Leaving the page with changes that were not deployed asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);
  const problems = useMemo(
    () => [...(checked ? built.problems : []), ...serverProblems],
    [checked, built, serverProblems],
  );

  const edit = (fn: (d: Draft) => Draft) => {
    setDraft((d) => fn(d));
    setServerProblems([]);
  };
  const editRule = (i: number, fn: (r: RuleRow) => RuleRow) =>
    edit((d) => ({ ...d, rules: d.rules.map((r, j) => (j === i ? fn(r) : r)) }));
  const editCond = (i: number, c: number, patch: Partial<SimpleCondition> | { json: string }) =>
    editRule(i, (r) => ({
      ...r,
      conditions: r.conditions.map((x, k) => (k === c ? ({ ...x, ...patch } as ConditionRow) : x)),
    }));
  const editParam = (i: number, p: number, patch: Partial<ParamRow>) =>
    editRule(i, (r) => ({ ...r, params: r.params.map((x, k) => (k === p ? { ...x, ...patch } : x)) }));
  const move = (i: number, by: number) =>
    edit((d) => {
      const rules = [...d.rules];
      const [r] = rules.splice(i, 1);
      rules.splice(i + by, 0, r);
      return { ...d, rules };
    });

  const formFields = useFormFields();
  const suggestions = useMemo(() => {
    const names = new Set(factsOf(draft));
    try {
      const s = JSON.parse(sample);
      if (s && typeof s === 'object' && !Array.isArray(s)) for (const k of Object.keys(s)) names.add(k);
    } catch {
      // not JSON yet: no suggestions from it
    }
    return [...names].sort();
  }, [draft, sample]);
  const factOptions = (current: string) => {
    const match = (v: string) => v !== current && v.toLowerCase().includes(current.trim().toLowerCase());
    const own = suggestions.filter(match).map((s) => ({ value: s }));
    const fromForms = formFields
      .filter((f) => !suggestions.includes(f.key) && match(f.key))
      .map((f) => ({
        value: f.key,
        label: (
          <span>
            {f.key}{' '}
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {f.label ? `${f.label} · ` : ''}
              {f.formId}
            </Typography.Text>
          </span>
        ),
      }));
    return [
      ...(own.length ? [{ label: t('cond.used'), options: own }] : []),
      ...(fromForms.length ? [{ label: t('cond.formFields'), options: fromForms }] : []),
    ];
  };

  const reason = (p: Problem) => (p.code ? t(`err.${p.code}`) : (p.reason ?? ''));
  const at = (f: (p: Problem) => boolean) => problems.filter(f);
  const idProblems = at((p) => p.part === 'id');
  const setProblems = at((p) => p.rule === undefined && p.part !== 'id');

  const deploy = async () => {
    setChecked(true);
    setDeployError(undefined);
    if (built.problems.length) {
      void message.error(t('editor.fixFirst'));
      return;
    }
    const doc = built.doc;
    const form = new FormData();
    form.append(
      'resources',
      new File([`${JSON.stringify(doc, null, 2)}\n`], `${doc.id}.json`, { type: 'application/json' }),
    );
    if (tenantId) form.append('tenantId', tenantId);
    setDeploying(true);
    try {
      const res = await api.post<{
        deployments: Array<{ ruleSet?: { ruleSetKey: string; version: number } }>;
      }>('/v2/deployments', form);
      const rs = res.deployments.find((d) => d.ruleSet)?.ruleSet;
      void message.success(t('editor.deployed', { version: rs?.version }));
      if (rs) navigate(`/rules/${rs.ruleSetKey}`, { replace: true, state: { sample } });
    } catch (err) {
      setDeployError(err);
      if (err instanceof ApiError)
        setServerProblems(err.errors.map((e) => problemOfField(e.field, e.reason)));
    } finally {
      setDeploying(false);
    }
  };

  const conditionLine = (i: number, c: ConditionRow, j: number) => {
    const mine = at((p) => p.rule === i && p.cond === j);
    const has = (part: Problem['part']) => mine.some((p) => p.part === part);
    const remove = (
      <Tooltip title={t('remove')}>
        <Button
          size="small"
          type="text"
          danger
          icon={<DeleteOutlined />}
          aria-label={t('remove')}
          onClick={() => editRule(i, (x) => ({ ...x, conditions: x.conditions.filter((_, k) => k !== j) }))}
        />
      </Tooltip>
    );
    return (
      <div key={c.id} data-testid={`cond-${i}-${j}`} style={{ marginBottom: 6 }}>
        {c.kind === 'raw' ? (
          <div style={{ display: 'flex', gap: 4, alignItems: 'flex-start' }}>
            <Input.TextArea
              aria-label={t('cond.raw')}
              value={c.json}
              onChange={(e) => editCond(i, j, { json: e.target.value })}
              autoSize={{ minRows: 2, maxRows: 10 }}
              status={has('raw') ? 'error' : undefined}
              style={{ ...mono, width: 560 }}
              spellCheck={false}
            />
            {remove}
          </div>
        ) : (
          <div style={{ display: 'flex', gap: 4, flexWrap: 'wrap', alignItems: 'center' }}>
            <AutoComplete
              aria-label={t('cond.fact')}
              placeholder={t('cond.fact')}
              value={c.fact}
              onChange={(v) => editCond(i, j, { fact: v })}
              options={factOptions(c.fact)}
              popupMatchSelectWidth={260}
              status={has('fact') ? 'error' : undefined}
              style={{ width: 130 }}
            />
            <Select
              aria-label={t('cond.operator')}
              value={c.operator}
              onChange={(v) => editCond(i, j, { operator: v })}
              style={{ width: 110 }}
              options={[
                ...OPERATORS.map((o) => ({ value: o, label: t(`op.${o}`), title: o })),
                ...((OPERATORS as readonly string[]).includes(c.operator)
                  ? []
                  : [{ value: c.operator, label: c.operator, title: c.operator }]),
              ]}
            />
            <Select
              aria-label={t('cond.value')}
              value={c.valueType}
              onChange={(v) => editCond(i, j, { valueType: v })}
              style={{ width: 72 }}
              options={VALUE_TYPES.map((v) => ({ value: v, label: t(`type.${v}`), title: v }))}
            />
            <ValueInput
              label={t('cond.value')}
              type={c.valueType}
              value={c.value}
              onChange={(v) => editCond(i, j, { value: v })}
              error={has('value')}
            />
            <Input
              aria-label={t('cond.path')}
              placeholder={t('cond.pathPlaceholder')}
              value={c.path}
              onChange={(e) => editCond(i, j, { path: e.target.value })}
              status={has('path') ? 'error' : undefined}
              style={{ width: 100, ...mono }}
            />
            {remove}
          </div>
        )}
        {mine.map((p) => (
          <ErrorText key={`${p.part}:${reason(p)}`} testId="rule-error">
            {p.part && p.part !== 'raw'
              ? t('fieldError', { field: t(`cond.${p.part}`), reason: reason(p) })
              : reason(p)}
          </ErrorText>
        ))}
      </div>
    );
  };

  const table = (
    <Table<RuleRow>
      rowKey="id"
      size="small"
      pagination={false}
      dataSource={draft.rules}
      scroll={{ x: 1350 }}
      onRow={(_r, i) =>
        ({
          'data-testid': `rule-row-${i}`,
          style: at((p) => p.rule === i).length ? { background: '#fff2f0' } : undefined,
        }) as any
      }
      columns={[
        {
          title: t('col.order'),
          width: 40,
          render: (_: unknown, _r, i) => <Typography.Text strong>{i + 1}</Typography.Text>,
        },
        {
          title: t('col.priority'),
          width: 84,
          render: (_: unknown, r, i) => {
            const mine = at((p) => p.rule === i && p.part === 'priority');
            return (
              <>
                <InputNumber
                  aria-label={t('col.priority')}
                  value={r.priority}
                  min={0}
                  onChange={(v) => editRule(i, (x) => ({ ...x, priority: typeof v === 'number' ? v : null }))}
                  status={mine.length ? 'error' : undefined}
                  style={{ width: 68 }}
                />
                {mine.map((p) => (
                  <ErrorText key={reason(p)} testId="rule-error">
                    {reason(p)}
                  </ErrorText>
                ))}
              </>
            );
          },
        },
        {
          title: t('col.conditions'),
          render: (_: unknown, r, i) => {
            const ruleLevel = at(
              (p) =>
                p.rule === i &&
                p.cond === undefined &&
                p.param === undefined &&
                p.part !== 'priority' &&
                p.part !== 'event',
            );
            return (
              <div>
                <Segmented
                  size="small"
                  aria-label="mode"
                  value={r.mode}
                  onChange={(v) => editRule(i, (x) => ({ ...x, mode: v as 'all' | 'any' }))}
                  options={[
                    { value: 'all', label: t('cond.all') },
                    { value: 'any', label: t('cond.any') },
                  ]}
                  style={{ marginBottom: 6 }}
                />
                {r.conditions.length === 0 && (
                  <Typography.Text type="secondary" style={{ display: 'block', marginBottom: 6 }}>
                    {t('cond.none')}
                  </Typography.Text>
                )}
                {r.conditions.map((c, j) => conditionLine(i, c, j))}
                <Space size={4}>
                  <Button
                    size="small"
                    type="dashed"
                    icon={<PlusOutlined />}
                    data-testid="rule-add-condition"
                    onClick={() =>
                      editRule(i, (x) => ({ ...x, conditions: [...x.conditions, newCondition()] }))
                    }
                  >
                    {t('cond.add')}
                  </Button>
                  <Button
                    size="small"
                    type="dashed"
                    onClick={() =>
                      editRule(i, (x) => ({
                        ...x,
                        conditions: [
                          ...x.conditions,
                          {
                            id: newId(),
                            kind: 'raw',
                            json: '{\n  "any": [\n    { "fact": "", "operator": "equal", "value": "" }\n  ]\n}',
                          },
                        ],
                      }))
                    }
                  >
                    {t('cond.addJson')}
                  </Button>
                </Space>
                {ruleLevel.map((p) => (
                  <ErrorText key={reason(p)} testId="rule-error">
                    {reason(p)}
                  </ErrorText>
                ))}
              </div>
            );
          },
        },
        {
          title: t('col.event'),
          width: 160,
          render: (_: unknown, r, i) => {
            const mine = at((p) => p.rule === i && p.part === 'event');
            return (
              <>
                <Input
                  aria-label={t('col.event')}
                  placeholder={t('eventPlaceholder')}
                  value={r.eventType}
                  onChange={(e) => editRule(i, (x) => ({ ...x, eventType: e.target.value }))}
                  status={mine.length ? 'error' : undefined}
                />
                {mine.map((p) => (
                  <ErrorText key={reason(p)} testId="rule-error">
                    {reason(p)}
                  </ErrorText>
                ))}
              </>
            );
          },
        },
        {
          title: t('col.params'),
          width: 350,
          render: (_: unknown, r, i) => (
            <div>
              {r.params.map((p, k) => {
                const mine = at((x) => x.rule === i && x.param === k);
                const has = (part: Problem['part']) => mine.some((x) => x.part === part);
                return (
                  <div key={p.id} data-testid={`param-${i}-${k}`} style={{ marginBottom: 6 }}>
                    <div style={{ display: 'flex', gap: 4, alignItems: 'center' }}>
                      <Input
                        aria-label={t('param.key')}
                        placeholder={t('param.key')}
                        value={p.key}
                        onChange={(e) => editParam(i, k, { key: e.target.value })}
                        status={has('key') ? 'error' : undefined}
                        style={{ width: 100 }}
                      />
                      <Select
                        aria-label={t('param.value')}
                        value={p.valueType}
                        onChange={(v) => editParam(i, k, { valueType: v })}
                        style={{ width: 72 }}
                        options={VALUE_TYPES.map((v) => ({ value: v, label: t(`type.${v}`), title: v }))}
                      />
                      <ValueInput
                        label={t('param.value')}
                        type={p.valueType}
                        value={p.value}
                        onChange={(v) => editParam(i, k, { value: v })}
                        error={has('value')}
                      />
                      <Button
                        size="small"
                        type="text"
                        danger
                        icon={<DeleteOutlined />}
                        aria-label={t('remove')}
                        onClick={() =>
                          editRule(i, (x) => ({ ...x, params: x.params.filter((_, n) => n !== k) }))
                        }
                      />
                    </div>
                    {mine.map((x) => (
                      <ErrorText key={`${x.part}:${reason(x)}`} testId="rule-error">
                        {reason(x)}
                      </ErrorText>
                    ))}
                  </div>
                );
              })}
              <Button
                size="small"
                type="dashed"
                icon={<PlusOutlined />}
                data-testid="rule-add-param"
                onClick={() => editRule(i, (x) => ({ ...x, params: [...x.params, newParam()] }))}
              >
                {t('param.add')}
              </Button>
            </div>
          ),
        },
        {
          title: t('col.actions'),
          width: 100,
          fixed: 'right',
          render: (_: unknown, _r, i) => (
            <Space size={0}>
              <Tooltip title={t('moveUp')}>
                <Button
                  size="small"
                  type="text"
                  icon={<ArrowUpOutlined />}
                  aria-label={t('moveUp')}
                  disabled={i === 0}
                  onClick={() => move(i, -1)}
                />
              </Tooltip>
              <Tooltip title={t('moveDown')}>
                <Button
                  size="small"
                  type="text"
                  icon={<ArrowDownOutlined />}
                  aria-label={t('moveDown')}
                  disabled={i === draft.rules.length - 1}
                  onClick={() => move(i, 1)}
                />
              </Tooltip>
              <Tooltip title={t('remove')}>
                <Button
                  size="small"
                  type="text"
                  danger
                  icon={<DeleteOutlined />}
                  aria-label={t('remove')}
                  data-testid="rule-remove"
                  onClick={() => edit((d) => ({ ...d, rules: d.rules.filter((_, k) => k !== i) }))}
                />
              </Tooltip>
            </Space>
          ),
        },
      ]}
    />
  );

  return (
    <div data-testid="rules">
      <Space orientation="vertical" style={{ width: '100%' }} size="middle">
        <Card
          size="small"
          title={
            <Space>
              <Link to="/rules" aria-label={ts('common.back')}>
                <ArrowLeftOutlined />
              </Link>
              {draft.name || draft.id || t('editor.newTitle')}
              {version ? (
                <Tag color="blue">{t('editor.version', { version })}</Tag>
              ) : (
                <Tag>{t('editor.unsaved')}</Tag>
              )}
              {dirty && version ? <Tag color="orange">{t('editor.changed')}</Tag> : null}
            </Space>
          }
          extra={
            <Space>
              <Segmented
                data-testid="rules-view"
                value={view}
                onChange={(v) => setView(v as 'table' | 'json')}
                options={[
                  { value: 'table', label: t('editor.table') },
                  { value: 'json', label: t('editor.json') },
                ]}
              />
              <Button
                icon={<DownloadOutlined />}
                onClick={() => downloadJson(`${built.doc.id || 'rule-set'}.json`, built.doc)}
              >
                {t('exportJson')}
              </Button>
              <Button
                type="primary"
                icon={<CloudUploadOutlined />}
                loading={deploying}
                data-testid="rules-deploy"
                onClick={() => void deploy()}
              >
                {ts('common.deploy')}
              </Button>
            </Space>
          }
        >
          <Space wrap align="start" size="large">
            <div>
              <Typography.Text>{t('editor.id')}</Typography.Text>
              <Input
                data-testid="rules-id"
                aria-label={t('editor.id')}
                placeholder={t('editor.idPlaceholder')}
                value={draft.id}
                onChange={(e) => edit((d) => ({ ...d, id: e.target.value }))}
                status={idProblems.length ? 'error' : undefined}
                style={{ width: 240, display: 'block', ...mono }}
              />
              {idProblems.map((p) => (
                <ErrorText key={reason(p)}>{reason(p)}</ErrorText>
              ))}
            </div>
            <div>
              <Typography.Text>{t('editor.name')}</Typography.Text>
              <Input
                data-testid="rules-name"
                aria-label={t('editor.name')}
                value={draft.name}
                onChange={(e) => edit((d) => ({ ...d, name: e.target.value }))}
                style={{ width: 320, display: 'block' }}
              />
            </div>
          </Space>
          {setProblems.map((p) => (
            <ErrorText key={reason(p)}>{reason(p)}</ErrorText>
          ))}
        </Card>
        <ProblemAlert error={deployError} onClose={() => setDeployError(undefined)} />
        {view === 'table' ? (
          <Card size="small">
            {table}
            <Button
              type="dashed"
              icon={<PlusOutlined />}
              data-testid="rules-add-row"
              style={{ marginTop: 8 }}
              onClick={() => edit((d) => ({ ...d, rules: [...d.rules, newRule()] }))}
            >
              {t('editor.addRow')}
            </Button>
          </Card>
        ) : (
          <JsonView
            doc={built.doc}
            onApply={(doc) => {
              edit(() => fromDoc(doc));
              setView('table');
            }}
          />
        )}
        <TestPanel
          draft={draft}
          sample={sample}
          onSample={setSample}
          onProblems={(client, list) => {
            if (client) setChecked(true);
            else setServerProblems(list);
          }}
        />
      </Space>
    </div>
  );
}
