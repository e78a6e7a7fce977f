import { registerTexts } from '../i18n/index.js';

registerTexts('notifications', {
  'zh-CN': {
    title: '通知',
    bell: '通知（{{count}} 条未读）',
    empty: '暂无通知',
    markAll: '全部已读',
    markRead: '标为已读',
    more: '加载更多',
    newTask: '新待办',
    newNotification: '新通知',
    open: '查看',
  },
  en: {
    title: 'Notifications',
    bell: 'Notifications ({{count}} unread)',
    empty: 'No notifications',
    markAll: 'Mark all read',
    markRead: 'Mark read',
    more: 'Load more',
    newTask: 'New task',
    newNotification: 'New notification',
    open: 'Open',
  },
});
