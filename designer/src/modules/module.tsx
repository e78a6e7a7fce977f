import {
  App,
  Button,
  Card,
  Descriptions,
  Input,
  Popconfirm,
  Skeleton,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import { lineDiff, localized, type ModuleSummary, withTenant } from './shared.js';
import { UpgradeDialog } from './upgrade-dialog.js';

interface ModuleDetail extends ModuleSummary {
  version: string;
  settings: Record<string, unknown>;
  resources: Array<{ resourceName: string; kind: string; overridden: boolean }>;
  notificationTemplates: Array<{ event: string; channel: string; locale: string }>;
  dashboards: Array<{ id: string; name: { 'zh-CN': string; en: string } }>;
}

interface ModuleResource {
  resourceName: string;
  kind: string;
  standard: { version: string; content: string };
  override: {
    content: string;
    baseVersion: string;
    baseContent: string | null;
    updatedBy: string | null;
  } | null;
  latest: { version: string; content: string } | null;
}

/** The lines of a diff, added in green and removed in red (unchanged runs folded to their ends). */
function DiffView({ before, after }: { before: string; after: string }) {
  const { t } = useTranslation('modules');
  const lines = useMemo(() => lineDiff(before, after), [before, after]);
  const changed = lines.filter((l) => l.kind !== 'same').length;
  if (!changed) return <Typography.Text type="secondary">{t('resource.noDiff')}</Typography.Text>;
  // Keep two lines of context around each change.
  const keep = new Set<number>();
  lines.forEach((l, i) => {
    if (l.kind !== 'same') for (let k = i - 2; k <= i + 2; k++) keep.add(k);
  });
  return (
    <pre
      data-testid="module-diff"
      data-changed={changed}
      style={{ fontSize: 12, maxHeight: 360, overflow: 'auto', background: '#fafafa', padding: 8 }}
    >
      {lines.map((l, i) =>
        keep.has(i) ? (
          <div
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff have no identity but their place
            key={i}
            data-kind={l.kind}
            style={{ background: l.kind === 'add' ? '#e6ffed' : l.kind === 'del' ? '#ffeef0' : undefined }}
          >
            {l.kind === 'add' ? '+ ' : l.kind === 'del' ? '- ' : '  '}
            {l.text}
          </div>
        ) : keep.has(i - 1) ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: as above
          <div key={i} style={{ color: '#999' }}>
            …
          </div>
        ) : null,
      )}
    </pre>
  );
}

/** One resource: the tenant's version against the standard it was made from, edited in place. */
function ResourcePanel(props: { moduleId: string; name: string; enabled: boolean; onChanged(): void }) {
  const { t } = useTranslation('modules');
  const { message } = App.useApp();
  const { tenantId } = useSession();
  const [res, setRes] = useState<ModuleResource | null>(null);
  const [draft, setDraft] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const r = await api.get<ModuleResource>(
        `/v2/modules/${props.moduleId}/resources/${encodeURIComponent(props.name)}${withTenant(tenantId)}`,
      );
      setRes(r);
      setDraft(undefined);
    } catch (err) {
      setError(err);
    }
  }, [props.moduleId, props.name, tenantId]);
  useEffect(() => {
    setRes(null);
    void load();
  }, [load]);

  if (!res) return error ? <ProblemAlert error={error} /> : <Skeleton active />;
  const base = res.override ? (res.override.baseContent ?? res.standard.content) : res.standard.content;
  const current = res.override?.content ?? res.standard.content;
  const run = async (fn: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      message.success(t(done));
      await load();
      props.onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const path = `/v2/modules/${props.moduleId}/resources/${encodeURIComponent(props.name)}/override`;
  return (
    <Card
      size="small"
      title={props.name}
      data-testid="module-resource"
      data-overridden={!!res.override}
      extra={
        <Space>
          {res.override ? (
            <Tag color="blue">{t('resource.baseVersion', { version: res.override.baseVersion })}</Tag>
          ) : (
            <Tag>{t('standard')}</Tag>
          )}
          {res.latest ? (
            <Tag color="orange">{t('resource.latest', { version: res.latest.version })}</Tag>
          ) : null}
        </Space>
      }
    >
      {error ? <ProblemAlert error={error} onClose={() => setError(undefined)} /> : null}
      <Typography.Title level={5}>{t('resource.diff')}</Typography.Title>
      <DiffView before={base} after={draft ?? current} />
      {props.enabled ? (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('resource.edit')}
          </Typography.Title>
          <Input.TextArea
            data-testid="module-resource-content"
            value={draft ?? current}
            onChange={(e) => setDraft(e.target.value)}
            autoSize={{ minRows: 8, maxRows: 24 }}
            style={{ fontFamily: 'monospace', fontSize: 12 }}
          />
          <Space style={{ marginTop: 8 }}>
            <Button
              type="primary"
              loading={busy}
              disabled={draft === undefined || draft === current}
              data-testid="module-resource-save"
              onClick={() => void run(() => api.put(path, { content: draft, tenantId }), 'resource.saved')}
            >
              {t('resource.save')}
            </Button>
            {res.override ? (
              <Popconfirm
                title={t('resource.revertConfirm')}
                onConfirm={() => run(() => api.delete(`${path}${withTenant(tenantId)}`), 'resource.reverted')}
                okButtonProps={{ 'data-testid': 'module-resource-revert-confirm' } as any}
              >
                <Button danger data-testid="module-resource-revert">
                  {t('resource.revert')}
                </Button>
              </Popconfirm>
            ) : null}
          </Space>
        </>
      ) : (
        <Typography.Paragraph type="secondary">{t('resource.notEnabled')}</Typography.Paragraph>
      )}
    </Card>
  );
}

/** One module: its version in the tenant, resources (overridden or standard), templates, dashboards, settings. */
export function ModulePage() {
  const { moduleId = '' } = useParams();
  const { t, i18n } = useTranslation('modules');
  const { tenantId } = useSession();
  const [params, setParams] = useSearchParams();
  const [detail, setDetail] = useState<ModuleDetail | null>(null);
  const [error, setError] = useState<unknown>();
  const [upgrading, setUpgrading] = useState(false);
  const selected = params.get('resource');

  const load = useCallback(async () => {
    try {
      setDetail(await api.get<ModuleDetail>(`/v2/modules/${moduleId}${withTenant(tenantId)}`));
    } catch (err) {
      setError(err);
    }
  }, [moduleId, tenantId]);
  useEffect(() => {
    void load();
  }, [load]);

  if (!detail) return error ? <ProblemAlert error={error} /> : <Skeleton active />;
  const lang = i18n.language;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="module-page" data-module={moduleId}>
      <Link to="/modules">← {t('back')}</Link>
      <Card
        title={localized(detail.name, lang)}
        extra={
          detail.enabled && detail.upgradeAvailable ? (
            <Button data-testid="module-upgrade" onClick={() => setUpgrading(true)}>
              {t('upgrade')}
            </Button>
          ) : null
        }
      >
        <Typography.Paragraph type="secondary">{localized(detail.description, lang)}</Typography.Paragraph>
        <Descriptions size="small" column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label={t('columns.enabled')}>
            {detail.enabledVersion
              ? `${detail.enabledVersion}${detail.enabled ? '' : ` · ${t('disabled')}`}`
              : t('notEnabled')}
          </Descriptions.Item>
          <Descriptions.Item label={t('columns.latest')}>{detail.latestVersion}</Descriptions.Item>
          <Descriptions.Item label={t('templates')}>{detail.notificationTemplates.length}</Descriptions.Item>
          <Descriptions.Item label={t('dashboards')}>
            {detail.dashboards.map((d) => localized(d.name, lang)).join('、') || '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('settings')}>
            <Typography.Text code>{JSON.stringify(detail.settings)}</Typography.Text>
          </Descriptions.Item>
        </Descriptions>
        <Table
          size="small"
          rowKey="resourceName"
          pagination={false}
          dataSource={detail.resources}
          onRow={(row) => ({ 'data-testid': `module-resource-${row.resourceName}` }) as any}
          columns={[
            {
              key: 'name',
              title: t('resources'),
              render: (_, row) => (
                <Button
                  type="link"
                  size="small"
                  data-testid="module-resource-open"
                  onClick={() => setParams({ resource: row.resourceName })}
                >
                  {row.resourceName}
                </Button>
              ),
            },
            { key: 'kind', title: '', render: (_, row) => t(`kinds.${row.kind}`) },
            {
              key: 'state',
              title: '',
              render: (_, row) =>
                row.overridden ? (
                  <Tag color="blue" data-testid="module-resource-overridden">
                    {t('overridden')}
                  </Tag>
                ) : (
                  <Tag>{t('standard')}</Tag>
                ),
            },
          ]}
        />
      </Card>
      {selected ? (
        <ResourcePanel
          moduleId={moduleId}
          name={selected}
          enabled={detail.enabled}
          onChanged={() => void load()}
        />
      ) : null}
      {upgrading ? (
        <UpgradeDialog
          moduleId={moduleId}
          version={detail.latestVersion}
          tenantId={tenantId}
          onClose={() => setUpgrading(false)}
          onDone={() => {
            setUpgrading(false);
            void load();
          }}
        />
      ) : null}
    </Space>
  );
}
