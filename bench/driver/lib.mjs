// Shared pieces of the benchmark driver: the peers' packages, statistics, the UDP receiver the
// job processes report to, and small process helpers. See bench/README.md.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// The peers' packages live in bench/peers/node_modules, which is no ancestor of this directory.
const peersRequire = createRequire(new URL('../peers/package.json', import.meta.url));

export async function ImportPeerPackage(name) {
    return import(pathToFileURL(peersRequire.resolve(name)).href);
}

// Read from the file: a package's `exports` may not list its package.json.
export function PeerPackageVersion(name) {
    const file = new URL(`../peers/node_modules/${name}/package.json`, import.meta.url);
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

export function NowNs() {
    return process.hrtime.bigint(); // CLOCK_MONOTONIC (libuv's uv_hrtime)
}

export function NsToMs(ns) {
    return Number(ns) / 1e6;
}

// Nearest-rank percentile of an unsorted array.
export function Percentile(values, p) {
    if (values.length === 0) {
        return null;
    }
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function LatencySummary(samples_ms) {
    return {
        n: samples_ms.length,
        p50: Percentile(samples_ms, 50),
        p99: Percentile(samples_ms, 99),
        max: Math.max(...samples_ms),
    };
}

// A figure of several repetitions: the median with min and max beside it (bench/README.md).
export function Figure(values) {
    const kept = values.filter((v) => v !== null && Number.isFinite(v));
    if (kept.length === 0) {
        return null;
    }
    return { median: Percentile(kept, 50), min: Math.min(...kept), max: Math.max(...kept), reps: kept };
}

// Figures of repeated latency summaries: one Figure per statistic.
export function LatencyFigures(summaries) {
    return {
        n: summaries.reduce((sum, s) => sum + s.n, 0),
        p50: Figure(summaries.map((s) => s.p50)),
        p99: Figure(summaries.map((s) => s.p99)),
        max: Figure(summaries.map((s) => s.max)),
    };
}

// A progress line on standard error, apart from the report.
export function Log(message) {
    process.stderr.write(`bench: ${message}\n`);
}

export function Delay(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

// Resolves when `condition()` is true, checking every `every_ms`; rejects after `timeout_ms`.
export async function WaitFor(what, condition, timeout_ms, every_ms = 5) {
    const deadline = Date.now() + timeout_ms;
    for (;;) {
        if (await condition()) {
            return;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}`);
        }
        await Delay(every_ms);
    }
}

export function FreePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

export function Run(file, args, options = {}) {
    return new Promise((resolve, reject) => {
        const child = execFile(file, args, { maxBuffer: 64 << 20, ...options }, (error, stdout, stderr) => {
            if (error) {
                error.message += `\n${stderr}`;
                reject(error);
            } else {
                resolve(stdout);
            }
        });
        if (options.input !== undefined) {
            child.stdin.end(options.input);
        }
    });
}

// CPU time (user + system, seconds) and RSS (bytes) of a live process, from /proc.
export function ProcessUsage(pid) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss_kib = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
    return { cpu_s: ticks / 100, rss_bytes: rss_kib * 1024 }; // USER_HZ is 100 on Linux
}

// CPU time (user + system, seconds) of a PostgreSQL cluster: its postmaster, the backends alive
// now, and those that exited (accounted to the postmaster when it reaped them).
export function ClusterCpuSeconds(postmaster_pid) {
    const Fields = (pid) => {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    };
    const own = Fields(postmaster_pid);
    // utime, stime, cutime, cstime (fields 14 to 17)
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        try {
            const fields = Fields(entry);
            if (Number(fields[1]) === postmaster_pid) { // ppid (field 4)
                ticks += Number(fields[11]) + Number(fields[12]);
            }
        } catch {
            // exited meanwhile: its time is in the postmaster's cutime/cstime now
        }
    }
    return ticks / 100; // USER_HZ is 100 on Linux
}

// The receiving end of the job processes' datagrams (jobd-bench-ping, the peers' handlers): each
// carries its sender's start (started_ns), and its arrival is timestamped with CLOCK_MONOTONIC as
// soon as the event loop sees it (at_ns).
export class PingReceiver {
    #socket = dgram.createSocket('udp4');
    #queue = [];
    #waiters = [];

    async Open() {
        await new Promise((resolve) => this.#socket.bind(0, '127.0.0.1', resolve));
        this.#socket.on('message', (message) => {
            const at_ns = NowNs();
            const text = message.toString();
            // The sender's own start (CLOCK_MONOTONIC), the fourth field of every ping.
            const started = text.split(' ')[3];
            const ping = { at_ns, started_ns: started === undefined ? null : BigInt(started), text };
            const waiter = this.#waiters.shift();
            if (waiter) {
                clearTimeout(waiter.timer);
                waiter.resolve(ping);
            } else {
                this.#queue.push(ping);
            }
        });
        return this.Port();
    }

    Port() {
        return this.#socket.address().port;
    }

    Next(timeout_ms) {
        if (this.#queue.length > 0) {
            return Promise.resolve(this.#queue.shift());
        }
        return new Promise((resolve, reject) => {
            const waiter = { resolve };
            waiter.timer = setTimeout(() => {
                this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
                reject(new Error(`no datagram within ${timeout_ms} ms`));
            }, timeout_ms);
            this.#waiters.push(waiter);
        });
    }

    Drain() {
        const pings = this.#queue;
        this.#queue = [];
        return pings;
    }

    Close() {
        this.#socket.close();
    }
}

// Runs `count` tasks with at most `concurrency` going at once; `task(i)` returns a promise.
export async function RunConcurrently(count, concurrency, task) {
    let next = 0;
    const lanes = Array.from({ length: Math.min(concurrency, count) }, async (_, lane) => {
        for (;;) {
            const i = next++;
            if (i >= count) {
                return;
            }
            await task(i, lane);
        }
    });
    await Promise.all(lanes);
}
