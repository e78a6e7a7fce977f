import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { Alert, Space, Tag } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

const STYLE = `
.lf-task-diagram .djs-container { background: #fff; }
.lf-task-diagram .lf-done .djs-visual > :nth-child(1) { stroke: #52c41a !important; fill: #f6ffed !important; }
.lf-task-diagram .lf-done-flow .djs-visual > path { stroke: #52c41a !important; }
.lf-task-diagram .lf-current .djs-visual > :nth-child(1) { stroke: #1677ff !important; stroke-width: 3px !important; fill: #e6f4ff !important; }
`;

/**
 * The process diagram (bpmn-js NavigatedViewer, read only) with the current element and the path
 * taken marked (`lf-current`, `lf-done`); `data-current` / `data-done` name them for tests.
 */
export function TaskDiagram({ xml, current, done }: { xml: string; current: string; done: string[] }) {
  const { t } = useTranslation('inbox');
  const container = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string>();
  const [ready, setReady] = useState(false);
  const doneKey = done.join(',');

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const viewer = new NavigatedViewer({ container: el });
    let live = true;
    setReady(false);
    viewer
      .importXML(xml)
      .then(() => {
        if (!live) return;
        const canvas: any = viewer.get('canvas');
        const registry: any = viewer.get('elementRegistry');
        canvas.zoom('fit-viewport', 'auto');
        const doneSet = new Set(doneKey ? doneKey.split(',') : []);
        for (const id of doneSet) if (id !== current && registry.get(id)) canvas.addMarker(id, 'lf-done');
        // A flow is taken when both its ends were reached.
        for (const e of registry.getAll()) {
          const bo = e.businessObject;
          if (bo?.$type === 'bpmn:SequenceFlow') {
            const from = bo.sourceRef?.id;
            const to = bo.targetRef?.id;
            if (doneSet.has(from) && (doneSet.has(to) || to === current))
              canvas.addMarker(e.id, 'lf-done-flow');
          }
        }
        if (registry.get(current)) canvas.addMarker(current, 'lf-current');
        setReady(true);
      })
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
      viewer.destroy();
    };
  }, [xml, current, doneKey]);

  return (
    <div
      className="lf-task-diagram"
      data-testid="task-diagram"
      data-current={ready ? current : undefined}
      data-done={ready ? doneKey : undefined}
    >
      <style>{STYLE}</style>
      {error ? <Alert type="error" showIcon title={error} /> : null}
      <div ref={container} style={{ height: 280, border: '1px solid #f0f0f0', borderRadius: 6 }} />
      <Space size={4} style={{ marginTop: 4 }}>
        <Tag color="blue">{t('legend.current')}</Tag>
        <Tag color="green">{t('legend.done')}</Tag>
      </Space>
    </div>
  );
}
