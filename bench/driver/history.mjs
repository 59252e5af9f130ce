// Workload 6, sustained history (issue #8, contract §9 "Bounded history"): per-second jobs run for
// several retention periods while jobd prunes their runs; the runs table and its indexes must
// stay bounded, fires must be as punctual while a prune batch runs as between batches, and
// getJobLogs must stay fast on a company holding a large history. See bench/README.md.
import { AddCompany, AdminConfig, JobdNode } from './jobd.mjs';
import {
    Delay,
    ImportPeerPackage,
    LatencyFigures,
    LatencySummary,
    Log,
    NowNs,
    NsToMs,
    PingReceiver,
    Run,
    RunConcurrently,
} from './lib.mjs';
import { Cell, Number3, Print } from './report.mjs';
import { kProducerConnections, Lateness } from './workloads.mjs';

const kHistoryJobs = 10; // the bulk history is spread over this many jobs
const kInsertChunk = 100_000; // runs per INSERT statement of the bulk history
const kSampleEveryMs = 5000; // table sizes
const kPruneProbeEveryMs = 250; // jobd_runs_pruned_total
const kPruneMarginMs = 1000; // a fire this close to a prune batch counts as "while pruning"
const kSettleMs = 5000; // after submitting the per-second jobs, before measuring lateness
const kLogCallGapMs = 100; // between two getJobLogs calls

// `runs` finished runs (2% Failed) with one log detail each, ended over the last 30 days, in
// jobs of `company`, inserted with SQL as a long-lived installation would hold them.
async function InsertHistory(db, company, runs) {
    const { rows } = await db.query(
        `INSERT INTO jobs (company_id, name, job_type, payload, time_zone)
         SELECT $1, 'history-' || n, 'commandJob', '{"argv":["/bin/true"]}', 'UTC'
         FROM generate_series(1, $2::int) n RETURNING id`,
        [company, kHistoryJobs],
    );
    const jobs = rows.map((row) => row.id);
    const spacing_s = (30 * 24 * 3600) / runs;
    for (let first = 1; first <= runs; first += kInsertChunk) {
        const last = Math.min(runs, first + kInsertChunk - 1);
        await db.query(
            `WITH inserted AS (
                 INSERT INTO runs (company_id, job_id, trigger, state, node, scheduled_for,
                                   queued_at, started_at, ended_at, exit_code, detail_rows)
                 SELECT $1, ($2::bigint[])[1 + n % $6], 'Schedule',
                        CASE WHEN n % 50 = 0 THEN 'Failed' ELSE 'Succeeded' END, 'bench',
                        t, t, t + interval '5 ms', t + interval '205 ms',
                        CASE WHEN n % 50 = 0 THEN 1 ELSE 0 END, 1
                 FROM generate_series($3::int, $4::int) n,
                      LATERAL (SELECT now() - interval '30 days' + n * $5::float8 * interval '1 s') s (t)
                 RETURNING id)
             INSERT INTO run_details (run_id, log_type, message)
             SELECT id, 'Output', 'history line' FROM inserted`,
            [company, jobs, first, last, spacing_s, kHistoryJobs],
        );
        Log(`history: ${last} of ${runs} runs stored`);
    }
    await db.query('ANALYZE runs, run_details');
}

async function Sizes(db, company) {
    const { rows } = await db.query(
        `SELECT pg_relation_size('runs') AS runs_table, pg_indexes_size('runs') AS runs_indexes,
                pg_total_relation_size('run_details') AS details,
                (SELECT count(*) FROM runs WHERE company_id = $1) AS company_runs,
                s.n_dead_tup AS runs_dead, s.autovacuum_count AS runs_autovacuums
         FROM pg_stat_user_tables s WHERE s.relname = 'runs'`,
        [company],
    );
    const row = rows[0];
    return {
        runs_table_bytes: Number(row.runs_table),
        runs_indexes_bytes: Number(row.runs_indexes),
        details_bytes: Number(row.details),
        company_runs: Number(row.company_runs),
        // Deleted rows' space is reused once autovacuum has processed them (bench/README.md).
        runs_dead_rows: Number(row.runs_dead),
        runs_autovacuums: Number(row.runs_autovacuums),
    };
}

async function PrunedTotal(url) {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/\njobd_runs_pruned_total (\d+)/.exec(text)?.[1] ?? 0);
}

// Repeats `step` every `every_ms` until `until` (a Date.now() value).
async function Every(every_ms, until, step) {
    while (Date.now() < until) {
        const next = Date.now() + every_ms;
        await step();
        await Delay(Math.max(0, next - Date.now()));
    }
}

// Wall-clock intervals in which jobd deleted runs: between two probes that saw the counter move.
function PruneIntervals(probes) {
    const intervals = [];
    for (let i = 1; i < probes.length; i++) {
        if (probes[i].pruned > probes[i - 1].pruned) {
            intervals.push([probes[i - 1].at, probes[i].at, probes[i].pruned - probes[i - 1].pruned]);
        }
    }
    return intervals;
}

function NearPruning(intervals, at) {
    return intervals.some(([from, to]) => at >= from - kPruneMarginMs && at <= to + kPruneMarginMs);
}

// Splits samples into `reps` consecutive groups, each summarized as a repetition.
function Groups(samples, reps) {
    const size = Math.ceil(samples.length / reps);
    return Array.from({ length: reps }, (_, i) => LatencySummary(samples.slice(i * size, (i + 1) * size))).filter(
        (summary) => summary.n > 0,
    );
}

function SizeSummary(samples, key) {
    const middle = samples[Math.floor(samples.length / 2)][key];
    const end = samples[samples.length - 1][key];
    return {
        max: Math.max(...samples.map((s) => s[key])),
        middle,
        end,
        second_half_growth: middle > 0 ? (end - middle) / middle : null,
    };
}

export async function SustainedHistory(env, counts) {
    const pg = (await ImportPeerPackage('pg')).default;
    const db = new pg.Pool({ connectionString: env.jobd_db_url, max: 2 });
    const result = {
        per_second_jobs: counts.history_jobs,
        retention: counts.history_retention,
        seconds: counts.history_seconds,
        history_runs: counts.history_runs,
    };
    const pings = new PingReceiver();
    let node = null;
    let client = null;
    try {
        // A company with a large history it keeps (its own retention), as getJobLogs reads it.
        const history = await AddCompany(env, `History-${Date.now()}`);
        await Run(env.jobd_bin, [
            'admin', 'set-retention', history, '--retention', '400d', '--retention-failed', '400d',
            '--config', AdminConfig(env),
        ]);
        let start = NowNs();
        await InsertHistory(db, history, counts.history_runs);
        result.history_insert_s = NsToMs(NowNs() - start) / 1000;
        // The per-second jobs' own company, kept the config's (minute-scale) retention.
        const sustained = await AddCompany(env, `Sustained-${Date.now()}`);

        node = await new JobdNode(env, 'history').Start({
            workers: counts.punctuality_workers,
            extra: [`runs: {retention: ${counts.history_retention}, retention_failed: ${counts.history_retention}}`],
        });
        client = node.Client({ sockets: kProducerConnections });
        // Earlier workloads' runs are past that retention: the start-up pass prunes them first.
        const backlog_start = Date.now();
        let backlog = 0;
        for (let stable = 0; stable < 3; ) {
            await Delay(1000);
            const pruned = await PrunedTotal(node.url);
            stable = pruned === backlog ? stable + 1 : 0;
            backlog = pruned;
        }
        result.backlog_pruned = { runs: backlog, seconds: (Date.now() - backlog_start) / 1000 - 3 };
        Log(`history: ${backlog} runs of earlier workloads pruned at start`);

        const port = String(await pings.Open());
        const jobs = new Array(counts.history_jobs);
        await RunConcurrently(counts.history_jobs, kProducerConnections, async (i) => {
            const answer = await client.Json('submitJob', {
                companyHandle: sustained,
                jobName: `sustained-${i}`,
                overlap: 'Allow',
                execSchedule: '* * * * * ?',
                commandJob: { argv: [env.ping_bin, port] },
            });
            jobs[i] = answer.jobHandle;
        });
        const measure_from = Date.now() + kSettleMs;
        const until = Date.now() + counts.history_seconds * 1000;
        const samples = [];
        const probes = [];
        const log_calls = [];
        start = NowNs();
        await Promise.all([
            Every(kSampleEveryMs, until, async () => {
                samples.push({ t_s: NsToMs(NowNs() - start) / 1000, ...(await Sizes(db, sustained)) });
            }),
            Every(kPruneProbeEveryMs, until, async () => {
                probes.push({ at: Date.now(), pruned: await PrunedTotal(node.url) });
            }),
            Every(kLogCallGapMs, until, async () => {
                const called = NowNs();
                const answer = await client.Json('getJobLogs', { companyHandle: history });
                if (answer.jobLogArray?.length !== 100) {
                    throw new Error(`getJobLogs returned ${answer.jobLogArray?.length} logs, expected 100`);
                }
                log_calls.push({ at: Date.now(), ms: NsToMs(NowNs() - called) });
            }),
        ]);
        await RunConcurrently(jobs.length, kProducerConnections, (i) =>
            client.Json('deleteJob', { companyHandle: sustained, jobHandle: jobs[i] }),
        );

        const intervals = PruneIntervals(probes);
        const lateness = { pruning: [], not_pruning: [] };
        for (const ping of pings.Drain()) {
            const nominal = Date.parse(ping.text.split(' ')[1]);
            if (nominal >= measure_from && nominal < until) {
                lateness[NearPruning(intervals, nominal) ? 'pruning' : 'not_pruning'].push(Lateness(ping));
            }
        }
        const calls = log_calls.filter((call) => call.at >= measure_from);
        result.prune_batches_seen = intervals.length;
        result.runs_pruned = intervals.reduce((sum, [, , runs]) => sum + runs, 0);
        result.lateness_ms = {
            while_pruning: LatencySummary(lateness.pruning),
            not_pruning: LatencySummary(lateness.not_pruning),
        };
        result.get_job_logs_ms = {
            all: LatencyFigures(Groups(calls.map((c) => c.ms), counts.reps)),
            while_pruning: LatencySummary(calls.filter((c) => NearPruning(intervals, c.at)).map((c) => c.ms)),
        };
        result.sizes = {
            company_runs: SizeSummary(samples, 'company_runs'),
            runs_table_bytes: SizeSummary(samples, 'runs_table_bytes'),
            runs_indexes_bytes: SizeSummary(samples, 'runs_indexes_bytes'),
            details_bytes: SizeSummary(samples, 'details_bytes'),
            runs_dead_rows: SizeSummary(samples, 'runs_dead_rows'),
        };
        result.runs_autovacuums = samples.at(-1).runs_autovacuums - samples[0].runs_autovacuums;
        result.samples = samples;
        Log(
            `history: ${result.runs_pruned} runs pruned in ${intervals.length} probe intervals; ` +
                `company runs max ${result.sizes.company_runs.max}; getJobLogs p99 ` +
                `${result.get_job_logs_ms.all.p99?.median?.toFixed(1)} ms`,
        );
        return result;
    } finally {
        pings.Close();
        client?.Close();
        await node?.Stop();
        await db.end();
    }
}

function Mib(bytes) {
    return `${Number3(bytes / 2 ** 20)} MiB`;
}

export function PrintHistory(h) {
    const rows = [[`sustained history: ${h.per_second_jobs} per-second jobs, retention ${h.retention}, ${h.seconds} s`, 'p50', 'p99', 'max', 'n']];
    for (const [label, summary] of [
        ['fire lateness ms, near a prune batch', h.lateness_ms.while_pruning],
        ['fire lateness ms, between batches', h.lateness_ms.not_pruning],
        ['getJobLogs ms near a prune batch', h.get_job_logs_ms.while_pruning],
    ]) {
        rows.push([label, Number3(summary.p50), Number3(summary.p99), Number3(summary.n ? summary.max : null), summary.n]);
    }
    const all = h.get_job_logs_ms.all;
    rows.push([`getJobLogs ms (100 rows of ${h.history_runs} runs)`, Cell(all.p50), Cell(all.p99), Cell(all.max), all.n]);
    Print(rows);
    const size_rows = [['bounded: sampled every 5 s', 'max', 'middle', 'end', 'growth 2nd half']];
    for (const [label, key, format] of [
        ['runs of the per-second jobs', 'company_runs', Number3],
        ['runs table', 'runs_table_bytes', Mib],
        ['runs indexes', 'runs_indexes_bytes', Mib],
        ['run_details with indexes', 'details_bytes', Mib],
        ['dead rows in runs (not yet vacuumed)', 'runs_dead_rows', Number3],
    ]) {
        const s = h.sizes[key];
        const growth = s.second_half_growth === null ? '-' : `${(100 * s.second_half_growth).toFixed(1)}%`;
        size_rows.push([label, format(s.max), format(s.middle), format(s.end), growth]);
    }
    Print(size_rows);
    process.stdout.write(
        `${h.runs_pruned} runs pruned during the run (${h.prune_batches_seen} probe intervals with pruning); ` +
            `autovacuum of runs ${h.runs_autovacuums} times; ` +
            `${h.backlog_pruned.runs} runs of earlier workloads pruned at start in ~${Number3(h.backlog_pruned.seconds)} s; ` +
            `history of ${h.history_runs} runs stored in ${Number3(h.history_insert_s)} s\n\n`,
    );
}
