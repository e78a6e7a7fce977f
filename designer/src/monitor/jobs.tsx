import { App, Button, Card, Col, Row, Statistic, Table, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import { formatTime, type Incident, useCanWrite } from './shared.js';
import './texts.js';

const JOB_STATES = ['CREATED', 'ACTIVATED', 'FAILED', 'ERROR_THROWN', 'COMPLETED', 'CANCELED'] as const;
const STATE_COLORS: Record<string, string | undefined> = { FAILED: '#cf1322', ERROR_THROWN: '#d46b08' };

/** The jobs per state (one count query each) and the open incidents with retry. */
export default function Jobs() {
  const { t, i18n } = useTranslation('monitor');
  const { message } = App.useApp();
  const { tenantId } = useSession();
  const canWrite = useCanWrite();
  const [counts, setCounts] = useState<Record<string, number | null>>({});
  const [incidents, setIncidents] = useState<Incident[] | null>(null);
  const [error, setError] = useState<unknown>();
  const [retrying, setRetrying] = useState<string>();

  const load = useCallback(async () => {
    setError(undefined);
    const count = async (state: string) => {
      try {
        const res = await api.post('/v2/jobs/search', { filter: { state }, page: { limit: 1 } });
        return res.page?.totalItems ?? 0;
      } catch {
        return null;
      }
    };
    const [values, open] = await Promise.all([
      Promise.all(JOB_STATES.map(count)),
      api
        .post('/v2/incidents/search', {
          filter: { state: 'ACTIVE' },
          sort: [{ field: 'creationTime', order: 'desc' }],
          page: { limit: 200 },
        })
        .then((res) => res.items as Incident[])
        .catch((err) => {
          setError(err);
          return [] as Incident[];
        }),
    ]);
    setCounts(Object.fromEntries(JOB_STATES.map((s, i) => [s, values[i]])));
    setIncidents(open);
  }, []);

  useEffect(() => {
    if (tenantId) void load();
  }, [load, tenantId]);

  const retry = async (incident: Incident) => {
    setRetrying(incident.incidentKey);
    try {
      await api.post(`/v2/incidents/${incident.incidentKey}/resolution`, {});
      message.success(t('actions.retried'));
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setRetrying(undefined);
    }
  };

  const lang = i18n.language;
  return (
    <div data-testid="monitor-jobs">
      <Row gutter={[12, 12]} style={{ marginBottom: 16 }}>
        {JOB_STATES.map((state) => (
          <Col key={state} xs={12} md={8} lg={4}>
            <Card size="small" data-testid={`monitor-jobs-${state}`} data-count={counts[state] ?? ''}>
              <Statistic
                title={t(`jobStates.${state}`)}
                value={counts[state] ?? '–'}
                styles={{ content: { color: STATE_COLORS[state] } }}
              />
            </Card>
          </Col>
        ))}
      </Row>
      <Typography.Title level={5}>{t('activeIncidents')}</Typography.Title>
      {error ? <ProblemAlert error={error} onClose={() => setError(undefined)} /> : null}
      <Table<Incident>
        size="small"
        rowKey="incidentKey"
        loading={incidents === null}
        dataSource={incidents ?? []}
        locale={{ emptyText: t('noIncidents') }}
        onRow={(row) => ({ 'data-testid': `monitor-incident-${row.incidentKey}` }) as any}
        columns={[
          {
            key: 'instance',
            title: t('columns.instance'),
            render: (_, row) => (
              <Link to={`/monitor/instances/${row.processInstanceKey}`}>{row.processInstanceKey}</Link>
            ),
          },
          { key: 'process', title: t('columns.process'), dataIndex: 'processDefinitionId' },
          { key: 'element', title: t('columns.element'), dataIndex: 'elementId' },
          { key: 'errorType', title: t('columns.errorType'), dataIndex: 'errorType' },
          {
            key: 'errorMessage',
            title: t('columns.errorMessage'),
            render: (_, row) => (
              <Typography.Text
                type="danger"
                ellipsis={{ tooltip: row.errorMessage }}
                style={{ maxWidth: 360 }}
              >
                {row.errorMessage}
              </Typography.Text>
            ),
          },
          { key: 'time', title: t('columns.time'), render: (_, row) => formatTime(row.creationTime, lang) },
          ...(canWrite
            ? [
                {
                  key: 'retry',
                  title: '',
                  render: (_: unknown, row: Incident) => (
                    <Button
                      size="small"
                      data-testid="monitor-retry"
                      loading={retrying === row.incidentKey}
                      onClick={() => void retry(row)}
                    >
                      {t('actions.retry')}
                    </Button>
                  ),
                },
              ]
            : []),
        ]}
      />
    </div>
  );
}
