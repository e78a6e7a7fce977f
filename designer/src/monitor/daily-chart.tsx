import { useEffect } from 'react';
import { useEChart } from '../app/echart.js';

export interface DailyItem {
  date: string;
  started: number;
  completed: number;
}

/** Instances started (bars) and completed (line) per day. */
export function DailyChart({
  items,
  labels,
}: {
  items: DailyItem[];
  labels: { started: string; completed: string };
}) {
  const { el, chart } = useEChart();

  useEffect(() => {
    chart.current?.setOption(
      {
        tooltip: { trigger: 'axis' },
        legend: { top: 0, data: [labels.started, labels.completed] },
        grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: 'category', data: items.map((i) => i.date.slice(5)) },
        yAxis: { type: 'value', minInterval: 1 },
        series: [
          {
            name: labels.started,
            type: 'bar',
            data: items.map((i) => i.started),
            itemStyle: { color: '#1677ff' },
          },
          {
            name: labels.completed,
            type: 'line',
            data: items.map((i) => i.completed),
            smooth: true,
            itemStyle: { color: '#52c41a' },
          },
        ],
      },
      true,
    );
  }, [chart, items, labels.started, labels.completed]);

  const total = items.reduce((n, i) => n + i.started, 0);
  return (
    <div
      data-testid="monitor-daily-chart"
      data-days={items.length}
      data-started={total}
      ref={el}
      style={{ width: '100%', height: 280 }}
    />
  );
}
