import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { Alert } from 'antd';
import { useEffect, useRef, useState } from 'react';

const STYLE = `
.lf-monitor-diagram .djs-container { background: #fff; }
.lf-monitor-diagram .lf-completed .djs-visual > :nth-child(1) { stroke: #52c41a !important; fill: #f6ffed !important; }
.lf-monitor-diagram .lf-completed-flow .djs-visual > path { stroke: #52c41a !important; }
.lf-monitor-diagram .lf-active .djs-visual > :nth-child(1) { stroke: #1677ff !important; stroke-width: 3px !important; fill: #e6f4ff !important; }
.lf-monitor-diagram .lf-incident .djs-visual > :nth-child(1) { stroke: #ff4d4f !important; stroke-width: 3px !important; }
.lf-monitor-diagram .lf-badge { min-width: 20px; height: 20px; padding: 0 6px; border-radius: 10px; color: #fff;
  font: 12px/20px sans-serif; text-align: center; box-shadow: 0 0 0 1px #fff; white-space: nowrap; }
.lf-monitor-diagram .lf-badge-active { background: #1677ff; }
.lf-monitor-diagram .lf-badge-incident { background: #ff4d4f; }
.lf-monitor-diagram .lf-heat { border-radius: 10px; pointer-events: none; mix-blend-mode: multiply; }
.lf-monitor-diagram .lf-heat-round { border-radius: 50%; }
.lf-monitor-diagram .lf-heat-label { background: rgba(255,255,255,0.92); border: 1px solid #d9d9d9; border-radius: 4px;
  padding: 1px 4px; font: 11px/14px sans-serif; color: #333; white-space: nowrap; text-align: left; }
`;

/** A flow node of the diagram (for pickers such as the target of a modification). */
export interface FlowNode {
  id: string;
  name: string;
  type: string;
}

export interface DiagramOverlay {
  elementId: string;
  position?: { top?: number; left?: number; right?: number; bottom?: number };
  /** Placed under the shape (under an event's name label), instead of at `position`. */
  below?: boolean;
  /** HTML of the overlay. */
  html?: string;
  /** A background colour laid over the whole shape (a heatmap cell) instead of `html`. */
  cover?: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
export { escapeHtml };

/**
 * A process diagram (bpmn-js NavigatedViewer, read only) with markers (CSS classes per element:
 * `lf-active`, `lf-completed`, `lf-incident`; flows between completed elements get
 * `lf-completed-flow`) and HTML overlays. `data-ready` is set once drawn.
 */
export function MonitorDiagram({
  xml,
  markers = {},
  overlays = [],
  onNodes,
  height = 360,
  testId = 'monitor-diagram',
  data = {},
}: {
  xml: string;
  markers?: Record<string, string[]>;
  overlays?: DiagramOverlay[];
  onNodes?: (nodes: FlowNode[]) => void;
  height?: number;
  testId?: string;
  data?: Record<string, string>;
}) {
  const container = useRef<HTMLDivElement>(null);
  const viewerRef = useRef<any>(null);
  const [error, setError] = useState<string>();
  const [ready, setReady] = useState(false);
  const onNodesRef = useRef(onNodes);
  onNodesRef.current = onNodes;

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const viewer = new NavigatedViewer({ container: el });
    viewerRef.current = viewer;
    let live = true;
    setReady(false);
    viewer
      .importXML(xml)
      .then(() => {
        if (!live) return;
        const canvas: any = viewer.get('canvas');
        const registry: any = viewer.get('elementRegistry');
        canvas.zoom('fit-viewport', 'auto');
        const nodes: FlowNode[] = registry
          .getAll()
          .filter((e: any) => e.businessObject?.$instanceOf?.('bpmn:FlowNode') && e.type !== 'label')
          .map((e: any) => ({ id: e.id, name: e.businessObject.name ?? '', type: e.type }));
        onNodesRef.current?.(nodes);
        setReady(true);
      })
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
      viewerRef.current = null;
      viewer.destroy();
    };
  }, [xml]);

  const markerKey = JSON.stringify(markers);
  const overlayKey = JSON.stringify(overlays.map((o) => [o.elementId, o.position, o.html, o.cover]));
  // biome-ignore lint/correctness/useExhaustiveDependencies: redraw when the markers or overlays change (by content)
  useEffect(() => {
    const viewer = viewerRef.current;
    if (!ready || !viewer) return;
    const canvas: any = viewer.get('canvas');
    const registry: any = viewer.get('elementRegistry');
    const overlayService: any = viewer.get('overlays');
    const added: Array<[string, string]> = [];
    const completed = new Set<string>();
    for (const [id, classes] of Object.entries(markers)) {
      if (!registry.get(id)) continue;
      for (const c of classes) {
        canvas.addMarker(id, c);
        added.push([id, c]);
        if (c === 'lf-completed') completed.add(id);
      }
    }
    for (const e of registry.getAll()) {
      const bo = e.businessObject;
      if (bo?.$type === 'bpmn:SequenceFlow' && completed.has(bo.sourceRef?.id)) {
        const to = bo.targetRef?.id;
        if (completed.has(to) || markers[to]?.includes('lf-active')) {
          canvas.addMarker(e.id, 'lf-completed-flow');
          added.push([e.id, 'lf-completed-flow']);
        }
      }
    }
    for (const o of overlays) {
      const shape = registry.get(o.elementId);
      if (!shape) continue;
      const round = /(Event|Gateway)$/.test(shape.type);
      overlayService.add(o.elementId, 'lf', {
        position: o.below
          ? { top: shape.height + (round ? 22 : 4), left: 0 }
          : (o.position ?? { top: 0, left: 0 }),
        html: o.cover
          ? `<div class="lf-heat${/Event$/.test(shape.type) ? ' lf-heat-round' : ''}" style="width:${shape.width}px;height:${shape.height}px;background:${o.cover}"></div>`
          : (o.html ?? ''),
      });
    }
    return () => {
      for (const [id, c] of added) canvas.removeMarker(id, c);
      overlayService.remove({ type: 'lf' });
    };
  }, [ready, markerKey, overlayKey]);

  const dataAttrs = Object.fromEntries(Object.entries(data).map(([k, v]) => [`data-${k}`, v]));
  return (
    <div
      className="lf-monitor-diagram"
      data-testid={testId}
      data-ready={ready ? 'true' : undefined}
      {...dataAttrs}
    >
      <style>{STYLE}</style>
      {error ? <Alert type="error" showIcon title={error} /> : null}
      <div ref={container} style={{ height, border: '1px solid #f0f0f0', borderRadius: 6 }} />
    </div>
  );
}
