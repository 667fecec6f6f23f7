// The live status line, in fio 3.x's layout (eta.c display_thread_status(),
// gen_eta_str() and update_condensed_str()), e.g.
//   Jobs: 12 (f=12): [R(12)][37.5%][r=6314MiB/s][r=1616k IOPS][eta 00m:25s]
// with the same units as the summary (IEC, base 1024), and the allocator
// state line.

import type { AllocatorState, StatusJob, StatusSnapshot } from './format.js';
import { fmtFixed, num2str } from './num2str.js';

/** fio's check_str_update(): upper case sequential, lower case random. */
export function jobStateChar(job: StatusJob): string {
  switch (job.state) {
    case 'pending': return 'P';
    case 'setup': return 'I';
    case 'ramp': return '/';
    case 'finishing': return 'f';
    case 'exited': return 'E';
    case 'finished': return '_';
    case 'error': return 'X';
    case 'killed': return 'K';
    case 'running': break;
  }
  const random = job.rw.startsWith('rand');
  const mixed = job.rw === 'rw' || job.rw === 'randrw' || job.rw === 'readwrite';
  let c: string;
  if (mixed) c = job.rwmixread === 100 ? 'R' : job.rwmixread === 0 ? 'W' : 'M';
  else c = job.rw.endsWith('read') ? 'R' : 'W';
  return random ? c.toLowerCase() : c;
}

/** fio's eta_to_str(): [DDd:][HHh:]MMm:SSs, "--" when unknown. */
export function etaString(etaSec: number): string {
  if (etaSec < 0) return '--';
  let t = Math.floor(etaSec);
  const s = t % 60;
  t = Math.floor(t / 60);
  const m = t % 60;
  t = Math.floor(t / 60);
  const h = t % 24;
  const d = Math.floor(t / 24);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${d ? `${p2(d)}d:` : ''}${d || h ? `${p2(h)}h:` : ''}${p2(m)}m:${p2(s)}s`;
}

/** fio's update_condensed_str(): "RRRw" -> "R(3),w(1)". */
export function condensedRunString(chars: string): string {
  const out: string[] = [];
  for (let i = 0; i < chars.length;) {
    let j = i;
    while (j < chars.length && chars[j] === chars[i]) j++;
    out.push(`${chars[i]}(${j - i})`);
    i = j;
  }
  return out.join(',');
}

export function statusLine(s: StatusSnapshot): string {
  const running = s.jobs.filter((j) => j.state === 'running' || j.state === 'finishing').length;
  const ramp = s.jobs.filter((j) => j.state === 'ramp').length;
  const settingUp = s.jobs.filter((j) => j.state === 'setup').length;
  const nrRunning = running + ramp;
  const files = s.filesOpen ?? running;
  let line = `Jobs: ${nrRunning} (f=${files})`;
  // Rate caps, when any job has one: ", min-target" (fio's m_rate/t_rate, or the IOPS pair).
  const cap = s.rateCap;
  if (cap && cap.bytesPerSec > 0) line += `, 0-${num2str(cap.bytesPerSec, 4, 1, true, 'B/s')}`;
  else if (cap && cap.iops > 0) line += `, 0-${Math.round(cap.iops)} IOPS`;
  if (nrRunning === 0) return line; // fio prints no brackets once nothing runs

  let perc: string;
  if (s.etaSec < 0 || ramp === nrRunning) perc = '-.-%';
  else {
    const total = s.elapsedSec + s.etaSec;
    let p = total > 0 ? s.elapsedSec / total : 0;
    p *= 100 * (settingUp ? 1 - settingUp / nrRunning : 1);
    perc = `${fmtFixed(p, 3, 1)}%`;
  }
  line += `: [${condensedRunString(s.jobs.map(jobStateChar).join(''))}][${perc}]`;
  // fio keeps rates in KiB/s (truncated) and prints them from a KiB base, IEC as its summary.
  const dirs = (['read', 'write', 'trim'] as const).filter((d) => s.bytesPerSec[d] > 0 || s.iops[d] > 0);
  if (dirs.length > 0) {
    line += `[${dirs.map((d) => `${d[0]}=${num2str(Math.floor(s.bytesPerSec[d] / 1024), 4, 1024, true, 'B/s')}`).join(',')}]`;
    line += `[${dirs.map((d) => `${d[0]}=${num2str(Math.floor(s.iops[d]), 4, 1, false, '')}`).join(',')} IOPS]`;
  }
  return `${line}[eta ${etaString(s.etaSec)}]`;
}

/** cpu_total=N depot_total=N total=N tree=N */
export function allocatorLine(s: AllocatorState): string {
  const total = s.total ?? s.cpuTotal + s.depotTotal;
  return `cpu_total=${s.cpuTotal} depot_total=${s.depotTotal} total=${total} tree=${s.tree}`;
}
