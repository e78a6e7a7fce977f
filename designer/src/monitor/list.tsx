import {
  Button,
  Col,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Row,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import dayjs from 'dayjs';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import { api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import { formatTime, jsonText, type ProcessInstance, StateTag } from './shared.js';
import './texts.js';

const PAGE_SIZE = 20;
const STATES = ['ACTIVE', 'COMPLETED', 'TERMINATED'];

interface Query {
  processDefinitionId?: string;
  version?: number | null;
  state?: string;
  businessKey?: string;
  variableName?: string;
  variableValue?: string;
  startDate?: [any, any] | null;
}

/**
 * The query in the address (process, version, state, businessKey, varName, varValue, from, to,
 * page), so a search survives a reload, the back button and a link sent to a colleague.
 */
export function queryOfParams(params: URLSearchParams): { query: Query; page: number } {
  const text = (name: string) => params.get(name) ?? undefined;
  const version = Number(params.get('version'));
  const from = params.get('from');
  const to = params.get('to');
  const range = from && to && dayjs(from).isValid() && dayjs(to).isValid() ? [dayjs(from), dayjs(to)] : null;
  const page = Number(params.get('page'));
  return {
    query: {
      processDefinitionId: text('process'),
      version: Number.isInteger(version) && version > 0 ? version : undefined,
      state: STATES.includes(params.get('state') ?? '') ? (params.get('state') as string) : undefined,
      businessKey: text('businessKey'),
      variableName: text('varName'),
      variableValue: text('varValue'),
      startDate: range as Query['startDate'],
    },
    page: Number.isInteger(page) && page > 1 ? page : 1,
  };
}

export function paramsOfQuery(q: Query, page: number): URLSearchParams {
  const params = new URLSearchParams();
  const put = (name: string, value: unknown) => {
    if (value !== undefined && value !== null && String(value).trim() !== '')
      params.set(name, String(value).trim());
  };
  put('process', q.processDefinitionId);
  put('version', q.version);
  put('state', q.state);
  put('businessKey', q.businessKey);
  put('varName', q.variableName);
  if (q.variableName?.trim()) put('varValue', q.variableValue);
  if (q.startDate?.[0] && q.startDate?.[1]) {
    put('from', q.startDate[0].format('YYYY-MM-DD'));
    put('to', q.startDate[1].format('YYYY-MM-DD'));
  }
  if (page > 1) put('page', page);
  return params;
}

/** The filter of POST /v2/process-instances/search for what the form holds. */
export function filterOf(q: Query): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (q.processDefinitionId) filter.processDefinitionId = q.processDefinitionId;
  if (q.version !== undefined && q.version !== null) filter.processDefinitionVersion = q.version;
  if (q.state) filter.state = q.state;
  if (q.businessKey?.trim()) filter.businessKey = q.businessKey.trim();
  if (q.variableName?.trim())
    filter.variables = [{ name: q.variableName.trim(), value: jsonText(q.variableValue ?? '') }];
  if (q.startDate?.[0] && q.startDate?.[1])
    filter.startDate = {
      $gte: q.startDate[0].startOf('day').toISOString(),
      $lte: q.startDate[1].endOf('day').toISOString(),
    };
  return filter;
}

/** The instances, searched by process, version, state, business key, a variable and start date. */
export default function InstanceList() {
  const { t, i18n } = useTranslation('monitor');
  const { tenantId } = useSession();
  const [form] = Form.useForm<Query>();
  const [params, setParams] = useSearchParams();
  const { query, page: pageNo } = useMemo(() => queryOfParams(params), [params]);
  // A change of the address made by this form must not reset what the user is typing meanwhile.
  const ownChange = useRef(false);
  const show = (q: Query, page: number) => {
    ownChange.current = true;
    setParams(paramsOfQuery(q, page));
  };
  const [items, setItems] = useState<ProcessInstance[]>([]);
  const [total, setTotal] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [definitions, setDefinitions] = useState<Array<{ id: string; name: string; versions: number[] }>>([]);
  const processId = Form.useWatch('processDefinitionId', form);
  const latest = useRef(0);

  useEffect(() => {
    if (!tenantId) return;
    api
      .post('/v2/process-definitions/search', { page: { limit: 1000 } })
      .then((res) => {
        const byId = new Map<string, { id: string; name: string; versions: number[] }>();
        for (const d of res.items ?? []) {
          const e = byId.get(d.processDefinitionId) ?? {
            id: d.processDefinitionId as string,
            name: (d.name || d.processDefinitionId) as string,
            versions: [] as number[],
          };
          e.versions.push(d.version);
          byId.set(d.processDefinitionId, e);
        }
        for (const e of byId.values()) e.versions.sort((a, b) => b - a);
        setDefinitions([...byId.values()].sort((a, b) => a.id.localeCompare(b.id)));
      })
      .catch(() => setDefinitions([]));
  }, [tenantId]);

  const load = useCallback(async (q: Query, page: number) => {
    const n = ++latest.current;
    setLoading(true);
    try {
      const res = await api.post('/v2/process-instances/search', {
        filter: filterOf(q),
        sort: [{ field: 'startDate', order: 'desc' }],
        page: { from: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE },
      });
      if (n !== latest.current) return;
      setItems(res.items ?? []);
      setTotal(res.page?.totalItems ?? 0);
      setError(undefined);
    } catch (err) {
      if (n === latest.current) {
        setError(err);
        setItems([]);
        setTotal(0);
      }
    } finally {
      if (n === latest.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    if (tenantId) void load(query, pageNo);
  }, [load, query, pageNo, tenantId]);

  // The form shows what the address asks for (after a reload, back or forward, not its own submit).
  useEffect(() => {
    if (ownChange.current) {
      ownChange.current = false;
      return;
    }
    form.resetFields();
    form.setFieldsValue(query);
  }, [form, query]);

  const lang = i18n.language;
  const versions = definitions.find((d) => d.id === processId)?.versions ?? [];
  return (
    <div data-testid="monitor-instances">
      <Form form={form} layout="vertical" data-testid="monitor-search" onFinish={(values) => show(values, 1)}>
        <Row gutter={12}>
          <Col xs={24} md={8} lg={5}>
            <Form.Item name="processDefinitionId" label={t('search.process')}>
              <Select
                allowClear
                showSearch
                optionFilterProp="label"
                data-testid="monitor-search-process"
                options={definitions.map((d) => ({ value: d.id, label: `${d.name} (${d.id})` }))}
                onChange={() => form.setFieldValue('version', undefined)}
              />
            </Form.Item>
          </Col>
          <Col xs={12} md={4} lg={2}>
            <Form.Item name="version" label={t('search.version')}>
              {versions.length > 0 ? (
                <Select
                  allowClear
                  data-testid="monitor-search-version"
                  placeholder={t('search.allVersions')}
                  options={versions.map((v) => ({ value: v, label: `v${v}` }))}
                />
              ) : (
                <InputNumber min={1} style={{ width: '100%' }} data-testid="monitor-search-version" />
              )}
            </Form.Item>
          </Col>
          <Col xs={12} md={4} lg={3}>
            <Form.Item name="state" label={t('search.state')}>
              <Select
                allowClear
                data-testid="monitor-search-state"
                options={STATES.map((s) => ({ value: s, label: t(`states.${s}`) }))}
              />
            </Form.Item>
          </Col>
          <Col xs={24} md={8} lg={4}>
            <Form.Item name="businessKey" label={t('search.businessKey')}>
              <Input allowClear data-testid="monitor-search-business-key" />
            </Form.Item>
          </Col>
          <Col xs={12} md={6} lg={3}>
            <Form.Item name="variableName" label={t('search.variableName')}>
              <Input allowClear data-testid="monitor-search-variable-name" />
            </Form.Item>
          </Col>
          <Col xs={12} md={6} lg={3}>
            <Form.Item name="variableValue" label={t('search.variableValue')}>
              <Input allowClear data-testid="monitor-search-variable-value" />
            </Form.Item>
          </Col>
          <Col xs={24} md={12} lg={4}>
            <Form.Item name="startDate" label={t('search.startDate')}>
              <DatePicker.RangePicker style={{ width: '100%' }} data-testid="monitor-search-start" />
            </Form.Item>
          </Col>
        </Row>
        <Space style={{ marginBottom: 12 }}>
          <Button type="primary" htmlType="submit" data-testid="monitor-search-submit">
            {t('search.submit')}
          </Button>
          <Button
            data-testid="monitor-search-reset"
            onClick={() => {
              form.resetFields();
              show({}, 1);
            }}
          >
            {t('search.reset')}
          </Button>
        </Space>
      </Form>
      {error ? <ProblemAlert error={error} onClose={() => setError(undefined)} /> : null}
      <Table<ProcessInstance>
        size="small"
        rowKey="processInstanceKey"
        loading={loading}
        dataSource={items}
        data-testid="monitor-list"
        onRow={(row) => ({ 'data-testid': `monitor-row-${row.processInstanceKey}` }) as any}
        locale={{ emptyText: t('empty') }}
        pagination={{
          current: pageNo,
          pageSize: PAGE_SIZE,
          total,
          showSizeChanger: false,
          showTotal: (count) => t('total', { count }),
          onChange: (page) => show(query, page),
        }}
        columns={[
          {
            key: 'key',
            title: t('columns.key'),
            render: (_, row) => (
              <Link to={`/monitor/instances/${row.processInstanceKey}`} data-testid="monitor-row-link">
                {row.processInstanceKey}
              </Link>
            ),
          },
          {
            key: 'process',
            title: t('columns.process'),
            render: (_, row) => (
              <Space size={4}>
                <Link to={`/monitor/processes/${row.processDefinitionKey}`} data-testid="monitor-row-process">
                  {row.processDefinitionName || row.processDefinitionId}
                </Link>
                <Typography.Text type="secondary">v{row.processDefinitionVersion}</Typography.Text>
              </Space>
            ),
          },
          { key: 'businessKey', title: t('columns.businessKey'), dataIndex: 'businessKey' },
          {
            key: 'state',
            title: t('columns.state'),
            render: (_, row) => (
              <Space size={4}>
                <StateTag state={row.state} t={t} />
                {row.hasIncident ? <Tag color="red">{t('columns.incident')}</Tag> : null}
              </Space>
            ),
          },
          { key: 'initiator', title: t('columns.initiator'), dataIndex: 'initiator' },
          {
            key: 'startDate',
            title: t('columns.startDate'),
            render: (_, row) => formatTime(row.startDate, lang),
          },
          { key: 'endDate', title: t('columns.endDate'), render: (_, row) => formatTime(row.endDate, lang) },
        ]}
      />
    </div>
  );
}
