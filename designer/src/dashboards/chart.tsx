import { useEffect } from 'react';
import { useEChart } from '../app/echart.js';

export interface Column {
  key: string;
  label: { 'zh-CN': string; en: string };
  type: 'text' | 'number';
}
export type Row = Record<string, string | number | null>;

const COLORS = ['#1677ff', '#52c41a', '#fa8c16', '#eb2f96', '#722ed1', '#13c2c2', '#faad14'];

/**
 * A dashboard drawn from its table: the text columns make the category axis, every number
 * column a series (bars, lines or stacked bars); a column named like `…Target` is drawn as a
 * dashed line next to the figure it belongs to.
 */
export function DashboardChart(props: {
  id: string;
  chart: string;
  columns: Column[];
  rows: Row[];
  lang: string;
}) {
  const { el, chart } = useEChart();

  useEffect(() => {
    const label = (c: Column) => (props.lang === 'en' ? c.label.en : c.label['zh-CN']);
    const texts = props.columns.filter((c) => c.type === 'text' && c.key !== 'below');
    const numbers = props.columns.filter((c) => c.type === 'number');
    const categories = props.rows.map((r) => texts.map((c) => r[c.key] ?? '').join(' '));
    const type = props.chart === 'line' ? 'line' : 'bar';
    chart.current?.setOption(
      {
        tooltip: { trigger: 'axis' },
        legend: { top: 0, type: 'scroll' },
        grid: { left: 48, right: 16, top: 40, bottom: 48 },
        xAxis: { type: 'category', data: categories, axisLabel: { rotate: categories.length > 8 ? 30 : 0 } },
        yAxis: { type: 'value' },
        series: numbers.map((c, i) => {
          const isTarget = /Target$/.test(c.key);
          return {
            name: label(c),
            type: isTarget ? 'line' : type,
            stack: props.chart === 'stacked-bar' && !isTarget ? 'total' : undefined,
            smooth: type === 'line',
            connectNulls: true,
            lineStyle: isTarget ? { type: 'dashed' } : undefined,
            itemStyle: { color: COLORS[i % COLORS.length] },
            data: props.rows.map((r) => r[c.key]),
          };
        }),
      },
      true,
    );
  }, [chart, props.columns, props.rows, props.chart, props.lang]);

  return (
    <div
      ref={el}
      data-testid={`dashboard-chart-${props.id}`}
      data-rows={props.rows.length}
      style={{ width: '100%', height: 300 }}
    />
  );
}
