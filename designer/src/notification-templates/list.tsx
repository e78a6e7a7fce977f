import { Card, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { api } from '../app/api.js';
import { useList } from '../app/lists.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import { CHANNELS, EVENTS, LOCALES } from './texts.js';

export interface TemplateItem {
  tenantId: string;
  event: string;
  channel: string;
  locale: string;
  subject: string;
  body: string;
  custom: boolean;
}

export async function searchTemplates(tenantId: string | undefined): Promise<TemplateItem[]> {
  const res = await api.post<{ items: TemplateItem[] }>(
    '/v2/notification-templates/search',
    tenantId ? { tenantId } : {},
  );
  return res.items;
}

/** Every event × channel × language, marked where the tenant has its own text. */
export function TemplateMatrix() {
  const { t } = useTranslation('templates');
  const { tenantId } = useSession();
  const load = useCallback(() => searchTemplates(tenantId), [tenantId]);
  const { items, error, setError } = useList(load);

  const custom = useMemo(() => {
    const set = new Set<string>();
    for (const i of items ?? []) if (i.custom) set.add(`${i.event}|${i.channel}|${i.locale}`);
    return set;
  }, [items]);

  const rows = EVENTS.map((event) => ({ event }));
  return (
    <div data-testid="templates">
      <Card title={t('title')}>
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Text type="secondary">{t('intro')}</Typography.Text>
          <ProblemAlert error={error} onClose={() => setError(undefined)} />
          <Table
            rowKey="event"
            size="small"
            bordered
            pagination={false}
            loading={items === null}
            dataSource={items === null ? [] : rows}
            scroll={{ x: 900 }}
            columns={[
              {
                title: t('event'),
                fixed: 'left',
                width: 200,
                render: (_: unknown, r) => (
                  <Space orientation="vertical" size={0}>
                    <Typography.Text strong>{t(`events.${r.event}`)}</Typography.Text>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {r.event}
                    </Typography.Text>
                  </Space>
                ),
              },
              ...CHANNELS.map((channel) => ({
                title: t(`channels.${channel}`),
                children: LOCALES.map((locale) => ({
                  title: t(`locales.${locale}`),
                  key: `${channel}|${locale}`,
                  align: 'center' as const,
                  render: (_: unknown, r: { event: string }) => {
                    const mine = custom.has(`${r.event}|${channel}|${locale}`);
                    return (
                      <Link
                        to={`/templates/${r.event}/${channel}/${locale}`}
                        data-testid={`tpl-${r.event}-${channel}-${locale}`}
                        data-custom={mine ? 'true' : 'false'}
                      >
                        {mine ? <Tag color="blue">{t('custom')}</Tag> : <Tag>{t('default')}</Tag>}
                      </Link>
                    );
                  },
                })),
              })),
            ]}
          />
        </Space>
      </Card>
    </div>
  );
}
