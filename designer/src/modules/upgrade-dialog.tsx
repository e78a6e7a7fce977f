import { Alert, App, Modal, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { type UpgradePreview, upgradePreview } from './shared.js';

const COLORS: Record<string, string> = {
  ADDED: 'green',
  CHANGED: 'orange',
  UNCHANGED: 'default',
  REMOVED: 'red',
  OVERRIDDEN: 'blue',
};

/**
 * What enabling a version would change, resource by resource, with the running instances of each
 * changed process, before anything is deployed; confirming enables (deploys) that version.
 */
export function UpgradeDialog(props: {
  moduleId: string;
  version: string;
  tenantId: string | undefined;
  onClose(): void;
  onDone(): void;
}) {
  const { t } = useTranslation('modules');
  const { message } = App.useApp();
  const [preview, setPreview] = useState<UpgradePreview | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    upgradePreview(props.moduleId, props.version, props.tenantId).then(setPreview, setError);
  }, [props.moduleId, props.version, props.tenantId]);

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post(`/v2/modules/${props.moduleId}/enablement`, {
        version: props.version,
        tenantId: props.tenantId,
      });
      message.success(t('preview.done', { version: props.version }));
      props.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      width={760}
      title={t('preview.title', { version: props.version })}
      okText={t('preview.confirm')}
      okButtonProps={{ disabled: !preview, loading: busy, 'data-testid': 'module-upgrade-confirm' } as any}
      onOk={confirm}
      onCancel={props.onClose}
      data-testid="module-upgrade-dialog"
    >
      {error ? <ProblemAlert error={error} /> : null}
      {preview ? (
        <>
          <Typography.Paragraph type="secondary">
            {preview.fromVersion
              ? t('preview.from', { from: preview.fromVersion, to: preview.toVersion })
              : t('preview.fromNone', { to: preview.toVersion })}
          </Typography.Paragraph>
          <Table
            size="small"
            rowKey="resourceName"
            pagination={false}
            dataSource={preview.changes}
            onRow={(row) =>
              ({ 'data-testid': `module-change-${row.resourceName}`, 'data-change': row.change }) as any
            }
            columns={[
              { key: 'name', title: t('resources'), dataIndex: 'resourceName' },
              { key: 'kind', title: '', render: (_, row) => t(`kinds.${row.kind}`) },
              {
                key: 'change',
                title: t('preview.change'),
                render: (_, row) => (
                  <>
                    <Tag color={COLORS[row.change]}>{t(`preview.changes.${row.change}`)}</Tag>
                    {row.standardChanged ? (
                      <Typography.Text type="warning">{t('preview.standardChanged')}</Typography.Text>
                    ) : null}
                  </>
                ),
              },
              {
                key: 'running',
                title: t('preview.running'),
                render: (_, row) =>
                  row.runningInstances ? (
                    <span
                      data-testid={`module-running-${row.resourceName}`}
                      data-total={row.runningInstances.total}
                    >
                      {row.runningInstances.total === 0
                        ? t('preview.none')
                        : row.runningInstances.items.slice(0, 5).map((i) => (
                            <Link
                              key={i.processInstanceKey}
                              to={`/monitor/instances/${i.processInstanceKey}`}
                              style={{ marginRight: 6 }}
                            >
                              {i.businessKey ?? i.processInstanceKey} (v{i.version})
                            </Link>
                          ))}
                      {row.runningInstances.total > 5 ? ` … ${row.runningInstances.total}` : null}
                    </span>
                  ) : null,
              },
            ]}
          />
          {preview.changes.some((c) => c.runningInstances?.total) ? (
            <Alert style={{ marginTop: 12 }} type="info" showIcon title={t('preview.runningHint')} />
          ) : null}
        </>
      ) : null}
    </Modal>
  );
}
