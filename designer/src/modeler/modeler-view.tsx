import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import 'bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css';
import './modeler.css';
import {
  CloudUploadOutlined,
  DownloadOutlined,
  ExpandOutlined,
  FolderOpenOutlined,
  RedoOutlined,
  SafetyCertificateOutlined,
  UndoOutlined,
} from '@ant-design/icons';
import { Alert, App, Button, Space, Tag, Tooltip, Typography } from 'antd';
import BpmnModeler from 'bpmn-js/lib/Modeler';
import lintModule from 'bpmn-js-bpmnlint';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  ZeebePropertiesProviderModule,
} from 'bpmn-js-properties-panel';
import ZeebeBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-cloud';
import { type PointerEvent as ReactPointerEvent, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import zeebeModdle from 'zeebe-bpmn-moddle/resources/zeebe.json';
import lifeflowModdle from '../../../engine/model/lifeflow-moddle.json';
import { ApiError, api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { OpenFileButton, saveTextFile } from '../app/files.js';
import { useSession } from '../app/session.js';
import LifeflowPropertiesProviderModule from './lifeflow-properties/index.js';
import { lintConfig } from './lint-config.js';
import { translateModule } from './translate.js';
import './texts.js';

/** What the server said of one element (or of the file) when it refused a deployment. */
interface DeployProblem {
  field: string;
  reason: string;
  elementId?: string;
  /** The element is drawn: marked on the canvas and listed (else the message shows above). */
  placed?: boolean;
}

export interface DefinitionInfo {
  processDefinitionKey: string;
  processDefinitionId: string;
  name?: string;
  version: number;
  tenantId?: string;
}

interface ProcessRef {
  id: string;
  name?: string;
}

const DEPLOY_MARKER = 'lf-deploy-error';

/** The process a deployment is named after: the executable one, else the first. */
function mainProcess(modeler: any): ProcessRef | undefined {
  const definitions = modeler.getDefinitions?.();
  const roots: any[] = definitions?.rootElements ?? [];
  const processes = roots.filter((r) => r.$type === 'bpmn:Process');
  const p = processes.find((x) => x.isExecutable) ?? processes[0];
  return p ? { id: p.id, name: p.name } : undefined;
}

/** Whether an element id names something drawn on the canvas (a shape or connection, not the root). */
function placeable(modeler: any, elementId: string | undefined): boolean {
  if (!elementId) return false;
  const element = modeler.get('elementRegistry').get(elementId);
  if (!element || element === modeler.get('canvas').getRootElement()) return false;
  return Array.isArray(element.waypoints) || typeof element.x === 'number';
}

/** The whole diagram in view with a margin (the palette sits on its left), never enlarged. */
function fitDiagram(modeler: any) {
  const canvas = modeler.get('canvas');
  canvas.resized();
  canvas.zoom('fit-viewport', 'auto');
  canvas.zoom(Math.min(1, canvas.zoom() * 0.92), 'auto');
}

/** Under a shape; on a connection, next to the middle of its longest segment. */
function overlayPosition(element: any): { left: number; top?: number; bottom?: number } {
  const points: Array<{ x: number; y: number }> | undefined = element?.waypoints;
  if (!points || points.length < 2) return { bottom: -6, left: 0 };
  let best = { x: points[0].x, y: points[0].y, length: -1 };
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const length = Math.hypot(b.x - a.x, b.y - a.y);
    if (length > best.length) best = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, length };
  }
  const minX = Math.min(...points.map((p) => p.x));
  const minY = Math.min(...points.map((p) => p.y));
  return { left: best.x - minX + 6, top: best.y - minY + 6 };
}

/**
 * Browser tests open the modeler with `?lf-test`: then (for the rest of the tab's session) the
 * modeler is reachable as window.__lfModeler. Nothing else is exposed.
 */
function exposedForTests(): boolean {
  try {
    if (new URLSearchParams(location.search).has('lf-test')) sessionStorage.setItem('lf-test', '1');
    return sessionStorage.getItem('lf-test') === '1';
  } catch {
    return false;
  }
}

const PANEL_WIDTH_KEY = 'lifeflow.modeler.panelWidth';
const clampWidth = (w: number) => Math.round(Math.min(720, Math.max(240, w)));

function initialPanelWidth(): number {
  const stored = Number(globalThis.localStorage?.getItem(PANEL_WIDTH_KEY));
  return Number.isFinite(stored) && stored > 0 ? clampWidth(stored) : 340;
}

/** The handle between canvas and properties panel: drag (or arrow keys) to resize the panel. */
function PanelResizer({
  width,
  onResize,
  label,
}: {
  width: number;
  onResize: (w: number) => void;
  label: string;
}) {
  const set = (w: number) => {
    const next = clampWidth(w);
    onResize(next);
    globalThis.localStorage?.setItem(PANEL_WIDTH_KEY, String(next));
  };
  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    const startX = e.clientX;
    const startWidth = width;
    const move = (ev: PointerEvent) => set(startWidth + startX - ev.clientX);
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  return (
    // biome-ignore lint/a11y/useSemanticElements: a vertical splitter, not a horizontal rule
    <div
      className="lf-modeler-resizer"
      role="separator"
      aria-orientation="vertical"
      aria-label={label}
      aria-valuenow={width}
      aria-valuemin={240}
      aria-valuemax={720}
      tabIndex={0}
      data-testid="modeler-panel-resizer"
      onPointerDown={onPointerDown}
      onKeyDown={(e) => {
        if (e.key === 'ArrowLeft') set(width + 20);
        else if (e.key === 'ArrowRight') set(width - 20);
      }}
    />
  );
}

/**
 * The BPMN modeler: bpmn-js with the Camunda 8 (zeebe) properties panel plus Lifeflow's own
 * groups, live lint matching the server, deploy with the server's refusals shown on the elements,
 * export and open file. Recreated on a language switch, keeping the current diagram.
 */
export function ModelerView({
  xml,
  fileName,
  definition,
}: {
  xml: string;
  fileName?: string;
  definition?: DefinitionInfo;
}) {
  const { t, i18n } = useTranslation('modeler');
  const { t: ts } = useTranslation('shell');
  const language = i18n.language;
  const { tenantId } = useSession();
  // the panel's form, rule-set and calendar lists follow the tenant chosen in the frame
  const tenantRef = useRef(tenantId);
  tenantRef.current = tenantId;
  const { message } = App.useApp();
  const navigate = useNavigate();

  const canvasRef = useRef<HTMLDivElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const modelerRef = useRef<any>(null);
  /** The diagram as last saved (kept for recreating the modeler in another language). */
  const xmlRef = useRef(xml);
  const lintActiveRef = useRef(true);
  const problemsRef = useRef<DeployProblem[]>([]);
  /** Where the canvas looked before the modeler was recreated (in another language). */
  const viewRef = useRef<{ x: number; y: number; width: number; height: number }>(undefined);
  const fitPendingRef = useRef(false);
  /** The modeler that shows a diagram (its import succeeded). */
  const shownRef = useRef<any>(null);

  const [importError, setImportError] = useState<string>();
  const [importWarnings, setImportWarnings] = useState<string[]>([]);
  /** Counts finished imports (data-imports on the root: tests wait for the next one). */
  const [imports, setImports] = useState(0);
  const [openedName, setOpenedName] = useState(fileName);
  const [lint, setLint] = useState({ active: true, errors: 0, warnings: 0 });
  const [processRef, setProcessRef] = useState<ProcessRef>();
  const [problems, setProblems] = useState<DeployProblem[]>([]);
  const [deployError, setDeployError] = useState<unknown>();
  const [deploying, setDeploying] = useState(false);
  const [panelWidth, setPanelWidth] = useState(initialPanelWidth);

  /** Marks the elements the server named and writes its reason next to them (as text). */
  const applyProblems = useCallback((list: DeployProblem[]) => {
    const modeler = modelerRef.current;
    if (!modeler) return;
    const canvas = modeler.get('canvas');
    const overlays = modeler.get('overlays');
    const registry = modeler.get('elementRegistry');
    overlays.remove({ type: DEPLOY_MARKER });
    for (const el of registry.getAll())
      if (canvas.hasMarker(el, DEPLOY_MARKER)) canvas.removeMarker(el, DEPLOY_MARKER);
    for (const p of list) {
      if (!placeable(modeler, p.elementId)) continue;
      canvas.addMarker(p.elementId, DEPLOY_MARKER);
      const note = document.createElement('div');
      note.className = 'lf-deploy-error-overlay';
      note.textContent = p.reason;
      overlays.add(p.elementId, DEPLOY_MARKER, {
        position: overlayPosition(registry.get(p.elementId)),
        html: note,
      });
    }
  }, []);

  const setDeployProblems = useCallback(
    (list: DeployProblem[]) => {
      problemsRef.current = list;
      setProblems(list);
      applyProblems(list);
    },
    [applyProblems],
  );

  const snapshot = useCallback(async () => {
    const modeler = modelerRef.current;
    if (!modeler) return;
    setProcessRef(mainProcess(modeler));
    try {
      const { xml: current } = await modeler.saveXML({ format: true });
      if (modeler === modelerRef.current) xmlRef.current = current;
    } catch {
      // nothing to save (the import failed): keep what was opened
    }
  }, []);

  /** Imports a diagram; import warnings and errors are shown, never a blank page. */
  const open = useCallback(
    async (text: string, view?: { x: number; y: number; width: number; height: number }) => {
      const modeler = modelerRef.current;
      if (!modeler) return;
      xmlRef.current = text;
      try {
        const result = await modeler.importXML(text);
        if (modeler !== modelerRef.current) return;
        setImportError(undefined);
        setImportWarnings((result.warnings ?? []).map((w: any) => String(w?.message ?? w)));
        if (view) modeler.get('canvas').viewbox(view);
        else {
          fitDiagram(modeler);
          fitPendingRef.current = true; // again once the import's messages took their place
        }
        shownRef.current = modeler;
        setProcessRef(mainProcess(modeler));
        applyProblems(problemsRef.current);
      } catch (err: any) {
        if (modeler !== modelerRef.current) return;
        setImportError(String(err?.message ?? err));
        setImportWarnings((err?.warnings ?? []).map((w: any) => String(w?.message ?? w)));
        setProcessRef(undefined);
        shownRef.current = null;
        viewRef.current = undefined;
      }
      setImports((n) => n + 1);
    },
    [applyProblems],
  );

  // The modeler, (re)created for the current language with the current diagram.
  // biome-ignore lint/correctness/useExhaustiveDependencies: recreated on a language change only
  useEffect(() => {
    const modeler = new BpmnModeler({
      container: canvasRef.current!,
      propertiesPanel: { parent: panelRef.current! },
      linting: { bpmnlint: lintConfig, active: lintActiveRef.current },
      additionalModules: [
        BpmnPropertiesPanelModule,
        BpmnPropertiesProviderModule,
        ZeebePropertiesProviderModule,
        ZeebeBehaviorsModule,
        LifeflowPropertiesProviderModule,
        lintModule,
        translateModule(language),
      ],
      moddleExtensions: { zeebe: zeebeModdle, lf: lifeflowModdle },
      lifeflowProperties: { tenantId: () => tenantRef.current },
    } as any);
    modelerRef.current = modeler;
    if (exposedForTests()) (window as any).__lfModeler = modeler;
    modeler.on('linting.completed', ({ issues }: { issues: Record<string, Array<{ category: string }>> }) => {
      let errors = 0;
      let warnings = 0;
      for (const list of Object.values(issues ?? {}))
        for (const issue of list) {
          if (issue.category === 'error') errors++;
          else if (issue.category === 'warn') warnings++;
        }
      setLint({ active: true, errors, warnings });
    });
    modeler.on('linting.toggle', ({ active }: { active: boolean }) => {
      lintActiveRef.current = active;
      setLint((l) => ({ ...l, active }));
    });
    modeler.on('commandStack.changed', () => void snapshot());
    void open(xmlRef.current, viewRef.current);
    // the canvas follows its container's size (window, messages above it)
    const resize = new ResizeObserver(() => modeler.get<any>('canvas').resized());
    resize.observe(canvasRef.current!);
    return () => {
      resize.disconnect();
      if (shownRef.current === modeler) {
        const { x, y, width, height } = modeler.get<any>('canvas').viewbox();
        viewRef.current = { x, y, width, height };
      }
      modelerRef.current = null;
      modeler.destroy();
    };
  }, [language]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after each import was rendered
  useEffect(() => {
    if (!fitPendingRef.current || !modelerRef.current) return;
    fitPendingRef.current = false;
    fitDiagram(modelerRef.current);
  }, [imports]);

  const onOpenFile = async (file: File) => {
    let text: string;
    try {
      text = await file.text();
    } catch {
      setImportError(t('fileRead'));
      return;
    }
    setOpenedName(file.name);
    setDeployError(undefined);
    setDeployProblems([]);
    await open(text);
  };

  const onExport = async () => {
    const modeler = modelerRef.current;
    if (!modeler) return;
    const { xml: text } = await modeler.saveXML({ format: true });
    saveTextFile(`${mainProcess(modeler)?.id ?? 'diagram'}.bpmn`, text, 'application/xml');
  };

  const onDeploy = async () => {
    const modeler = modelerRef.current;
    if (!modeler) return;
    setDeploying(true);
    setDeployError(undefined);
    setDeployProblems([]);
    try {
      const { xml: text } = await modeler.saveXML({ format: true });
      const resourceName = `${mainProcess(modeler)?.id ?? 'diagram'}.bpmn`;
      const form = new FormData();
      form.append('resources', new Blob([text], { type: 'application/xml' }), resourceName);
      if (tenantId) form.append('tenantId', tenantId);
      const res = await api.post<any>('/v2/deployments', form);
      const deployed = (res?.deployments ?? []).find((d: any) => d.processDefinition)?.processDefinition;
      if (!deployed) {
        setDeployError(new ApiError(0, 'ERROR', t('deployFailed')));
        return;
      }
      message.success(
        t('deployed', {
          id: deployed.processDefinitionId,
          version: deployed.processDefinitionVersion ?? deployed.version,
        }),
      );
      navigate(`/processes/${deployed.processDefinitionKey}`);
    } catch (err) {
      if (err instanceof ApiError && err.errors.length > 0) {
        const list: DeployProblem[] = err.errors.map((f) => {
          const hash = f.field.indexOf('#');
          const elementId = hash >= 0 ? f.field.slice(hash + 1) : undefined;
          return { field: f.field, reason: f.reason, elementId, placed: placeable(modeler, elementId) };
        });
        setDeployProblems(list);
        const unplaced = list.filter((p) => !placeable(modeler, p.elementId));
        setDeployError(
          new ApiError(
            err.status,
            err.title,
            err.detail,
            unplaced.map((p) => ({ field: p.field, reason: p.reason })),
          ),
        );
      } else setDeployError(err);
    } finally {
      setDeploying(false);
    }
  };

  const focusElement = (elementId: string) => {
    const modeler = modelerRef.current;
    const element = modeler?.get('elementRegistry').get(elementId);
    if (!element) return;
    modeler.get('selection').select(element);
    if (element.waypoints || element.x !== undefined) modeler.get('canvas').scrollToElement(element);
  };

  const command = (name: 'undo' | 'redo') => modelerRef.current?.get('commandStack')[name]();
  const fitView = () => modelerRef.current && fitDiagram(modelerRef.current);
  const toggleLint = () => modelerRef.current?.get('linting').toggle();

  const processId = processRef?.id ?? definition?.processDefinitionId;
  const processName = processRef ? processRef.name : definition?.name;
  const placed = problems.filter((p) => p.placed);

  return (
    <div className="lf-modeler" data-testid="modeler" data-imports={imports}>
      <div className="lf-modeler-toolbar">
        <div className="lf-modeler-title">
          <Typography.Text strong data-testid="modeler-process-name" ellipsis>
            {processName || (definition || openedName ? t('unnamed') : t('newProcess'))}
          </Typography.Text>
          {processId && (
            <Typography.Text type="secondary" data-testid="modeler-process-id" copyable={{ text: processId }}>
              {processId}
            </Typography.Text>
          )}
          {definition && (
            <Tag color="blue" data-testid="modeler-version">
              {t('version', { version: definition.version })}
            </Tag>
          )}
          {openedName && !definition && (
            <Typography.Text type="secondary" ellipsis data-testid="modeler-file-name">
              {openedName}
            </Typography.Text>
          )}
        </div>
        <Space wrap size={4}>
          <Tooltip title={t('undo')}>
            <Button icon={<UndoOutlined />} aria-label={t('undo')} onClick={() => command('undo')} />
          </Tooltip>
          <Tooltip title={t('redo')}>
            <Button icon={<RedoOutlined />} aria-label={t('redo')} onClick={() => command('redo')} />
          </Tooltip>
          <Tooltip title={t('fit')}>
            <Button icon={<ExpandOutlined />} aria-label={t('fit')} onClick={fitView} />
          </Tooltip>
          <Tooltip title={t('lintToggle')}>
            <Button
              icon={<SafetyCertificateOutlined />}
              data-testid="modeler-lint"
              danger={lint.active && lint.errors > 0}
              onClick={toggleLint}
            >
              {!lint.active
                ? t('lintOff')
                : lint.errors + lint.warnings === 0
                  ? t('lintOk')
                  : t('lintCount', { errors: lint.errors, warnings: lint.warnings })}
            </Button>
          </Tooltip>
          <OpenFileButton
            accept=".bpmn,.xml,application/xml,text/xml"
            testId="modeler-open-file"
            icon={<FolderOpenOutlined />}
            onFile={(file) => void onOpenFile(file)}
          >
            {t('openFile')}
          </OpenFileButton>
          <Button icon={<DownloadOutlined />} data-testid="modeler-export" onClick={() => void onExport()}>
            {ts('common.export')}
          </Button>
          <Button
            type="primary"
            icon={<CloudUploadOutlined />}
            data-testid="modeler-deploy"
            loading={deploying}
            disabled={!!importError}
            onClick={() => void onDeploy()}
          >
            {ts('common.deploy')}
          </Button>
        </Space>
      </div>
      {(importError || importWarnings.length > 0 || !!deployError) && (
        <div className="lf-modeler-messages">
          {importError && (
            <Alert
              type="error"
              showIcon
              data-testid="modeler-import-error"
              title={t('importFailed')}
              description={importError}
            />
          )}
          {importWarnings.length > 0 && (
            <Alert
              type="warning"
              showIcon
              closable
              data-testid="modeler-import-warnings"
              title={t('importWarnings', { count: importWarnings.length })}
              description={
                <ul className="lf-modeler-warnings">
                  {importWarnings.slice(0, 100).map((w, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: warnings may repeat
                    <li key={i}>{w}</li>
                  ))}
                </ul>
              }
            />
          )}
          {!!deployError && <ProblemAlert error={deployError} onClose={() => setDeployError(undefined)} />}
        </div>
      )}
      <div className="lf-modeler-body">
        <div className="lf-modeler-canvas" ref={canvasRef} data-testid="modeler-canvas" />
        <PanelResizer width={panelWidth} onResize={setPanelWidth} label={t('resizePanel')} />
        <div
          className="lf-modeler-panel"
          ref={panelRef}
          data-testid="modeler-panel"
          style={{ width: panelWidth }}
        />
      </div>
      {placed.length > 0 && (
        <div className="lf-modeler-problems">
          <Typography.Text type="danger" strong>
            {t('problemsCount', { count: placed.length })}
          </Typography.Text>
          <ul data-testid="modeler-problems" style={{ margin: 0, paddingInlineStart: 18 }}>
            {placed.map((p) => (
              <li key={`${p.field}:${p.reason}`} data-element-id={p.elementId}>
                <button
                  type="button"
                  onClick={() => focusElement(p.elementId!)}
                  style={{ all: 'unset', cursor: 'pointer' }}
                >
                  <code>{p.elementId}</code> {p.reason}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
