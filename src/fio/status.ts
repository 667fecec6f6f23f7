// The live status line, in fio 2.x's layout (eta.c display_thread_status()
// before 2.17), e.g.
//   Jobs: 12 (f=12): [RRRRRRRRRRRR] [37.5% done] [6314MB/0KB/0KB /s] [1616K/0/0 iops] [eta 00m:25s]
// and the allocator state line.

import type { AllocatorState, StatusJob, StatusSnapshot } from './format.js';
import { fmtFixed, num2strV2 } from './num2str.js';

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

export function statusLine(s: StatusSnapshot): string {
  const running = s.jobs.filter((j) => j.state === 'running' || j.state === 'finishing').length;
  const ramp = s.jobs.filter((j) => j.state === 'ramp').length;
  const settingUp = s.jobs.filter((j) => j.state === 'setup').length;
  const nrRunning = running + ramp;
  const files = s.filesOpen ?? running;
  let line = `Jobs: ${nrRunning} (f=${files})`;
  if (nrRunning === 0) return line; // fio prints no brackets once nothing runs

  let perc: string;
  if (s.etaSec < 0 || ramp === nrRunning) perc = '-.-% done';
  else {
    const total = s.elapsedSec + s.etaSec;
    let p = total > 0 ? s.elapsedSec / total : 0;
    p *= 100 * (settingUp ? 1 - settingUp / nrRunning : 1);
    perc = `${fmtFixed(p, 3, 1)}% done`;
  }
  // fio keeps rates in KiB/s (truncated) and prints them from a KiB base.
  const rate = (bps: number): string => num2strV2(Math.floor(bps / 1024), 5, 1024, true, 8);
  const iops = (n: number): string => num2strV2(Math.floor(n), 4, 1, false, 0);
  const { bytesPerSec: b, iops: io } = s;
  line += `: [${s.jobs.map(jobStateChar).join('')}] [${perc}]`;
  line += ` [${rate(b.read)}/${rate(b.write)}/${rate(b.trim)} /s]`;
  line += ` [${iops(io.read)}/${iops(io.write)}/${iops(io.trim)} iops]`;
  return `${line} [eta ${etaString(s.etaSec)}]`;
}

/** cpu_total=N depot_total=N total=N tree=N */
export function allocatorLine(s: AllocatorState): string {
  const total = s.total ?? s.cpuTotal + s.depotTotal;
  return `cpu_total=${s.cpuTotal} depot_total=${s.depotTotal} total=${total} tree=${s.tree}`;
}
