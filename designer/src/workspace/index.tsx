import { Segmented } from 'antd';
import { lazy } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { registerTexts } from '../i18n/index.js';

// Each part of the workspace is a chunk of its own: the inbox opens first and alone.
const Inbox = lazy(() => import('./inbox/index.js'));
const Start = lazy(() => import('./start/index.js'));
const Requests = lazy(() => import('./requests/index.js'));

registerTexts('workspace', {
  'zh-CN': { tabs: { inbox: '待办', start: '发起', requests: '我的申请' } },
  en: { tabs: { inbox: 'Inbox', start: 'Start', requests: 'My requests' } },
});

const TABS = ['inbox', 'start', 'requests'] as const;

/**
 * The workspace of field staff and approvers (工作台): the inbox and its task pages, the
 * catalogue of processes to start, and the requests of the user. Fits a 390 px phone.
 */
export default function Workspace() {
  const { t } = useTranslation('workspace');
  const location = useLocation();
  const navigate = useNavigate();
  const current = TABS.find((tab) => location.pathname.startsWith(`/workspace/${tab}`)) ?? 'inbox';
  return (
    <div data-testid="workspace" className="lf-workspace">
      <Segmented
        block
        data-testid="workspace-tabs"
        value={current}
        onChange={(v) => navigate(`/workspace/${v}`)}
        options={TABS.map((tab) => ({ value: tab, label: t(`tabs.${tab}`) }))}
        style={{ marginBottom: 12, maxWidth: 480 }}
      />
      <Routes>
        <Route index element={<Navigate to="inbox" replace />} />
        <Route path="inbox/*" element={<Inbox />} />
        <Route path="start/*" element={<Start />} />
        <Route path="requests/*" element={<Requests />} />
      </Routes>
    </div>
  );
}
