import {
  AppstoreOutlined,
  BuildOutlined,
  LineChartOutlined,
  ApartmentOutlined,
  BellOutlined,
  DashboardOutlined,
  DownOutlined,
  FormOutlined,
  LogoutOutlined,
  NodeIndexOutlined,
  ProfileOutlined,
} from '@ant-design/icons';
import { Button, Dropdown, Layout, Menu, Space, Typography } from 'antd';
import { lazy, type ReactNode, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { type Language, LANGUAGES } from '../i18n/index.js';
import { type Area, useSession } from './session.js';

// The bell brings socket.io: its own chunk, so the login page does not wait for it.
const NotificationBell = lazy(() => import('../notifications/bell.js'));

const LANGUAGE_NAMES: Record<Language, string> = { 'zh-CN': '简体中文', en: 'English' };

/**
 * A small menu button (the header's language and tenant switchers): a Dropdown over the Menu the
 * frame already has, where a Select would bring its own virtual list into every page.
 */
function Switcher<T extends string>(props: {
  testId: string;
  label: string;
  value: T | undefined;
  options: Array<{ value: T; label: string }>;
  onChange(value: T): void;
}) {
  const current = props.options.find((o) => o.value === props.value);
  return (
    <Dropdown
      trigger={['click']}
      menu={{
        selectable: true,
        selectedKeys: props.value ? [props.value] : [],
        items: props.options.map((o) => ({ key: o.value, label: o.label })),
        onClick: ({ key }) => props.onChange(key as T),
      }}
    >
      <Button size="small" data-testid={props.testId} aria-label={props.label}>
        <Space size={4}>
          {current?.label ?? props.value}
          <DownOutlined />
        </Space>
      </Button>
    </Dropdown>
  );
}

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const { setLanguage } = useSession();
  return (
    <Switcher<Language>
      testId="language"
      label={t('language')}
      value={i18n.language as Language}
      onChange={(v) => void setLanguage(v)}
      options={LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_NAMES[l] }))}
    />
  );
}

function TenantSwitch() {
  const { t } = useTranslation();
  const { me, tenantId, setTenant } = useSession();
  if (!me || me.tenants.length < 2) return null;
  return (
    <Space size={4}>
      <Typography.Text style={{ color: '#fff' }}>{t('tenant')}</Typography.Text>
      <Switcher
        testId="tenant"
        label={t('tenant')}
        value={tenantId}
        onChange={setTenant}
        options={me.tenants.map((x) => ({ value: x.tenantId, label: x.name ?? x.tenantId }))}
      />
    </Space>
  );
}

interface NavItem {
  key: string;
  area: Area;
  icon: ReactNode;
  label: string;
}

/** The frame of every page after login: navigation by role, tenant and language, sign-out. */
export function AppLayout({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const { me, can, logout } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const items: NavItem[] = [
    { key: '/workspace', area: 'workspace', icon: <ProfileOutlined />, label: t('nav.workspace') },
    { key: '/processes', area: 'designer', icon: <NodeIndexOutlined />, label: t('nav.processes') },
    { key: '/forms', area: 'designer', icon: <FormOutlined />, label: t('nav.forms') },
    { key: '/rules', area: 'designer', icon: <ApartmentOutlined />, label: t('nav.rules') },
    { key: '/modules', area: 'designer', icon: <AppstoreOutlined />, label: t('nav.modules') },
    { key: '/templates', area: 'templates', icon: <BellOutlined />, label: t('nav.templates') },
    { key: '/monitor', area: 'monitor', icon: <DashboardOutlined />, label: t('nav.monitor') },
    { key: '/dashboards', area: 'dashboards', icon: <LineChartOutlined />, label: t('nav.dashboards') },
    { key: '/ledger', area: 'assets', icon: <BuildOutlined />, label: t('nav.assets') },
  ];
  const visible = items.filter((i) => can(i.area));
  const selected = visible.find((i) => location.pathname.startsWith(i.key))?.key;
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header className="lf-header">
        <Link to="/" className="lf-brand">
          Lifeflow
        </Link>
        <Menu
          theme="dark"
          mode="horizontal"
          data-testid="nav"
          selectedKeys={selected ? [selected] : []}
          style={{ flex: 1, minWidth: 0 }}
          items={visible.map((i) => ({ key: i.key, icon: i.icon, label: <Link to={i.key}>{i.label}</Link> }))}
        />
        <Space size="middle">
          <TenantSwitch />
          {can('workspace') && (
            <Suspense fallback={null}>
              <NotificationBell />
            </Suspense>
          )}
          <LanguageSwitch />
          <Typography.Text style={{ color: '#fff' }} data-testid="me">
            {me?.displayName || me?.username}
          </Typography.Text>
          <Button
            type="text"
            data-testid="logout"
            style={{ color: '#fff' }}
            icon={<LogoutOutlined />}
            onClick={() => void logout().then(() => navigate('/login'))}
          >
            {t('logout')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout.Content className="lf-content">{children}</Layout.Content>
    </Layout>
  );
}
