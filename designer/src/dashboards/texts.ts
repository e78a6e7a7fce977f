import { registerTexts } from '../i18n/index.js';

const zh = {
  title: '看板',
  intro: '来自已启用模块的看板；每张图的数据可导出为 CSV 或 Excel。',
  range: '时间范围',
  csv: 'CSV',
  excel: 'Excel',
  empty: '没有已启用模块的看板',
  noData: '该时间范围内没有数据',
  target: '目标',
};
const en: typeof zh = {
  title: 'Dashboards',
  intro: 'Dashboards of the enabled modules; each chart’s data can be exported as CSV or Excel.',
  range: 'Range',
  csv: 'CSV',
  excel: 'Excel',
  empty: 'No dashboards: enable a module first',
  noData: 'No data in this range',
  target: 'target',
};
registerTexts('dashboards', { 'zh-CN': zh, en });
