import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import './diff.css';
import { ArrowLeftOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Empty,
  Select,
  Space,
  Spin,
  Table,
  type TableColumnsType,
  Tag,
  Typography,
} from 'antd';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import zeebeDescriptor from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { type HTMLAttributes, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router-dom';
import lifeflowDescriptor from '../../../engine/model/lifeflow-moddle.json';
import { api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import { type ChangeKind, type ChangeRow, changeRows, diffDefinitions, KINDS, markerOf } from './changes.js';
import { loadVersions, loadXml, type VersionStats } from './data.js';
import { formatDateTime } from './texts.js';

const KIND_COLORS: Record<ChangeKind, { tag: string; swatch: string; border: string }> = {
  added: { tag: 'success', swatch: '#d9f7be', border: '#389e0d' },
  removed: { tag: 'error', swatch: '#ffccc7', border: '#cf1322' },
  changed: { tag: 'warning', swatch: '#fff1b8', border: '#d48806' },
  layout: { tag: 'processing', swatch: '#d6e4ff', border: '#1677ff' },
};

const testId = (id: string) => ({ 'data-testid': id }) as HTMLAttributes<HTMLElement>;

type Viewer = InstanceType<typeof NavigatedViewer>;

interface Definition {
  processDefinitionKey: string;
  processDefinitionId: string;
  version: number;
  name: string | null;
}

/** Makes two viewers show the same part of the plane: zoom or scroll one, the other follows. */
function syncViewboxes(a: Viewer, b: Viewer): void {
  let busy = false;
  const follow = (from: Viewer, to: Viewer) =>
    from.on('canvas.viewbox.changed', (e: any) => {
      if (busy) return;
      busy = true;
      try {
        const { x, y, width, height } = e.viewbox;
        (to.get('canvas') as any).viewbox({ x, y, width, height });
      } finally {
        busy = false;
      }
    });
  follow(a, b);
  follow(b, a);
}

/** Both canvases fitted to whichever diagram needs more room, so the same place is at the same spot. */
function fitBoth(a: Viewer, b: Viewer): void {
  const ca = a.get('canvas') as any;
  const cb = b.get('canvas') as any;
  ca.zoom('fit-viewport', 'auto');
  cb.zoom('fit-viewport', 'auto');
  const va = ca.viewbox();
  const vb = cb.viewbox();
  const x = Math.min(va.inner.x, vb.inner.x) - 20;
  const y = Math.min(va.inner.y, vb.inner.y) - 20;
  const right = Math.max(va.inner.x + va.inner.width, vb.inner.x + vb.inner.width) + 20;
  const bottom = Math.max(va.inner.y + va.inner.height, vb.inner.y + vb.inner.height) + 20;
  // keep the aspect ratio of the canvas (both columns have the same size)
  const outer = va.outer;
  const scale = Math.min(outer.width / (right - x), outer.height / (bottom - y), 1.2);
  const width = outer.width / scale;
  const height = outer.height / scale;
  // centred on both diagrams together
  const box = { x: (x + right - width) / 2, y: (y + bottom - height) / 2, width, height };
  ca.viewbox(box);
}

function mark(viewer: Viewer, id: string, kind: ChangeKind): void {
  const registry = viewer.get('elementRegistry') as any;
  if (!registry.get(id)) return;
  (viewer.get('canvas') as any).addMarker(id, markerOf(kind));
}

function Legend() {
  const { t } = useTranslation('processes');
  return (
    <Space className="lf-diff-legend" size={12} wrap data-testid="diff-legend">
      <Typography.Text type="secondary">{t('diff.legend')}:</Typography.Text>
      {KINDS.map((k) => (
        <span key={k}>
          <span
            className="lf-diff-swatch"
            style={{ background: KIND_COLORS[k].swatch, borderColor: KIND_COLORS[k].border }}
          />
          {t(`diff.kind.${k}`)}
        </span>
      ))}
    </Space>
  );
}

function ChangesTable({ rows, onPick }: { rows: ChangeRow[]; onPick: (id: string) => void }) {
  const { t } = useTranslation('processes');
  const columns: TableColumnsType<ChangeRow> = [
    {
      title: t('diff.column.kind'),
      dataIndex: 'kind',
      width: 110,
      render: (k: ChangeKind) => (
        <Tag color={KIND_COLORS[k].tag} data-testid="kind" data-kind={k}>
          {t(`diff.kind.${k}`)}
        </Tag>
      ),
      filters: KINDS.map((k) => ({ text: t(`diff.kind.${k}`), value: k })),
      onFilter: (value, r) => r.kind === value,
    },
    {
      title: t('diff.column.id'),
      dataIndex: 'id',
      render: (id: string) => <Typography.Text code>{id}</Typography.Text>,
    },
    { title: t('diff.column.name'), dataIndex: 'name' },
    { title: t('diff.column.type'), dataIndex: 'type' },
    {
      title: t('diff.column.attrs'),
      dataIndex: 'attrs',
      render: (_, r) =>
        r.attrs.length === 0 ? null : (
          <div>
            {r.attrs.map((a) => (
              <div key={a.name} className="lf-diff-attr" data-testid="attr" data-attr={a.name}>
                <Typography.Text strong>{a.name}</Typography.Text>:{' '}
                <Typography.Text delete={!!a.oldValue} type="secondary">
                  {a.oldValue || t('diff.empty')}
                </Typography.Text>{' '}
                → <Typography.Text>{a.newValue || t('diff.empty')}</Typography.Text>
              </div>
            ))}
          </div>
        ),
    },
  ];
  return (
    <Table<ChangeRow>
      data-testid="diff-changes"
      size="small"
      rowKey="key"
      columns={columns}
      dataSource={rows}
      pagination={rows.length > 50 ? { pageSize: 50 } : false}
      onRow={(r) =>
        ({
          ...testId(`diff-change-${r.id}`),
          'data-kind': r.kind,
          onClick: () => onPick(r.id),
          style: { cursor: 'pointer' },
        }) as HTMLAttributes<HTMLElement>
      }
      rowClassName={(r) => `lf-diff-row-${r.kind}`}
      locale={{ emptyText: t('diff.identical') }}
      scroll={{ x: 'max-content' }}
    />
  );
}

/** Two versions of a process side by side, their differences marked and listed. */
export default function ProcessDiff() {
  const { t, i18n } = useTranslation('processes');
  const { tenantId } = useSession();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const a = params.get('a') ?? '';
  const b = params.get('b') ?? '';
  const leftEl = useRef<HTMLDivElement>(null);
  const rightEl = useRef<HTMLDivElement>(null);
  const viewers = useRef<{ left: Viewer; right: Viewer } | null>(null);
  const [versions, setVersions] = useState<VersionStats[]>([]);
  const [defs, setDefs] = useState<{ a?: Definition; b?: Definition }>({});
  const [result, setResult] = useState<{ pair: string; rows: ChangeRow[] } | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);

  // The two viewers live as long as the page.
  useEffect(() => {
    if (!leftEl.current || !rightEl.current) return;
    const moddleExtensions = { zeebe: zeebeDescriptor, lf: lifeflowDescriptor };
    const left = new NavigatedViewer({ container: leftEl.current, moddleExtensions });
    const right = new NavigatedViewer({ container: rightEl.current, moddleExtensions });
    syncViewboxes(left, right);
    viewers.current = { left, right };
    return () => {
      viewers.current = null;
      left.destroy();
      right.destroy();
    };
  }, []);

  // The versions of the process of `a` (or `b`) for the pickers.
  useEffect(() => {
    let live = true;
    setError(null);
    const get = (key: string) =>
      key
        ? api.get<Definition>(`/v2/process-definitions/${encodeURIComponent(key)}`)
        : Promise.resolve(undefined);
    Promise.all([get(a), get(b)])
      .then(async ([da, db]) => {
        if (!live) return;
        setDefs({ a: da, b: db });
        const id = (da ?? db)?.processDefinitionId;
        const list = id ? await loadVersions(tenantId, id) : [];
        if (live) setVersions(list);
      })
      .catch((err) => live && setError(err));
    return () => {
      live = false;
    };
  }, [a, b, tenantId]);

  // Both diagrams, their differences on them and in the table.
  useEffect(() => {
    let live = true;
    setResult(null);
    if (!a || !b) return;
    setLoading(true);
    (async () => {
      const [xmlA, xmlB] = await Promise.all([loadXml(a), loadXml(b)]);
      const v = viewers.current;
      if (!live || !v) return;
      await Promise.all([v.left.importXML(xmlA), v.right.importXML(xmlB)]);
      if (!live) return;
      const changes = diffDefinitions(v.left.getDefinitions(), v.right.getDefinitions());
      for (const id of Object.keys(changes._removed)) mark(v.left, id, 'removed');
      for (const id of Object.keys(changes._added)) mark(v.right, id, 'added');
      for (const id of Object.keys(changes._changed)) {
        mark(v.left, id, 'changed');
        mark(v.right, id, 'changed');
      }
      for (const id of Object.keys(changes._layoutChanged)) {
        if (changes._changed[id]) continue;
        mark(v.left, id, 'layout');
        mark(v.right, id, 'layout');
      }
      fitBoth(v.left, v.right);
      setResult({ pair: `${a}|${b}`, rows: changeRows(changes) });
    })()
      .catch((err) => live && setError(err))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [a, b]);

  const options = useMemo(
    () =>
      versions.map((v) => ({
        value: v.processDefinitionKey,
        label: t('diff.versionLabel', {
          version: v.version,
          date: formatDateTime(v.deployedAt, i18n.language),
        }),
      })),
    [versions, t, i18n.language],
  );

  /** Shows an element of the table on the diagrams: selected where it exists, scrolled into view. */
  const focus = (id: string) => {
    const v = viewers.current;
    if (!v) return;
    let scrolled = false;
    for (const viewer of [v.right, v.left]) {
      const element = (viewer.get('elementRegistry') as any).get(id);
      (viewer.get('selection') as any).select(element ?? null);
      if (element && !scrolled) {
        (viewer.get('canvas') as any).scrollToElement(element);
        scrolled = true;
      }
    }
  };

  const pick = (side: 'a' | 'b', key: string) => {
    const next = new URLSearchParams(params);
    next.set(side, key);
    setParams(next);
  };

  // the changes of the pair in the address (not of the previous one while the next loads)
  const rows = result && result.pair === `${a}|${b}` ? result.rows : null;
  const counts = useMemo(() => {
    const c: Record<ChangeKind, number> = { added: 0, removed: 0, changed: 0, layout: 0 };
    for (const r of rows ?? []) c[r.kind]++;
    return c;
  }, [rows]);

  const process = defs.b ?? defs.a;
  const differentProcesses = defs.a && defs.b && defs.a.processDefinitionId !== defs.b.processDefinitionId;

  const side = (which: 'a' | 'b') => {
    const key = which === 'a' ? a : b;
    const def = which === 'a' ? defs.a : defs.b;
    return (
      <div className="lf-diff-side" data-testid={which === 'a' ? 'diff-left' : 'diff-right'}>
        <Space wrap>
          <Typography.Text strong>{t(which === 'a' ? 'diff.left' : 'diff.right')}</Typography.Text>
          <Select
            data-testid={which === 'a' ? 'diff-left-select' : 'diff-right-select'}
            style={{ minWidth: 260 }}
            placeholder={t('diff.pick')}
            value={key || undefined}
            options={
              key && def && !options.some((o) => o.value === key)
                ? [...options, { value: key, label: `v${def.version}` }]
                : options
            }
            onChange={(k: string) => pick(which, k)}
          />
        </Space>
        <div className="lf-diff-canvas" ref={which === 'a' ? leftEl : rightEl} data-testid="diff-canvas" />
      </div>
    );
  };

  return (
    <Card
      data-testid="diff"
      data-ready={rows !== null && !loading ? 'true' : 'false'}
      // which pair the marks and the table show (`<a>|<b>`), for tests waiting on a new pair
      data-diffed={rows !== null && !loading ? `${a}|${b}` : ''}
      title={
        <Space>
          <Button
            type="text"
            icon={<ArrowLeftOutlined />}
            aria-label={t('diff.back')}
            title={t('diff.back')}
            onClick={() => navigate('/processes')}
          />
          <span>{t('diff.title')}</span>
          {process && (
            <Typography.Text type="secondary">
              {process.name || process.processDefinitionId}{' '}
              <Typography.Text code>{process.processDefinitionId}</Typography.Text>
            </Typography.Text>
          )}
        </Space>
      }
      extra={<Legend />}
    >
      <Space orientation="vertical" style={{ width: '100%' }} size={12}>
        <ProblemAlert error={error} onClose={() => setError(null)} />
        {(!a || !b) && <Alert type="info" showIcon title={t('diff.missing')} data-testid="diff-missing" />}
        {differentProcesses && <Alert type="warning" showIcon title={t('diff.otherProcess')} />}
        <Spin spinning={loading}>
          <div className="lf-diff-canvases">
            {side('a')}
            {side('b')}
          </div>
        </Spin>
        {rows !== null && (
          <>
            <Typography.Title level={5} style={{ margin: 0 }}>
              {t('diff.changes')}{' '}
              <Typography.Text type="secondary" style={{ fontWeight: 'normal' }} data-testid="diff-summary">
                {t('diff.summary', {
                  added: counts.added,
                  removed: counts.removed,
                  changed: counts.changed,
                  layout: counts.layout,
                })}
              </Typography.Text>
            </Typography.Title>
            {rows.length === 0 ? (
              <Empty data-testid="diff-changes" description={t('diff.identical')} />
            ) : (
              <ChangesTable rows={rows} onPick={focus} />
            )}
          </>
        )}
      </Space>
    </Card>
  );
}
