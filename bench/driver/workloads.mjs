// The workloads of bench/README.md. Each returns plain data for results/latest.json; figures are
// the median of the repetitions with min and max (lib.mjs Figure).
import fs from 'node:fs';
import path from 'node:path';

import { JobdNode, JobdStatements } from './jobd.mjs';
import {
    ClusterCpuSeconds,
    Delay,
    Figure,
    ImportPeerPackage,
    LatencyFigures,
    LatencySummary,
    Log,
    NowNs,
    NsToMs,
    PingReceiver,
    ProcessUsage,
    Run,
    RunConcurrently,
    WaitFor,
} from './lib.mjs';
import { PeerProducer, PeerWorker } from './peers.mjs';

const kPingTimeoutMs = 30_000;
export const kProducerConnections = 32; // the 32 client connections
const kWarmUp = 5;
const kPgBossPollingIntervalMs = 2000; // pollingIntervalSeconds' default

// ---- 1. Trigger latency ----------------------------------------------------------------------

// --company-limit: jobd's config lines for workers.per_company_max_concurrent_runs (the
// benchmark's one company), whose claims take the locks that keep the limit across nodes;
// `workers`: max_concurrent_runs beside it (else its default).
function CompanyLimit(counts, workers) {
    if (!counts.company_limit) {
        return [];
    }
    const max = workers ? `max_concurrent_runs: ${workers}, ` : '';
    return [`workers: {${max}per_company_max_concurrent_runs: ${counts.company_limit}}`];
}

async function JobdLatency(env, counts) {
    const node = await new JobdNode(env, 'latency').Start({ extra: CompanyLimit(counts) });
    const client = node.Client({ sockets: 1 });
    const pings = new PingReceiver();
    const statements = new JobdStatements(env);
    try {
        const port = await pings.Open();
        const job = await client.SubmitCommandJob(`ping-${port}`, [env.ping_bin, String(port)], {
            execTime: '2099-01-01T00:00:00Z',
        });
        const outcomes = node.Outcomes();
        const result = {};
        for (const [encoding, call] of [
            ['json', () => client.ExecuteJson(job)],
            ['soap', () => client.ExecuteSoap(job)],
        ]) {
            const summaries = [];
            const answers = [];
            const arrivals = [];
            for (let rep = -1; rep < counts.reps; rep++) {
                const n = rep < 0 ? kWarmUp : counts.latency; // rep -1 warms up, unrecorded
                if (rep === 0) {
                    await statements.Reset();
                }
                const samples = [];
                const answer_ms = [];
                const arrival_ms = [];
                for (let i = 0; i < n; i++) {
                    const start = NowNs();
                    await call();
                    const answered = NowNs();
                    const ping = await pings.Next(kPingTimeoutMs);
                    samples.push(NsToMs(ping.started_ns - start));
                    answer_ms.push(NsToMs(answered - start));
                    arrival_ms.push(NsToMs(ping.at_ns - start));
                    // One at a time on an idle system: the next call waits for this run's outcome.
                    const expected = outcomes.count + 1;
                    await WaitFor('the run outcome', () => outcomes.Poll() >= expected, kPingTimeoutMs, 1);
                }
                if (rep >= 0) {
                    summaries.push(LatencySummary(samples));
                    answers.push(LatencySummary(answer_ms));
                    arrivals.push(LatencySummary(arrival_ms));
                }
            }
            result[encoding] = {
                process_started: LatencyFigures(summaries),
                api_answered: LatencyFigures(answers),
                datagram_received: LatencyFigures(arrivals),
                // per executeJob and its run to the end; --statements only
                statements_per_run: await statements.Read(counts.latency * counts.reps),
            };
            Log(`jobd executeJob ${encoding}: p50 ${result[encoding].process_started.p50.median.toFixed(2)} ms`);
        }
        result.runs_not_succeeded = outcomes.not_succeeded;
        return result;
    } finally {
        await statements.Close();
        client.Close();
        pings.Close();
        await node.Stop();
    }
}

async function PeerLatency(env, counts, variant) {
    const pings = new PingReceiver();
    const port = await pings.Open();
    const worker = await new PeerWorker(env, variant, { concurrency: 1, handler: 'ping', ping_port: port }).Start();
    const producer = await new PeerProducer(env, variant, 1).Open();
    // pg-boss polls every 2 s by default: each sample then costs a second on average. A job added
    // right after the previous one finished would always wait out a whole poll; users' jobs come
    // at any phase of it, so the add waits a random part of the interval first (not timed).
    const polling = variant.peer === 'pgboss' && !variant.notify;
    const n = polling ? counts.latency_polling : counts.latency;
    try {
        const summaries = [];
        const arrivals = [];
        for (let rep = -1; rep < counts.reps; rep++) {
            const samples = [];
            const arrival_ms = [];
            for (let i = 0; i < (rep < 0 ? Math.min(kWarmUp, n) : n); i++) {
                if (polling) {
                    await Delay(Math.random() * kPgBossPollingIntervalMs);
                }
                const done = worker.Next('done', kPingTimeoutMs);
                const start = NowNs();
                await producer.Add();
                const ping = await pings.Next(kPingTimeoutMs);
                samples.push(NsToMs(ping.started_ns - start));
                arrival_ms.push(NsToMs(ping.at_ns - start));
                await done;
            }
            if (rep >= 0) {
                summaries.push(LatencySummary(samples));
                arrivals.push(LatencySummary(arrival_ms));
            }
        }
        const figures = LatencyFigures(summaries);
        Log(`${variant.id}: p50 ${figures.p50.median.toFixed(2)} ms`);
        return { process_started: figures, datagram_received: LatencyFigures(arrivals) };
    } finally {
        await producer.Close();
        await worker.Stop();
        pings.Close();
    }
}

// The floor under jobd's figure: posix_spawn of the same probe to its first action, one at a time,
// with no scheduler involved (jobd-bench-start). What is left above it is jobd's own share.
async function ProbeStart(env, counts) {
    const summaries = [];
    for (let rep = 0; rep < counts.reps; rep++) {
        const out = await Run(env.start_bin, [String(counts.latency), env.ping_bin]);
        summaries.push(LatencySummary(JSON.parse(out).start_ms));
    }
    const figures = LatencyFigures(summaries);
    Log(`probe start: p50 ${figures.p50.median.toFixed(2)} ms`);
    return figures;
}

export async function TriggerLatency(env, counts) {
    const result = {
        company_limit: counts.company_limit ?? null,
        probe_start: await ProbeStart(env, counts),
        jobd: await JobdLatency(env, counts),
        peers: {},
    };
    for (const variant of env.peer_variants) {
        result.peers[variant.id] = await PeerLatency(env, counts, variant);
    }
    return result;
}

// ---- 2. Throughput ---------------------------------------------------------------------------

function WarmUpJobs(counts) {
    return Math.max(50, Math.floor(counts.throughput / 10));
}

async function JobdThroughput(env, counts, workers) {
    const node = await new JobdNode(env, `throughput-${workers}`).Start(
        counts.company_limit ? { extra: CompanyLimit(counts, workers) } : { workers },
    );
    const client = node.Client({ sockets: kProducerConnections });
    const statements = new JobdStatements(env);
    let last_statements;
    try {
        const job = await client.SubmitCommandJob(`true-${workers}`, ['/bin/true'], {
            execTime: '2099-01-01T00:00:00Z',
        });
        let not_succeeded = 0;
        const Rep = async (jobs) => {
            const outcomes = node.Outcomes();
            await statements.Reset();
            const cpu_before = ProcessUsage(node.Pid()).cpu_s;
            const pg_cpu_before = ClusterCpuSeconds(env.pg_pid);
            const start = NowNs();
            await RunConcurrently(jobs, kProducerConnections, () => client.ExecuteJson(job));
            const called = NowNs();
            await WaitFor('all runs finished', () => outcomes.Poll() >= jobs, 600_000, 10);
            const finished = NowNs();
            not_succeeded += outcomes.not_succeeded;
            last_statements = await statements.Read(jobs);
            return {
                runs: jobs / (NsToMs(finished - start) / 1000),
                calls: jobs / (NsToMs(called - start) / 1000),
                // jobd's own CPU (all threads, not the children): far less noisy than runs/s
                cpu_ms: (1000 * (ProcessUsage(node.Pid()).cpu_s - cpu_before)) / jobs,
                pg_cpu_ms: (1000 * (ClusterCpuSeconds(env.pg_pid) - pg_cpu_before)) / jobs,
            };
        };
        await Rep(WarmUpJobs(counts)); // untimed
        const runs_per_s = [];
        const calls_per_s = [];
        const cpu_ms_per_run = [];
        const pg_cpu_ms_per_run = [];
        for (let rep = 0; rep < counts.reps; rep++) {
            const { runs, calls, cpu_ms, pg_cpu_ms } = await Rep(counts.throughput);
            runs_per_s.push(runs);
            calls_per_s.push(calls);
            cpu_ms_per_run.push(cpu_ms);
            pg_cpu_ms_per_run.push(pg_cpu_ms);
        }
        Log(`jobd ${workers} workers: ${Figure(runs_per_s).median.toFixed(0)} runs/s, ${Figure(cpu_ms_per_run).median.toFixed(3)} ms of jobd CPU and ${Figure(pg_cpu_ms_per_run).median.toFixed(3)} ms of PostgreSQL CPU per run`);
        if (last_statements) {
            Log(`jobd ${workers} workers: ${last_statements.statements_per_unit.toFixed(1)} statements, ${last_statements.commits_per_unit.toFixed(2)} commits per run`);
        }
        return {
            runs_per_s: Figure(runs_per_s),
            execute_calls_per_s: Figure(calls_per_s),
            jobd_cpu_ms_per_run: Figure(cpu_ms_per_run),
            postgres_cpu_ms_per_run: Figure(pg_cpu_ms_per_run),
            runs_not_succeeded: not_succeeded,
            statements_per_run: last_statements, // last repetition; --statements only
        };
    } finally {
        await statements.Close();
        client.Close();
        await node.Stop();
    }
}

// One timed repetition: `jobs` added by 32 concurrent producers while the worker drains them.
async function PeerDrain(env, worker, producer, jobs) {
    const drained = worker.Drained(jobs, 1_800_000);
    const pg_cpu_before = ClusterCpuSeconds(env.pg_pid);
    const start = NowNs();
    await RunConcurrently(jobs, kProducerConnections, () => producer.Add());
    const added = NowNs();
    await drained;
    await producer.WaitEmpty(600_000); // completions committed, not just handlers returned
    const finished = NowNs();
    return {
        jobs_per_s: jobs / (NsToMs(finished - start) / 1000),
        add_calls_per_s: jobs / (NsToMs(added - start) / 1000),
        pg_cpu_ms: (1000 * (ClusterCpuSeconds(env.pg_pid) - pg_cpu_before)) / jobs,
    };
}

async function PeerThroughput(env, counts, variant, handler, concurrency) {
    const worker = await new PeerWorker(env, variant, { concurrency, handler, drain: true }).Start();
    const producer = await new PeerProducer(env, variant, kProducerConnections).Open();
    try {
        await PeerDrain(env, worker, producer, WarmUpJobs(counts)); // caches, stats, JIT: untimed
        const reps = [];
        for (let rep = 0; rep < counts.reps; rep++) {
            reps.push(await PeerDrain(env, worker, producer, counts.throughput));
        }
        const jobs_per_s = Figure(reps.map((r) => r.jobs_per_s));
        const pg_cpu = Figure(reps.map((r) => r.pg_cpu_ms));
        Log(`${variant.id} ${handler} ${concurrency}: ${jobs_per_s.median.toFixed(0)} jobs/s, ${pg_cpu.median.toFixed(3)} ms of PostgreSQL CPU per job`);
        return {
            jobs_per_s,
            add_calls_per_s: Figure(reps.map((r) => r.add_calls_per_s)),
            postgres_cpu_ms_per_job: pg_cpu,
        };
    } finally {
        await producer.Close();
        await worker.Stop();
    }
}

export async function Throughput(env, counts) {
    const result = { jobs: counts.throughput, company_limit: counts.company_limit ?? null, jobd: {}, peers: {} };
    for (const workers of counts.concurrency) {
        result.jobd[workers] = await JobdThroughput(env, counts, workers);
    }
    for (const variant of env.peer_variants) {
        result.peers[variant.id] = {};
        for (const handler of ['spawn', 'noop']) {
            result.peers[variant.id][handler] = {};
            for (const concurrency of counts.concurrency) {
                result.peers[variant.id][handler][concurrency] = await PeerThroughput(
                    env,
                    counts,
                    variant,
                    handler,
                    concurrency,
                );
            }
        }
    }
    return result;
}

// ---- The machine's own limits ----------------------------------------------------------------

export async function MachineLimits(env, counts) {
    const result = { spawn_per_s: {}, insert_commits_per_s: {} };
    for (const concurrency of counts.concurrency) {
        const rates = [];
        for (let rep = 0; rep < counts.reps; rep++) {
            const out = await Run(env.spawn_bin, [String(concurrency), String(counts.spawn)]);
            rates.push(JSON.parse(out).runs_per_second);
        }
        result.spawn_per_s[concurrency] = Figure(rates);
    }
    const script = path.join(env.work_dir, 'insert.sql');
    fs.writeFileSync(script, "INSERT INTO bench_rows (payload) VALUES ('x');\n");
    await Run('psql', [env.limits_db_url, '-q', '-c', 'CREATE TABLE IF NOT EXISTS bench_rows (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text, created_at timestamptz DEFAULT now())']);
    for (const concurrency of counts.concurrency) {
        const rates = [];
        for (let rep = 0; rep < counts.reps; rep++) {
            const out = await Run(env.pgbench_bin, [
                '-n', '-c', String(concurrency), '-j', '2', '-T', String(counts.insert_seconds), '-f', script, env.limits_db_url,
            ]);
            rates.push(Number(/tps = ([\d.]+)/.exec(out)[1]));
        }
        result.insert_commits_per_s[concurrency] = Figure(rates);
    }
    Log(`limits: spawn ${JSON.stringify(Object.fromEntries(Object.entries(result.spawn_per_s).map(([k, v]) => [k, Math.round(v.median)])))}/s`);
    return result;
}

// ---- 4. Idle cost ----------------------------------------------------------------------------

async function DatabaseTransactions(admin_pool, database) {
    const { rows } = await admin_pool.query(
        'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
        [database],
    );
    return Number(rows[0].n);
}

// Windows of `seconds` each: CPU (% of one core), RSS at the end, transactions/s of `database`.
async function MeasureIdle(admin_pool, pid, database, counts) {
    const cpu = [];
    const rss = [];
    const xacts = [];
    for (let rep = 0; rep < counts.reps; rep++) {
        const before = ProcessUsage(pid);
        const tx_before = await DatabaseTransactions(admin_pool, database);
        const start = NowNs();
        await Delay(counts.idle_seconds * 1000);
        const seconds = NsToMs(NowNs() - start) / 1000;
        const after = ProcessUsage(pid);
        const tx_after = await DatabaseTransactions(admin_pool, database);
        cpu.push((100 * (after.cpu_s - before.cpu_s)) / seconds);
        rss.push(after.rss_bytes / (1 << 20));
        xacts.push((tx_after - tx_before) / seconds);
    }
    return { cpu_percent_of_core: Figure(cpu), rss_mib: Figure(rss), db_transactions_per_s: Figure(xacts) };
}

// A schedule whose next fire is months away: nothing is due while idle is measured.
function FarSchedule() {
    const month = ((new Date().getUTCMonth() + 6) % 12) + 1;
    return `0 0 0 1 ${month} ?`;
}

export async function IdleCost(env, counts) {
    const pg = (await ImportPeerPackage('pg')).default;
    const admin_pool = new pg.Pool({ connectionString: env.admin_db_url, max: 1 });
    const result = { scheduled_jobs: counts.idle_jobs, window_seconds: counts.idle_seconds, jobd: {}, peers: {} };
    try {
        const submitting = await new JobdNode(env, 'idle-submit').Start({});
        const client = submitting.Client({ sockets: kProducerConnections });
        const schedule = FarSchedule();
        const start = NowNs();
        await RunConcurrently(counts.idle_jobs, kProducerConnections, (i) =>
            client.SubmitCommandJob(`idle-${i}`, ['/bin/true'], { execSchedule: schedule }),
        );
        result.jobd.submit_jobs_per_s = counts.idle_jobs / (NsToMs(NowNs() - start) / 1000);
        client.Close();
        await submitting.Stop();

        // A fresh node loads the stored jobs as after a restart; then nothing is due.
        const node = await new JobdNode(env, 'idle').Start({});
        result.jobd.start_ms = node.start_ms;
        await Delay(counts.idle_settle_seconds * 1000);
        Object.assign(result.jobd, await MeasureIdle(admin_pool, node.Pid(), env.jobd_db, counts));
        await node.Stop();
        Log(`jobd idle: ${result.jobd.cpu_percent_of_core.median.toFixed(3)}% CPU, ${result.jobd.rss_mib.median.toFixed(1)} MiB`);

        for (const variant of env.peer_variants.filter((v) => !v.batched)) {
            const worker = await new PeerWorker(env, variant, { concurrency: 1, handler: 'noop' }).Start();
            await Delay(counts.idle_settle_seconds * 1000);
            const database = variant.peer === 'graphile' ? env.graphile_db : env.pgboss_db;
            result.peers[variant.id] = await MeasureIdle(admin_pool, worker.Pid(), database, counts);
            await worker.Stop();
        }
        return result;
    } finally {
        await admin_pool.end();
    }
}


// ---- 3. Schedule punctuality -----------------------------------------------------------------

// Lateness of one ping: the process's start (CLOCK_REALTIME, sent by jobd-bench-ping) minus the
// fire's nominal time (JOBD_SCHEDULED_AT).
export function Lateness(ping) {
    const [, scheduled_at, started_ns] = ping.text.split(' ');
    return Number(BigInt(started_ns) / 1000n) / 1000 - Date.parse(scheduled_at);
}

const kLateGraceMs = 5000; // pings of a window's last second may still come this much later

let measurements = 0;
function NextTag() {
    return `m${++measurements}`;
}

async function SubmitMany(client, count, make) {
    const handles = new Array(count);
    await RunConcurrently(count, kProducerConnections, async (i) => {
        handles[i] = await make(i);
    });
    return handles;
}

async function DeleteMany(client, handles) {
    await RunConcurrently(handles.length, kProducerConnections, (i) =>
        client.Json('deleteJob', { companyHandle: client.credentials.company, jobHandle: handles[i] }),
    );
}

export async function Punctuality(env, counts) {
    const workers = counts.punctuality_workers;
    const node = await new JobdNode(env, 'punctuality').Start(
        counts.company_limit ? { extra: CompanyLimit(counts, workers) } : { workers },
    );
    try {
        return { workers, company_limit: counts.company_limit ?? null, ...(await MeasurePunctuality(env, counts, node)) };
    } finally {
        await node.Stop();
    }
}

// Workload 3's two measurements on running jobd nodes: the jobs are submitted through `node`,
// and whichever node claims a fire runs it (workloads 3 with stored jobs, and 5, reuse this).
export async function MeasurePunctuality(env, counts, node) {
    const client = node.Client({ sockets: kProducerConnections });
    const pings = new PingReceiver();
    const result = {};
    try {
        const port = String(await pings.Open());
        const argv = [env.ping_bin, port];

        // Jobs on one per-second schedule: each window of `punctuality_seconds` is a repetition.
        const every_second = await SubmitMany(client, counts.per_second_jobs, (i) =>
            client.SubmitCommandJob(`every-second-${i}`, argv, { execSchedule: '* * * * * ?' }),
        );
        // Whole seconds of nominal fire time, after the submission's (untimed) seconds; a ping is
        // counted by its nominal second however late it arrives.
        const first = Math.ceil(Date.now() / 1000) * 1000 + 2000;
        const bounds = Array.from({ length: counts.reps + 1 }, (_, i) => first + i * counts.punctuality_seconds * 1000);
        await Delay(bounds[counts.reps] - Date.now() + kLateGraceMs);
        const fired = pings.Drain().map((ping) => ({ ping, nominal: Date.parse(ping.text.split(' ')[1]) }));
        const windows = [];
        for (let rep = 0; rep < counts.reps; rep++) {
            const late = fired
                .filter(({ nominal }) => nominal >= bounds[rep] && nominal < bounds[rep + 1])
                .map(({ ping }) => Lateness(ping));
            windows.push({ ...LatencySummary(late), expected: counts.per_second_jobs * counts.punctuality_seconds });
        }
        await DeleteMany(client, every_second);
        result.per_second = {
            jobs: counts.per_second_jobs,
            lateness_ms: LatencyFigures(windows),
            // fewer runs than fires: fires skipped or later than the grace (see the jobd log)
            runs_per_window: windows.map((w) => w.n),
            fires_per_window: windows[0].expected,
        };
        Log(`punctuality ${counts.per_second_jobs} per-second jobs: p99 ${result.per_second.lateness_ms.p99.median.toFixed(1)} ms`);

        // Jobs due in the same second: one-shot execTime a few seconds after they are stored.
        const simultaneous = [];
        const submit_per_s = [];
        // One-shot jobs stay stored (Complete) after their run: names unique to this measurement
        // let it run again on the same database.
        const tag = NextTag();
        for (let rep = 0; rep < counts.reps; rep++) {
            await Delay(2000);
            pings.Drain();
            const due = new Date(Math.ceil(Date.now() / 1000) * 1000 + counts.simultaneous_lead_seconds * 1000);
            const start = NowNs();
            await SubmitMany(client, counts.simultaneous_jobs, (i) =>
                client.SubmitCommandJob(`due-${tag}-${rep}-${i}`, argv, { execTime: due.toISOString() }),
            );
            submit_per_s.push(counts.simultaneous_jobs / (NsToMs(NowNs() - start) / 1000));
            if (Date.now() >= due.getTime()) {
                throw new Error('storing the simultaneous jobs took longer than their lead time');
            }
            // Runs of the per-second jobs still queued when they were deleted may ping meanwhile.
            const late = [];
            while (late.length < counts.simultaneous_jobs) {
                const ping = await pings.Next(120_000);
                if (ping.text.includes(`|due-${tag}-${rep}-`)) {
                    late.push(Lateness(ping));
                }
            }
            simultaneous.push(LatencySummary(late));
        }
        result.simultaneous = {
            jobs: counts.simultaneous_jobs,
            lateness_ms: LatencyFigures(simultaneous),
            submit_jobs_per_s: Figure(submit_per_s),
        };
        Log(`punctuality ${counts.simultaneous_jobs} due at once: p99 ${result.simultaneous.lateness_ms.p99.median.toFixed(1)} ms`);
        return result;
    } finally {
        pings.Close();
        client.Close();
    }
}
