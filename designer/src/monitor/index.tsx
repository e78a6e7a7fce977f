import { Segmented, Spin } from 'antd';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import './texts.js';

// The instance page and the heatmap bring bpmn-js (and echarts): chunks of their own.
const InstanceList = lazy(() => import('./list.js'));
const InstancePage = lazy(() => import('./instance.js'));
const Heatmap = lazy(() => import('./heatmap.js'));
const Jobs = lazy(() => import('./jobs.js'));

const TABS = ['instances', 'processes', 'jobs'] as const;
const PATHS: Record<(typeof TABS)[number], string> = {
  instances: '/monitor',
  processes: '/monitor/processes',
  jobs: '/monitor/jobs',
};

/**
 * The administrators' monitor (运行监控): instances with search, one instance's diagram with its
 * tokens, variables, history, incidents and the repairs (cancel, retry, move a token), the
 * heatmap of a process, and the jobs and open incidents.
 */
export default function Monitor() {
  const { t } = useTranslation('monitor');
  const location = useLocation();
  const navigate = useNavigate();
  const current = location.pathname.startsWith('/monitor/processes')
    ? 'processes'
    : location.pathname.startsWith('/monitor/jobs')
      ? 'jobs'
      : 'instances';
  return (
    <div data-testid="monitor" className="lf-monitor">
      <Segmented
        data-testid="monitor-tabs"
        value={current}
        onChange={(v) => navigate(PATHS[v as (typeof TABS)[number]])}
        options={TABS.map((tab) => ({ value: tab, label: t(`tabs.${tab}`) }))}
        style={{ marginBottom: 12 }}
      />
      <Suspense fallback={<Spin />}>
        <Routes>
          <Route index element={<InstanceList />} />
          <Route path="instances/:key" element={<InstancePage />} />
          <Route path="processes" element={<Heatmap />} />
          <Route path="processes/:definitionKey" element={<Heatmap />} />
          <Route path="jobs" element={<Jobs />} />
          <Route path="*" element={<InstanceList />} />
        </Routes>
      </Suspense>
    </div>
  );
}
