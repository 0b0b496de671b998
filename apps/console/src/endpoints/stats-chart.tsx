import type { EndpointStats } from '../api/types';

export interface DayStats {
  label: string;
  stats: EndpointStats;
}

const HEIGHT = 120;
const BAR = 26;
const GAP = 14;

/** The tallest day's total, at least 1 (so an idle week draws flat bars, not NaN). */
export function chartScale(days: DayStats[]): number {
  return Math.max(1, ...days.map((d) => d.stats.success + d.stats.fail + d.stats.pending + d.stats.sending));
}

/**
 * Deliveries per day as stacked bars (success, failed, pending), drawn in SVG with
 * presentation attributes only (the CSP forbids inline styles). The same numbers are in the
 * table below it for screen readers and keyboard users.
 */
export function StatsChart({ days }: { days: DayStats[] }) {
  const max = chartScale(days);
  const width = days.length * (BAR + GAP) + GAP;
  const total = days.reduce((n, d) => n + d.stats.success + d.stats.fail, 0);
  const failed = days.reduce((n, d) => n + d.stats.fail, 0);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${HEIGHT + 22}`} role="img" aria-label={`Deliveries over the last ${days.length} days: ${total} finished, ${failed} failed`}>
        <line x1={0} y1={HEIGHT} x2={width} y2={HEIGHT} stroke="#6b7280" strokeWidth={1} />
        {days.map((d, i) => {
          const x = GAP + i * (BAR + GAP);
          const parts = [
            { n: d.stats.success, fill: '#15803d' },
            { n: d.stats.fail, fill: '#b91c1c' },
            { n: d.stats.pending + d.stats.sending, fill: '#b45309' },
          ];
          let y = HEIGHT;
          return (
            <g key={d.label}>
              {parts.map((p, j) => {
                const h = (p.n / max) * (HEIGHT - 8);
                y -= h;
                return p.n > 0 ? <rect key={j} x={x} y={y} width={BAR} height={h} fill={p.fill} /> : null;
              })}
              <text x={x + BAR / 2} y={HEIGHT + 16} textAnchor="middle" fontSize={10} fill="#374151">
                {d.label}
              </text>
            </g>
          );
        })}
      </svg>
      {total === 0 && days.every((d) => d.stats.pending + d.stats.sending === 0) ? <p className="muted small">No deliveries in these days.</p> : null}
      <figcaption>
        <span className="legend legend-ok">Succeeded</span> <span className="legend legend-bad">Failed</span> <span className="legend legend-warn">Pending</span>
      </figcaption>
      <details>
        <summary>Numbers per day</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Succeeded</th>
              <th scope="col">Failed</th>
              <th scope="col">Pending</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.label}>
                <td>{d.label}</td>
                <td>{d.stats.success}</td>
                <td>{d.stats.fail}</td>
                <td>{d.stats.pending + d.stats.sending}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
