// One `iova fio` worker: a thread attached to the domain as one CPU. A job
// worker keeps `iodepth` I/Os in flight: it maps each (alloc_iova_fast per
// segment), hands it to a modelled device (a local time-ordered queue,
// polled: nothing sleeps per I/O), and when the device is done completes it
// itself (completion=same) or rings it over to the completion CPU's ring.
// Every worker also serves its own CPU's ring: it unmaps the I/Os of other
// jobs there (strict: free_iova_fast; non-strict: queue_iova into this CPU's
// flush queue) and hands the slot back to its job through the job's done
// ring. Any worker may fire the flush-queue timer. Idle workers park on
// their doorbell. See docs/fio.md for the whole design.
//
// It runs on a CpuPool worker (src/workers/): the pool attaches the thread
// as its CPU and runs runFioWorker through its generic `run` command, which
// returns the job's histograms and counters (run.ts is the other side).
import type { RunContext } from '../../workers/cpu-worker.js';
import { DmaPath } from '../../domain/dma.js';
import { codes } from '../../wasm/codes.js';
import { LatencyHistogram } from '../../load/latency.js';
import { EventHeap } from '../../load/heap.js';
import { Rng } from '../../load/rng.js';
import { BlockSizeSampler } from '../../load/block-size.js';
import { formatBlockSize } from '../../load/values.js';
import type { RunPlan, WorkerPlan } from './plan.js';
import {
  CTRL_DRAINED, CTRL_ERROR, CTRL_PHASE, CTRL_STOP, F_START_MS,
  PHASE_EXIT, PHASE_SETUP, S_BYTES, S_DIR, S_DONE_MS, S_ISSUE_MS,
  S_MAP_MS, S_NSEG, S_STATE, S_UNMAPPED, S_UNMAPPER, SEG_WORDS, SharedRing, SLOT_FREE, SLOT_HDR, SLOT_LIVE, SLOT_MAPPING, SLOT_UNMAPPING, STATE_DONE, STATE_FINISHING, STATE_RUNNING, W_DOORBELL,
  W_SLEEPING, W_STATE, WF_BYTES_R, WF_BYTES_W, WF_END_MS, WF_IOS_R, WF_IOS_W, WF_SUBMITTED, WF_SUBMITTED_BYTES,
  ringBell, runClock,
} from './shared.js';

/** The arguments of one worker's run (the domain comes from the pool). */
export interface WorkerInit {
  plan: RunPlan;
  index: number;
  i32: SharedArrayBuffer;
  f64: SharedArrayBuffer;
  hrBase: bigint;
}

/** Histograms of one job, posted to the main thread at the end (revived there). */
export interface WorkerHists {
  slat: [LatencyHistogram, LatencyHistogram];
  clat: [LatencyHistogram, LatencyHistogram];
  lat: [LatencyHistogram, LatencyHistogram];
  map: LatencyHistogram;
  unmap: LatencyHistogram;
}

export interface WorkerCounters {
  /** Segments this job mapped (allocFast calls that succeeded; with dma32_first the pair counts once). */
  maps: number;
  /** Segments of this job's I/Os that were unmapped (by whichever CPU completed them). */
  unmaps: number;
  /** Unmap calls this worker made (for any job's I/Os): the books compare the sums. */
  unmapCalls: number;
  /** Maps that found no space (the I/O backed off and retried). */
  allocFailures: number;
  timerFirings: number;
  fullFlushes: number;
  /** Domain flushes this worker made (timer + full queue + the final drain). */
  domainFlushes: number;
  /** IOTLB invalidations modelled by this worker (strict: one per unmap). */
  iotlbFlushes: number;
  /** Flush-queue entries this worker freed. */
  fqFreed: number;
  /** I/Os completed by this worker for other jobs (from its CPU's ring). */
  remoteCompletions: number;
  startMs: number;
  endMs: number;
  submitted: number;
  /** I/Os that completed during ramp_time: done and unmapped, but left out of fio's figures. */
  rampIos: number;
  inflightAtEnd: number;
}

/** What a worker's run returns. */
export interface WorkerResult {
  hists: WorkerHists | null;
  counters: WorkerCounters;
}

/** The progress message a worker posts once it is set up and waits at the gate. */
export const WORKER_READY = 'ready';

/** One worker of a run: worker `init.index` of the plan, on the CPU the pool attached it as. */
export function runFioWorker(ctx: RunContext, init: WorkerInit): WorkerResult {
  const plan = init.plan;
  const me: WorkerPlan = plan.workers[init.index]!;
  const i32 = new Int32Array(init.i32);
  const f64 = new Float64Array(init.f64);
  const now = runClock(init.hrBase);
  // Several jobs may run on one CPU, as tasks share a CPU's rcache in the kernel: the pool attached this
  // thread with shareCpu. Each sharer has a scratch slot of its own for the DMA calls (the domain is made
  // with a shared view per worker).
  const domain = ctx.domain;
  const cpu = me.cpu;
  const strict = plan.strict;
  const iotlbMs = plan.iotlbLatMs;
  const limit64 = plan.limit64;
  const wb = me.workerBase;
  const cb = me.countersBase;

  const cpuRings = plan.ringBase.map((b) => new SharedRing(i32, b, plan.ringCap, 2));
  const myRing = cpuRings[cpu]!;
  const doneRings = plan.workers.map((w) => new SharedRing(i32, w.doneRingBase, Math.max(1, w.iodepth), 1));
  const myDone = doneRings[me.index]!;

  const k: WorkerCounters = {
    maps: 0, unmaps: 0, unmapCalls: 0, allocFailures: 0, timerFirings: 0, fullFlushes: 0, domainFlushes: 0,
    iotlbFlushes: 0, fqFreed: 0, remoteCompletions: 0, startMs: 0, endMs: 0, submitted: 0, rampIos: 0, inflightAtEnd: 0,
  };

  const newHist = (): LatencyHistogram => new LatencyHistogram();
  const hists: WorkerHists | null = me.isJob
    ? {
        slat: [newHist(), newHist()], clat: [newHist(), newHist()], lat: [newHist(), newHist()],
        map: newHist(), unmap: newHist(),
      }
    : null;

  /** The modelled IOTLB invalidation: a busy wait (it is CPU time the unmapping CPU spends). */
  function iotlbFlush(): void {
    k.iotlbFlushes++;
    if (iotlbMs <= 0) return;
    const end = now() + iotlbMs;
    while (now() < end) { /* the invalidation's wait for the IOMMU */ }
  }

  // ---------------------------------------------------------------- flush queue
  // The flush queue, its timer and the dma-iommu map and unmap are the core's
  // (assembly/iommu/, through DmaPath); every IOTLB invalidation it makes
  // calls iotlbFlush above, on this thread.
  const dma = new DmaPath(domain);
  dma.hostInvalidation(iotlbFlush);

  const { FLUSHES_SHIFT } = codes().Queued;

  /** The full-queue flushes of a queue_iova result (Queued.* bits). */
  function countQueued(bits: number): void {
    const flushes = bits >>> FLUSHES_SHIFT;
    k.fullFlushes += flushes;
    k.domainFlushes += flushes;
  }

  /** Fires the timer if it is due and this worker wins the race for it (fq_flush_timeout, here). */
  function pollTimer(t: number): boolean {
    const freed = dma.pollTimer(cpu, t);
    if (freed < 0) return false;
    k.timerFirings++;
    k.domainFlushes++;
    k.fqFreed += freed;
    return true;
  }

  // ---------------------------------------------------------------- I/O

  const slotBase = me.slotBase;
  const stride = me.slotStride;
  const segBytes = me.opts.maxSegment;
  const dma32First = me.opts.dma32First;
  const devLatMs = plan.deviceLatMs;
  const msPerByte = 1000 / plan.deviceBw;
  const rng = new Rng(me.seed);
  const sampler = me.isJob ? new BlockSizeSampler(me.opts.bs, rng) : null;
  // bs=r,w: writes draw from their own sizes (one sampler, and the same draws as before, when both agree).
  const samplerW = me.isJob && formatBlockSize(me.opts.bsWrite) !== formatBlockSize(me.opts.bs)
    ? new BlockSizeSampler(me.opts.bsWrite, rng) : sampler;
  const rampMs = me.opts.rampTimeMs;
  // rate / rate_iops per direction (0: no cap), as fio's rate[] and rate_iops[].
  const capBytes = [me.opts.rateRead, me.opts.rateWrite];
  const capIops = [me.opts.rateIopsRead, me.opts.rateIopsWrite];
  const capped = capBytes.some((c) => c > 0) || capIops.some((c) => c > 0);
  const issuedIos = [0, 0];
  const issuedBytes = [0, 0];
  /** The next I/O, drawn before it is issued so that a rate cap can hold it. */
  let nextDir = -1;
  let nextBytes = 0;
  const rw = me.opts.rw;
  const mixRead = me.opts.rwmixread;
  const fixedDir = rw === 'read' || rw === 'randread' ? 0 : rw === 'write' || rw === 'randwrite' ? 1 : -1;
  const heap = new EventHeap(Math.max(1, me.iodepth));
  const freeSlots: number[] = [];
  for (let s = me.iodepth - 1; s >= 0; s--) freeSlots.push(s);
  let inflight = 0;
  let submittedBytes = 0;
  const segLat = new Float64Array(Math.max(1, me.maxSegs));
  const segBuf = new Float64Array(2 * Math.max(1, me.maxSegs));

  /** Maps one I/O into a free slot and hands it to the device. False when the address space is full. */
  function submit(): boolean {
    const s = freeSlots.pop()!;
    const sb = slotBase + s * stride;
    drawNext();
    const bytes = nextBytes;
    const dir = nextDir;
    nextDir = -1;
    const t0 = now();
    // iommu_dma_alloc_iova per segment (below 4 GiB first for a PCI device, then anywhere), in the core.
    f64[sb + S_STATE] = SLOT_MAPPING;
    const nseg = dma.mapIo(cpu, bytes, segBytes, limit64, dma32First, segBuf, 0);
    const tPrev = now();
    if (nseg === 0) {
      f64[sb + S_STATE] = SLOT_FREE;
      k.allocFailures++;
      freeSlots.push(s);
      return false;
    }
    for (let i = 0; i < nseg; i++) {
      const e = sb + SLOT_HDR + SEG_WORDS * i;
      f64[e] = segBuf[2 * i]!;
      f64[e + 1] = segBuf[2 * i + 1]!;
      f64[e + 2] = 0;
      // One call maps every segment: each is charged its share of the I/O's map time.
      segLat[i] = ((tPrev - t0) * 1e6) / nseg;
    }
    // Only a fully mapped I/O counts: its map latencies go in now.
    for (let i = 0; i < nseg; i++) hists!.map.add(segLat[i]!);
    k.maps += nseg;
    f64[sb + S_DIR] = dir;
    f64[sb + S_BYTES] = bytes;
    f64[sb + S_NSEG] = nseg;
    f64[sb + S_MAP_MS] = t0;
    f64[sb + S_ISSUE_MS] = tPrev;
    f64[sb + S_STATE] = SLOT_LIVE;
    heap.push(tPrev + devLatMs + bytes * msPerByte, s);
    issuedIos[dir]++;
    issuedBytes[dir] += bytes;
    inflight++;
    k.submitted++;
    submittedBytes += bytes;
    f64[cb + WF_SUBMITTED] = k.submitted;
    f64[cb + WF_SUBMITTED_BYTES] = submittedBytes;
    return true;
  }

  function drawNext(): void {
    if (nextDir >= 0) return;
    if (samplerW === sampler) {
      nextBytes = sampler!.next();
      nextDir = fixedDir >= 0 ? fixedDir : rng.next() * 100 < mixRead ? 0 : 1;
    } else {
      nextDir = fixedDir >= 0 ? fixedDir : rng.next() * 100 < mixRead ? 0 : 1;
      nextBytes = (nextDir === 0 ? sampler : samplerW)!.next();
    }
  }

  /**
   * When the next I/O may be issued under its direction's caps: the time at
   * which what that direction has issued, plus this I/O, is within rate x
   * elapsed (fio's rate limiting, without bursts).
   */
  function rateAllowsAt(): number {
    drawNext();
    const d = nextDir;
    let sec = 0;
    if (capIops[d]! > 0) sec = Math.max(sec, (issuedIos[d]! + 1) / capIops[d]!);
    if (capBytes[d]! > 0) sec = Math.max(sec, (issuedBytes[d]! + nextBytes) / capBytes[d]!);
    return k.startMs + sec * 1000;
  }

  /** Unmaps every segment of worker `owner`'s slot `s` on this CPU, then hands the slot back. */
  function complete(owner: WorkerPlan, s: number): void {
    const sb = owner.slotBase + s * owner.slotStride;
    const nseg = f64[sb + S_NSEG]!;
    f64[sb + S_UNMAPPED] = 0;
    f64[sb + S_UNMAPPER] = me.index;
    f64[sb + S_STATE] = SLOT_UNMAPPING;
    for (let i = 0; i < nseg; i++) {
      const e = sb + SLOT_HDR + SEG_WORDS * i;
      const t0 = now();
      // Strict: the invalidation (iotlbFlush, from the core) and free_iova_fast; else queue_iova.
      countQueued(dma.unmapIova(cpu, f64[e]!, f64[e + 1]!, strict, t0));
      f64[sb + S_UNMAPPED] = i + 1;
      f64[e + 2] = (now() - t0) * 1e6;
      k.unmapCalls++;
    }
    f64[sb + S_STATE] = SLOT_FREE;
    f64[sb + S_DONE_MS] = now();
    if (owner === me) {
      account(s);
    } else {
      k.remoteCompletions++;
      if (!doneRings[owner.index]!.push(s)) throw new Error(`done ring of worker ${owner.index} overflowed`);
      if (!bellOwner[owner.index]) {
        bellOwner[owner.index] = 1;
        bellOwners.push(owner.index);
      }
    }
  }

  // Bells are rung once per batch, not once per I/O: a wake-up is a futex
  // syscall, and the woken worker takes the whole ring anyway.
  const bellOwner = new Uint8Array(plan.workers.length);
  const bellOwners: number[] = [];
  const bellCpu = new Uint8Array(plan.cpus);
  const bellCpus: number[] = [];

  function ringBells(): void {
    for (const w of bellOwners) {
      bellOwner[w] = 0;
      ringBell(i32, plan.workers[w]!.workerBase);
    }
    bellOwners.length = 0;
    for (const c of bellCpus) {
      bellCpu[c] = 0;
      // Wake one parked worker of that CPU; one that is awake will see the ring anyway.
      for (const w of plan.cpuWorkers[c]!) {
        const b = plan.workers[w]!.workerBase;
        if (Atomics.load(i32, b + W_SLEEPING) !== 0) {
          ringBell(i32, b);
          break;
        }
      }
    }
    bellCpus.length = 0;
  }

  /** The slot's I/O is over: count it and its latencies, free the slot. */
  function account(s: number): void {
    const sb = slotBase + s * stride;
    const dir = f64[sb + S_DIR]!;
    const bytes = f64[sb + S_BYTES]!;
    const nseg = f64[sb + S_NSEG]!;
    const tMap = f64[sb + S_MAP_MS]!;
    const tIssue = f64[sb + S_ISSUE_MS]!;
    const tDone = f64[sb + S_DONE_MS]!;
    const h = hists!;
    k.unmaps += nseg;
    for (let i = 0; i < nseg; i++) h.unmap.add(f64[sb + SLOT_HDR + SEG_WORDS * i + 2]!);
    inflight--;
    freeSlots.push(s);
    // ramp_time: an I/O done before the ramp's end is not in fio's figures (the allocator's map/unmap ones keep it).
    if (rampMs > 0 && tDone - k.startMs < rampMs) {
      k.rampIos++;
      return;
    }
    h.slat[dir]!.add((tIssue - tMap) * 1e6);
    h.clat[dir]!.add((tDone - tIssue) * 1e6);
    h.lat[dir]!.add((tDone - tMap) * 1e6);
    if (dir === 0) {
      f64[cb + WF_IOS_R]++;
      f64[cb + WF_BYTES_R] += bytes;
    } else {
      f64[cb + WF_IOS_W]++;
      f64[cb + WF_BYTES_W] += bytes;
    }
  }

  /** The device finished slot s: complete it here, or raise it on the completion CPU. */
  function deviceDone(s: number): void {
    const target = me.completionCpu;
    if (target === cpu) {
      complete(me, s);
      return;
    }
    if (!cpuRings[target]!.push(me.index, s)) throw new Error(`completion ring of CPU ${target} overflowed`);
    if (!bellCpu[target]) {
      bellCpu[target] = 1;
      bellCpus.push(target);
    }
  }

  function serveRing(): void {
    const n = myRing.takeAll();
    const got = myRing.taken;
    for (let i = 0; i < n; i++) complete(plan.workers[got[2 * i]!]!, got[2 * i + 1]!);
  }

  function reclaimRemote(): void {
    const n = myDone.takeAll();
    const got = myDone.taken;
    for (let i = 0; i < n; i++) account(got[i]!);
  }

  // ---------------------------------------------------------------- the loop

  /** Parks on the doorbell until `untilMs` (run clock), unless work shows up first. */
  function park(untilMs: number, t: number): void {
    const seq = Atomics.load(i32, wb + W_DOORBELL);
    Atomics.store(i32, wb + W_SLEEPING, 1);
    // Re-check after announcing the sleep: a producer that pushed before seeing the flag has rung already.
    if (!myRing.nonEmpty() && !myDone.nonEmpty() && Atomics.load(i32, CTRL_PHASE) !== PHASE_EXIT &&
        (Atomics.load(i32, CTRL_STOP) === 0 || !submitting)) {
      const ms = Math.min(untilMs - t, 50);
      if (ms > 0) Atomics.wait(i32, wb + W_DOORBELL, seq, ms);
    }
    Atomics.store(i32, wb + W_SLEEPING, 0);
  }

  let submitting = me.isJob;
  let drained = false;

  function limitReached(t: number): boolean {
    const o = me.opts;
    // fio runs ramp_time first, then runtime.
    if (o.runtimeMs > 0 && t - k.startMs >= rampMs + o.runtimeMs) return true;
    if (o.timeBased) return false;
    if (o.numberIos > 0 && k.submitted >= o.numberIos) return true;
    if (o.size > 0 && submittedBytes >= o.size) return true;
    return false;
  }

  /** This worker has nothing in flight and nothing more to submit. The last one to get here drains the queues. */
  function markDrained(): void {
    drained = true;
    if (me.isJob) {
      k.endMs = now();
      f64[cb + WF_END_MS] = k.endMs;
      Atomics.store(i32, wb + W_STATE, STATE_DONE);
    }
    if (Atomics.add(i32, CTRL_DRAINED, 1) + 1 === plan.workers.length) {
      // Every I/O of every job is unmapped: nothing can be queued any more. Flush and free every queue.
      if (!strict) {
        k.fqFreed += dma.drain(cpu);
        k.domainFlushes++;
      }
      Atomics.store(i32, CTRL_PHASE, PHASE_EXIT);
      for (const w of plan.workers) ringBell(i32, w.workerBase);
    }
  }

  function run(): void {
    // The gate: the main thread opens it once every worker has attached.
    while (Atomics.load(i32, CTRL_PHASE) === PHASE_SETUP) Atomics.wait(i32, CTRL_PHASE, PHASE_SETUP, 50);
    k.startMs = f64[F_START_MS]!;
    Atomics.store(i32, wb + W_STATE, me.isJob ? STATE_RUNNING : STATE_DONE);
    if (!me.isJob) markDrained();
    const spinMs = plan.oversubscribed ? 0 : 0.05;
    const depth = me.iodepth;
    let backoffUntil = 0;

    for (;;) {
      // Between two domain calls: a pool.kill() of this worker stops it here, its counters posted.
      ctx.safePoint(() => ({ index: me.index, counters: k }));
      if (Atomics.load(i32, CTRL_PHASE) === PHASE_EXIT) break;
      if (Atomics.load(i32, CTRL_ERROR) !== 0) break;
      const t = now();
      let worked = false;

      if (submitting && (Atomics.load(i32, CTRL_STOP) !== 0 || limitReached(t))) {
        submitting = false;
        Atomics.store(i32, wb + W_STATE, STATE_FINISHING);
      }
      while (heap.size > 0 && heap.topTime <= t) {
        const s = heap.topId;
        heap.pop();
        deviceDone(s);
        worked = true;
      }
      if (myRing.nonEmpty()) {
        serveRing();
        worked = true;
      }
      if (worked) ringBells();
      if (me.isJob && myDone.nonEmpty()) {
        reclaimRemote();
        worked = true;
      }
      if (!strict && pollTimer(t)) worked = true;
      if (submitting && t >= backoffUntil) {
        while (inflight < depth && !limitReached(t)) {
          if (capped) {
            const at = rateAllowsAt();
            if (at > t) {
              backoffUntil = at; // over the cap: wait until the rate allows the next I/O
              break;
            }
          }
          if (!submit()) {
            backoffUntil = now() + 0.05; // address space full: let completions free some first
            break;
          }
          worked = true;
        }
      }
      if (me.isJob && !submitting && inflight === 0 && !drained) {
        markDrained();
        continue;
      }
      if (worked) continue;

      // Nothing to do now: sleep until the next device completion, the timer, the runtime's end or a bell.
      let until = t + 50;
      if (heap.size > 0 && heap.topTime < until) until = heap.topTime;
      if (submitting) {
        if (me.opts.runtimeMs > 0) until = Math.min(until, k.startMs + rampMs + me.opts.runtimeMs);
        if (backoffUntil > t) until = Math.min(until, backoffUntil);
      }
      const due = strict ? null : dma.timerDueMs();
      if (due !== null) until = Math.min(until, due);
      if (until - t <= spinMs) continue;
      park(until, t);
    }
    k.inflightAtEnd = inflight;
    if (k.endMs === 0) k.endMs = now();
  }

  ctx.progress(WORKER_READY);
  try {
    run();
    return { hists, counters: k };
  } catch (e) {
    // Everyone leaves: a run with a failed worker cannot drain.
    Atomics.store(i32, CTRL_ERROR, 1);
    Atomics.store(i32, CTRL_STOP, 1);
    for (const w of plan.workers) ringBell(i32, w.workerBase);
    throw e;
  }
}
