import { App as AntApp, ConfigProvider, Result, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, type ReactNode, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { ErrorBoundary } from './error-boundary.js';
import { AppLayout } from './layout.js';
import { LoginPage } from './login-page.js';
import { type Area, SessionProvider, useSession } from './session.js';

// Each area is a chunk of its own: the modeler and the form editor are large and load on demand.
const Processes = lazy(() => import('../processes/index.js'));
const Modeler = lazy(() => import('../modeler/index.js'));
const FormEditor = lazy(() => import('../form-editor/index.js'));
const Rules = lazy(() => import('../rules/index.js'));
const Templates = lazy(() => import('../notification-templates/index.js'));
const Home = lazy(() => import('../home/index.js'));

function Loading() {
  const { t } = useTranslation();
  return (
    <div style={{ padding: 48, textAlign: 'center' }}>
      <Spin description={t('common.loading')} />
    </div>
  );
}

/** A page for the roles that may open it; the login first for those not signed in. */
function Guard({ area, children }: { area?: Area; children: ReactNode }) {
  const { me, loading, can } = useSession();
  const location = useLocation();
  const { t } = useTranslation();
  if (loading) return <Loading />;
  if (!me) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  const body =
    area && !can(area) ? <Result status="403" title="403" subTitle={t('error.forbidden')} /> : children;
  return (
    <AppLayout>
      <ErrorBoundary key={location.pathname}>
        <Suspense fallback={<Loading />}>{body}</Suspense>
      </ErrorBoundary>
    </AppLayout>
  );
}

function NotFound() {
  const { t } = useTranslation();
  return <Result status="404" title="404" subTitle={t('error.notFound')} />;
}

function Localized({ children }: { children: ReactNode }) {
  const { i18n } = useTranslation();
  return (
    <ConfigProvider locale={i18n.language === 'en' ? enUS : zhCN}>
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

export function App() {
  return (
    <Localized>
      <ErrorBoundary>
        <SessionProvider>
          <BrowserRouter>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route
                path="/"
                element={
                  <Guard>
                    <Home />
                  </Guard>
                }
              />
              <Route
                path="/workspace/*"
                element={
                  <Guard area="workspace">
                    <Home />
                  </Guard>
                }
              />
              <Route
                path="/processes"
                element={
                  <Guard area="designer">
                    <Processes />
                  </Guard>
                }
              />
              <Route
                path="/processes/*"
                element={
                  <Guard area="designer">
                    <Modeler />
                  </Guard>
                }
              />
              <Route
                path="/forms/*"
                element={
                  <Guard area="designer">
                    <FormEditor />
                  </Guard>
                }
              />
              <Route
                path="/rules/*"
                element={
                  <Guard area="designer">
                    <Rules />
                  </Guard>
                }
              />
              <Route
                path="/templates/*"
                element={
                  <Guard area="templates">
                    <Templates />
                  </Guard>
                }
              />
              <Route
                path="/monitor/*"
                element={
                  <Guard area="monitor">
                    <Home />
                  </Guard>
                }
              />
              <Route
                path="*"
                element={
                  <Guard>
                    <NotFound />
                  </Guard>
                }
              />
            </Routes>
          </BrowserRouter>
        </SessionProvider>
      </ErrorBoundary>
    </Localized>
  );
}
